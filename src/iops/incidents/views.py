"""Pages for calls and incidents: taking a call, one incident, the open-incidents list, and the
htmx fragments the call-taking page asks for as the call goes on (AML reading, the risk at the
location, likely duplicates; the address type-ahead is geo's own fragment).

Views shape requests and responses only: writes go through ``incidents.services`` (one call to
``call_take`` records a call and its incident, so a refusal writes nothing), and reads that show
personal data through ``incidents.access``, which logs them with a purpose.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from iops.audit.access import get_or_not_found
from iops.geo.models import Address, Area
from iops.incidents import access, codes, selectors, services
from iops.incidents.aml import parse_aml
from iops.incidents.choices import IncidentStatus
from iops.incidents.forms import (
    CallTakingForm,
    CloseForm,
    CrimeRelatedForm,
    EidoExportForm,
    GradeForm,
    IncidentFilterForm,
    LogForm,
    ThriveForm,
    apply_error,
    read_timing,
    thrive_names,
)
from iops.incidents.models import Incident
from iops.incidents.presenters import attendance_clock
from iops.platform.errors import DomainError, NotFound, PermissionRefused, ValidationFailed

VIEW_PURPOSE = "Incident handling"
RISK_PURPOSE = "Incident handling: risk at location"
LIST_PURPOSE = "Incident list"
# Where the map opens when the force has no beats loaded: the middle of Great Britain.
FALLBACK_CENTRE = (54.0, -2.5)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _refuse(error: DomainError) -> None:
    if isinstance(error, PermissionRefused):
        raise PermissionDenied(error.message) from error
    if isinstance(error, NotFound):
        raise Http404(error.message) from error


def _map_settings(user: Any) -> dict[str, Any]:
    bounds = Area.objects.filter(force_id=user.force_id, kind="beat").aggregate(
        south=Min("min_lat"), west=Min("min_lon"), north=Max("max_lat"), east=Max("max_lon")
    )
    return {
        "tiles": settings.IOPS_TILE_URL,
        "attribution": settings.IOPS_TILE_ATTRIBUTION,
        "areas_url": "/api/v1/geo/areas?kind=beat",
        "bounds": bounds if bounds["south"] is not None else None,
        "centre": FALLBACK_CENTRE,
    }


# --- the call-taking page ----------------------------------------------------------------------


def _parse_connected(request: HttpRequest) -> datetime | None:
    """A connection time passed by the telephone system when it opens the page."""
    text = request.GET.get("connected_at", "")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment > timezone.now():
        return None
    return moment


def _known_location(form: CallTakingForm) -> dict[str, Any]:
    """The location the form already holds (after a refused submit), for the server-side panels."""
    data = form.data
    address_id = _int(data.get("address_id"))
    latitude, longitude = _float(data.get("latitude")), _float(data.get("longitude"))
    radius: int | None = None
    if address_id is None and latitude is None and data.get("aml_message", "").strip():
        parsed = parse_aml(data["aml_message"])
        if parsed.location is not None and parsed.location.position is not None:
            latitude, longitude = float(parsed.location.latitude), float(parsed.location.longitude)
            radius = parsed.location.radius_m
    return {"address_id": address_id, "latitude": latitude, "longitude": longitude, "radius_m": radius}


def _panels(request: HttpRequest, form: CallTakingForm) -> dict[str, Any]:
    """The risk panel and likely duplicates, re-shown when a refused form comes back."""
    if not form.is_bound:
        return {}
    place = _known_location(form)
    names = [line.strip() for line in form.data.get("people_named", "").splitlines() if line.strip()]
    context: dict[str, Any] = {}
    if place["address_id"] is not None or place["latitude"] is not None or names:
        with contextlib.suppress(DomainError):
            context["risk"] = access.location_risk(request.user, names=names, **place)
    category = form.data.get("opening_category", "")
    if category in codes.opening_categories() and (place["address_id"] or place["latitude"] is not None):
        with contextlib.suppress(DomainError):
            context["duplicates"] = selectors.likely_duplicates(
                request.user,
                opening_category=category,
                address_id=place["address_id"],
                latitude=place["latitude"],
                longitude=place["longitude"],
            )
    if place["address_id"] is not None:
        user: Any = request.user
        context["chosen_address"] = Address.objects.filter(
            force_id=user.force_id, pk=place["address_id"]
        ).first()
    return context


def _call_page(request: HttpRequest, form: CallTakingForm, status: int = 200) -> HttpResponse:
    try:
        answered_at, connected_at = read_timing(form["timing"].value() or "")
    except ValidationError:
        answered_at = connected_at = None
    return render(
        request,
        "incidents/new.html",
        {
            "form": form,
            "page_title": "New call",
            "thrive_fields": [form[name] for name in thrive_names()],
            "map": _map_settings(request.user),
            "answered_at": answered_at,
            "connected_at": connected_at,
            **_panels(request, form),
        },
        status=status,
    )


@login_required
@permission_required("incidents.add_call", raise_exception=True)
def new_call(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _call_page(request, CallTakingForm.fresh(connected_at=_parse_connected(request)))
    form = CallTakingForm(request.POST)
    if not form.is_valid():
        return _call_page(request, form, status=400)
    data = form.cleaned_data
    answered_at, connected_at = data["timing"]
    user: Any = request.user
    link_to_id = _int(request.POST.get("link_to"))
    action = request.POST.get("action", "create")
    try:
        address = (
            get_or_not_found(
                Address.objects.filter(force_id=user.force_id).select_related("beat"),
                data["address_id"],
                label="address",
            )
            if data.get("address_id")
            else None
        )
        details = services.CallDetails(
            channel=data["channel"],
            connected_at=connected_at,
            answered_at=answered_at,
            caller_name=data["caller_name"],
            caller_phone=data["caller_phone"],
            caller_relationship=data["caller_relationship"],
            what_was_said=data["what_was_said"],
            aml_message=data["aml_message"],
            address=address,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            location_text=data["location_text"],
            location_source="map" if data.get("latitude") is not None else "",
            people_named=tuple(form.names()),
        )
        taken = services.call_take(
            acting_user=user,
            call=details,
            opening_category=data["opening_category"],
            qualifiers=data["qualifiers"],
            summary=data["summary"],
            create_incident=action != "call_only",
            link_to=selectors.incident_for(user, link_to_id) if link_to_id is not None else None,
            thrive=services.ThriveAnswers(**form.thrive_values()),
            grade=data["grade"],
        )
    except DomainError as error:
        if isinstance(error, PermissionRefused):
            raise PermissionDenied(error.message) from error
        apply_error(form, error)
        return _call_page(request, form, status=400)
    if taken.incident is None:
        messages.success(request, "Call recorded.")
        return redirect("incidents:new")
    if taken.linked:
        messages.success(request, f"Call linked to incident {taken.incident.reference}.")
    else:
        messages.success(request, f"Incident {taken.incident.reference} opened.")
    return redirect("incidents:detail", pk=taken.incident.pk)


# --- fragments the call-taking page asks for ---------------------------------------------------


@login_required
@require_POST
def aml_fragment(request: HttpRequest) -> HttpResponse:
    """The AML message read as the call handler pastes it: position and radius, or the reasons."""
    if not request.user.has_perm("incidents.add_call"):
        raise PermissionDenied
    text = request.POST.get("aml_message", "")
    parsed = parse_aml(text) if text.strip() else None
    return render(
        request,
        "incidents/fragments/aml.html",
        {"parsed": parsed, "location": parsed.location if parsed else None},
    )


@login_required
@require_GET
def risk_fragment(request: HttpRequest) -> HttpResponse:
    """The risk panel: who is linked to the place and their markers, what happened there in the
    last twelve months, and who the people named in the call may be. Every read is logged."""
    names = [name for name in request.GET.getlist("name") if name.strip()]
    names += [line for line in request.GET.get("people_named", "").splitlines() if line.strip()]
    incident_id = _int(request.GET.get("incident"))
    purpose = request.GET.get("purpose") or access.RISK_PURPOSE
    try:
        risk = access.location_risk(
            request.user,
            purpose=purpose,
            address_id=_int(request.GET.get("address_id")),
            latitude=_float(request.GET.get("lat")),
            longitude=_float(request.GET.get("lon")),
            radius_m=_int(request.GET.get("radius")),
            names=names,
            exclude_incident=incident_id,
        )
    except DomainError as error:
        _refuse(error)
        return render(request, "incidents/fragments/risk.html", {"problem": error.message}, status=400)
    return render(request, "incidents/fragments/risk.html", {"risk": risk, "risk_purpose": purpose})


@login_required
@require_GET
def duplicates_fragment(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("opening_category", "")
    if category not in codes.opening_categories():
        return render(request, "incidents/fragments/duplicates.html", {"waiting": True})
    try:
        found = selectors.likely_duplicates(
            request.user,
            opening_category=category,
            address_id=_int(request.GET.get("address_id")),
            latitude=_float(request.GET.get("lat")),
            longitude=_float(request.GET.get("lon")),
        )
    except DomainError as error:
        _refuse(error)
        return render(request, "incidents/fragments/duplicates.html", {"problem": error.message}, status=400)
    return render(request, "incidents/fragments/duplicates.html", {"duplicates": found})


# --- one incident ------------------------------------------------------------------------------


def _incident_page(request: HttpRequest, pk: int, forms: dict[str, Any] | None = None) -> HttpResponse:
    try:
        incident = access.access_incident(request.user, pk, purpose=VIEW_PURPOSE)
    except DomainError as error:
        _refuse(error)
        raise
    user: Any = request.user
    now = timezone.now()
    latest_thrive = next(iter(incident.thrive_assessments.all()), None)
    risk_query: list[tuple[str, Any]] = [("incident", incident.pk), ("purpose", RISK_PURPOSE)]
    if incident.address_id:
        risk_query.append(("address_id", incident.address_id))
    elif incident.has_point:
        risk_query += [("lat", incident.latitude), ("lon", incident.longitude)]
        if incident.radius_m is not None:
            risk_query.append(("radius", incident.radius_m))
    names = dict.fromkeys(name for call in incident.calls.all() for name in call.people_named)
    risk_query += [("name", name) for name in names]
    context = {
        "risk_url": reverse("incidents:risk") + "?" + urlencode(risk_query),
        "incident": incident,
        "page_title": f"Incident {incident.reference}",
        "category": codes.opening_category(incident.opening_category),
        "qualifiers": [codes.qualifier(code) for code in incident.qualifiers],
        "grade": codes.grade(incident.grade) if incident.grade else None,
        "clock": attendance_clock(incident, now),
        "now": now,
        "can_grade": incident.is_open and user.has_perm("incidents.grade_incident"),
        "can_close": incident.is_open and user.has_perm("incidents.close_incident"),
        "can_flag": incident.is_open
        and not incident.crime_related
        and user.has_perm("incidents.flag_crime_related"),
        "thrive_form": ThriveForm(initial=latest_thrive.__dict__ if latest_thrive else None),
        "grade_form": GradeForm(),
        "log_form": LogForm(),
        "crime_form": CrimeRelatedForm(),
        "close_form": CloseForm(initial={"closing_category": incident.opening_category}),
        "eido_form": EidoExportForm(),
        "closing_category_name": codes.opening_category(incident.closing_category).name
        if incident.closing_category
        else "",
        "closing_result_name": codes.closing_result(incident.closing_result).name
        if incident.closing_result
        else "",
        **(forms or {}),
    }
    return render(request, "incidents/detail.html", context, status=400 if forms else 200)


@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_page(request, pk)


ACTIONS = {
    "thrive": ThriveForm,
    "grade": GradeForm,
    "log": LogForm,
    "crime-related": CrimeRelatedForm,
    "close": CloseForm,
}


def _act(user: Any, incident: Incident, action: str, form: Any) -> str:
    data = form.cleaned_data
    if action == "thrive":
        item = services.thrive_record(acting_user=user, incident=incident, **form.thrive_values())
        return f"THRIVE assessed (version {item.version})."
    if action == "grade":
        decision = services.incident_grade(
            acting_user=user, incident=incident, grade=data["grade"], reason=data["reason"]
        )
        return f"Graded {codes.grade(decision.grade).name}."
    if action == "log":
        services.incident_log_add(acting_user=user, incident=incident, text=data["text"])
        return "Added to the log."
    if action == "crime-related":
        services.incident_flag_crime_related(acting_user=user, incident=incident, note=data["note"])
        return "Flagged as crime-related: the crime recording decision is due within 24 hours of the report."
    duplicate = None
    if data["duplicate_of"]:
        number = data["duplicate_of"].rsplit("-", 1)[-1]
        if not number.isdigit():
            raise ValidationFailed("Give the other incident's reference or number.", field="duplicate_of")
        duplicate = selectors.incident_for(user, int(number))
    services.incident_close(
        acting_user=user,
        incident=incident,
        closing_category=data["closing_category"],
        closing_result=data["closing_result"],
        crime_report_needed=data["crime_report_needed"],
        duplicate_of=duplicate,
        note=data["note"],
    )
    return "Incident closed."


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    user: Any = request.user
    try:
        incident = selectors.incident_for(user, pk)
    except DomainError as error:
        _refuse(error)
        raise
    form = ACTIONS[action](request.POST)
    if form.is_valid():
        try:
            message = _act(user, incident, action, form)
        except DomainError as error:
            _refuse(error)
            apply_error(form, error)
        else:
            messages.success(request, message)
            return redirect(reverse("incidents:detail", args=[pk]) + f"#{action}")
    key = {"crime-related": "crime_form"}.get(action, f"{action}_form")
    return _incident_page(request, pk, forms={key: form, "open_form": action})


@login_required
@require_GET
def export_eido(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident as an EIDO file for a named recipient (a logged disclosure)."""
    form = EidoExportForm(request.GET)
    if not form.is_valid():
        return _incident_page(request, pk, forms={"eido_form": form, "open_form": "eido"})
    user: Any = request.user
    try:
        incident = access.access_incident(user, pk, purpose=form.cleaned_data["purpose"])
        document = services.incident_export_eido(
            acting_user=user,
            incident=incident,
            recipient=form.cleaned_data["recipient"],
            purpose=form.cleaned_data["purpose"],
        )
    except DomainError as error:
        _refuse(error)
        apply_error(form, error)
        return _incident_page(request, pk, forms={"eido_form": form, "open_form": "eido"})
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="incident-{incident.reference}.eido.json"'
    return response


# --- the list ----------------------------------------------------------------------------------


@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_list(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    filters = selectors.IncidentFilter()
    if form.is_bound and form.is_valid():
        filters = selectors.IncidentFilter(
            grade=form.cleaned_data["grade"],
            group=form.cleaned_data["group"],
            qualifier=form.cleaned_data["qualifier"],
            district=form.cleaned_data["district"].strip().upper(),
        )
    now = timezone.now()
    incidents = access.access_incident_list(request.user, filters, purpose=LIST_PURPOSE)
    rows = [
        {
            "incident": incident,
            "category": codes.opening_category(incident.opening_category),
            "grade": codes.grade(incident.grade) if incident.grade else None,
            "clock": attendance_clock(incident, now),
        }
        for incident in incidents
    ]
    return render(
        request,
        "incidents/list.html",
        {"form": form, "rows": rows, "page_title": "Open incidents", "open_status": IncidentStatus.OPEN},
    )
