"""Address look-up pages and the type-ahead fragment other screens include.

``geo:address_matches`` returns only the list of matches (``geo/partials/address_matches.html``),
so a call-taking screen can put an input with ``hx-get`` to it next to its own form and pick the
address from the ``data-`` attributes of each match. The look-up page uses the same fragment and
works without JavaScript too: the form submits and the page renders the matches itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from iops.geo import selectors
from iops.platform.errors import NotFound


def _matches(request: HttpRequest) -> dict[str, Any]:
    query = request.GET.get("q", "").strip()[:200]
    addresses = (
        selectors.address_search(query, force_id=getattr(request.user, "force_id", None)) if query else []
    )
    return {
        "query": query,
        "addresses": addresses,
        "limit": selectors.DEFAULT_LIMIT,
        "too_short": 0 < len(query) < selectors.MIN_QUERY_LENGTH,
    }


@login_required
def address_lookup(request: HttpRequest) -> HttpResponse:
    return render(request, "geo/address_lookup.html", {"page_title": "Find an address", **_matches(request)})


@login_required
def address_matches(request: HttpRequest) -> HttpResponse:
    return render(request, "geo/partials/address_matches.html", _matches(request))


@login_required
def address_detail(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        address = selectors.address_get(address_id, force_id=getattr(request.user, "force_id", None))
    except NotFound:
        return render(
            request,
            "platform/error.html",
            {
                "page_title": "Address not found",
                "title": "Address not found",
                "message": f"There is no address with reference {address_id}. Search for it again.",
                "status": 404,
            },
            status=404,
        )
    areas = selectors.areas_at(address.latitude, address.longitude, force_id=address.force_id)
    return render(
        request,
        "geo/address_detail.html",
        {"page_title": address.full_address, "address": address, "areas": areas},
    )
