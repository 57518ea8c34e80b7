"""People pages: search, a person (markers first), create with the duplicate check, edit, the risk
summary fragments, likely duplicates, merge and its reversal. Views collect input and show results;
services and selectors decide, and their errors land on the form field they concern."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from iops.audit.access import RestrictedRecord, get_or_not_found
from iops.geo.models import Address
from iops.people import selectors, services
from iops.people.access import access_nominal
from iops.people.choices import DuplicateStatus
from iops.people.forms import (
    AddressForm,
    DateOfBirthForm,
    DetailsForm,
    DismissForm,
    IdentifierForm,
    MarkerForm,
    MergeForm,
    NameForm,
    PersonForm,
    ReasonForm,
    ReverseForm,
    SearchForm,
    VehicleForm,
)
from iops.people.models import DuplicateCandidate, Nominal, WarningMarker
from iops.platform.errors import DomainError, ValidationFailed

CREATE_PURPOSE = "Checking for an existing record before creating a person"
EDIT_PURPOSE = "Updating the person's record"
MERGE_PURPOSE = "Reviewing possible duplicate records"


def _put_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def person_url(pk: int, purpose: str) -> str:
    return reverse("people:person", args=[pk]) + "?" + urlencode({"purpose": purpose})


@login_required
@permission_required("people.search_nominal", raise_exception=True)
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    outcome = None
    if request.GET and form.is_valid() and form.has_criteria():
        try:
            outcome = selectors.nominal_search(user=request.user, **form.cleaned_data)
        except DomainError as error:
            _put_error(form, error)
    elif request.GET and form.is_valid():
        form.add_error(
            "name", "Give a name, a full date of birth, an identifier, a registration mark or an address."
        )
    context = {"form": form, "outcome": outcome, "page_title": "Search people"}
    return render(request, "people/search.html", context)


def _profile_or_gate(
    request: HttpRequest, pk: int, template: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The person page, or the page asking why (no purpose) or saying the record is restricted."""
    form = ReasonForm(request.GET or None)
    purpose = (request.GET.get("purpose") or "").strip()
    reason = (request.GET.get("break_glass_reason") or "").strip() or None
    nominal = get_or_not_found(Nominal.objects.all(), pk, label="person")
    if not purpose:
        if request.GET:
            form.add_error("purpose", "Give a purpose for this view: it is recorded in the access log.")
        return render(
            request,
            "people/purpose.html",
            {"form": form, "nominal": nominal, "page_title": f"Why are you viewing {nominal.reference}?"},
        )
    try:
        profile = selectors.nominal_profile(
            user=request.user, nominal_id=pk, purpose=purpose, break_glass_reason=reason
        )
    except RestrictedRecord as error:
        return render(
            request,
            "people/restricted.html",
            {"form": form, "nominal": nominal, "contact": error.contact, "page_title": "Restricted record"},
            status=403,
        )
    except ValidationFailed as error:
        _put_error(form, error)
        return render(
            request,
            "people/restricted.html",
            {"form": form, "nominal": nominal, "page_title": "Restricted record"},
        )
    context = {
        "profile": profile,
        "nominal": profile.nominal,
        "purpose": purpose,
        "page_title": profile.main_name,
        **(extra or {}),
    }
    return render(request, template, context)


@login_required
@permission_required("people.view_nominal", raise_exception=True)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _profile_or_gate(request, pk, "people/person.html")


@login_required
@permission_required("people.view_nominal", raise_exception=True)
def summary_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The compact risk summary (htmx fragment) later screens put beside an incident or a call."""
    try:
        found = selectors.risk_summary(
            user=request.user, nominal_id=pk, purpose=request.GET.get("purpose"), break_glass_reason=None
        )
    except RestrictedRecord as error:
        return render(request, "people/fragments/restricted.html", {"contact": error.contact, "pk": pk})
    except DomainError as error:
        return render(
            request, "people/fragments/problem.html", {"message": error.message}, status=error.status
        )
    return render(
        request, "people/fragments/summary.html", {"person": found, "purpose": request.GET.get("purpose", "")}
    )


@login_required
@permission_required("people.view_nominal", raise_exception=True)
def at_address_fragment(request: HttpRequest, address_id: int) -> HttpResponse:
    """Who is linked to an address and their markers (htmx fragment)."""
    try:
        found = selectors.people_at_address(
            user=request.user, address_id=address_id, purpose=request.GET.get("purpose")
        )
    except DomainError as error:
        return render(
            request, "people/fragments/problem.html", {"message": error.message}, status=error.status
        )
    return render(
        request,
        "people/fragments/at_address.html",
        {"found": found, "purpose": request.GET.get("purpose", "")},
    )


def _address_id(uprn: str, form: forms.Form, field: str) -> int | None:
    text = (uprn or "").strip()
    if not text:
        return None
    address = Address.objects.filter(uprn=int(text)).first() if text.isdigit() else None
    if address is None:
        form.add_error(field, f"There is no address with UPRN {text} in the gazetteer.")
        return None
    return int(address.pk)


@login_required
@permission_required("people.add_nominal", raise_exception=True)
def create(request: HttpRequest) -> HttpResponse:
    """Record a person. The first submit shows anyone already indexed who may be this person; the
    record is created once the user confirms none of them is."""
    form = PersonForm(request.POST or None)
    duplicates: list[selectors.SearchResult] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dates = (
                [services.parse_birth_date(data["date_of_birth"])] if data["date_of_birth"].strip() else []
            )
            names = [(data["given_names"], data["family_name"])]
            if not any(part.strip() for part in names[0]):
                raise ValidationFailed("Enter a given name or a family name (or both).", field="family_name")
            identifiers = (
                [data["identifier_value"]] if data["identifier_kind"] and data["identifier_value"] else []
            )
            address_id = _address_id(data["uprn"], form, "uprn")
            if not data["confirm_new"]:
                duplicates = selectors.possible_duplicates(
                    user=request.user,
                    purpose=CREATE_PURPOSE,
                    names=names,
                    dates_of_birth=dates,
                    identifiers=identifiers,
                )
            if form.is_valid() and (data["confirm_new"] or not duplicates):
                nominal = services.nominal_create(
                    acting_user=request.user,
                    names=[services.NameInput(data["given_names"], data["family_name"])],
                    dates_of_birth=dates,
                    gender=data["gender"],
                    ethnicity=data["ethnicity"],
                    identifiers=[services.IdentifierInput(data["identifier_kind"], data["identifier_value"])]
                    if identifiers
                    else [],
                    addresses=[services.AddressInput(address_id)] if address_id else [],
                    restricted=data["restricted"],
                    restriction_contact=data["restriction_contact"],
                )
                messages.success(request, f"{nominal.reference} created.")
                return redirect(person_url(nominal.pk, "Recording a new person"))
        except DomainError as error:
            _put_error(form, error)
    context = {
        "form": form,
        "duplicates": duplicates,
        "purpose": CREATE_PURPOSE,
        "page_title": "Create a person",
    }
    return render(request, "people/create.html", context)


EDIT_FORMS: dict[str, type[forms.Form]] = {
    "details": DetailsForm,
    "name": NameForm,
    "date": DateOfBirthForm,
    "identifier": IdentifierForm,
    "address": AddressForm,
    "vehicle": VehicleForm,
    "marker": MarkerForm,
}


def _apply(request: HttpRequest, action: str, form: forms.Form, nominal: Nominal) -> str:
    """Run the service for one edit form; returns what changed, for the banner."""
    data = form.cleaned_data
    user = request.user
    if action == "details":
        services.nominal_update(acting_user=user, nominal=nominal, **data)
        return "Details saved."
    if action == "name":
        services.name_add(
            acting_user=user,
            nominal=nominal,
            name=services.NameInput(data["given_names"], data["family_name"], data["kind"]),
        )
        return "Name added."
    if action == "date":
        services.date_of_birth_add(
            acting_user=user,
            nominal=nominal,
            value=services.parse_birth_date(data["date_of_birth"]),
            source=data["source"],
        )
        return "Date of birth added."
    if action == "identifier":
        services.identifier_add(acting_user=user, nominal=nominal, kind=data["kind"], value=data["value"])
        return "Identifier added."
    if action == "address":
        address_id = _address_id(data["uprn"], form, "uprn")
        if address_id is None:
            raise ValidationFailed("Give the UPRN of an address in the gazetteer.", field="uprn")
        services.address_link(
            acting_user=user,
            nominal=nominal,
            address_id=address_id,
            role=data["role"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
        )
        return "Address linked."
    if action == "vehicle":
        vehicle = services.vehicle_record(
            acting_user=user, vrm=data["vrm"], make=data["make"], model=data["model"], colour=data["colour"]
        )
        services.link_add(acting_user=user, nominal=nominal, target=vehicle, role=data["role"])
        return "Vehicle linked."
    services.marker_add(
        acting_user=user,
        nominal=nominal,
        kind=data["kind"],
        source=data["source"],
        details=data["details"],
        valid_from=data["valid_from"],
    )
    return "Warning marker set."


@login_required
@permission_required("people.change_nominal", raise_exception=True)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a person: details, and add a name, date of birth, identifier, address or marker."""
    try:
        nominal = access_nominal(request.user, pk, purpose=EDIT_PURPOSE, operation="people.edit")
    except RestrictedRecord as error:
        return render(
            request,
            "people/restricted.html",
            {
                "form": ReasonForm(),
                "nominal": get_or_not_found(Nominal.objects.all(), pk),
                "contact": error.contact,
            },
            status=403,
        )
    if nominal.merged_into_id:
        messages.info(request, f"{nominal.reference} was merged; change the record it was merged into.")
        return redirect(person_url(nominal.merged_into_id, EDIT_PURPOSE))
    bound = {}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in EDIT_FORMS:
        if action == "marker" and not request.user.has_perm("people.add_marker"):
            return HttpResponse("Your role does not allow setting warning markers.", status=403)
        form = EDIT_FORMS[action](request.POST, prefix=action)
        bound[action] = form
        if form.is_valid():
            try:
                done = _apply(request, action, form, nominal)
                messages.success(request, done)
                return redirect(reverse("people:edit", args=[pk]))
            except DomainError as error:
                _put_error(form, error)
    details_initial = {
        "gender": nominal.gender,
        "ethnicity": nominal.ethnicity,
        "description": nominal.description,
        "restricted": nominal.restricted,
        "restriction_contact": nominal.restriction_contact,
    }
    forms_shown = {
        name: bound.get(name)
        or form_class(prefix=name, initial=details_initial if name == "details" else None)
        for name, form_class in EDIT_FORMS.items()
    }
    if not request.user.has_perm("people.add_marker"):
        forms_shown.pop("marker")
    markers = list(WarningMarker.objects.filter(nominal=nominal).order_by("valid_to", "-valid_from"))
    context = {
        "nominal": nominal,
        "forms": forms_shown,
        "markers": markers,
        "names": list(nominal.names.all()),
        "page_title": f"Change {nominal.reference}",
        "view_url": person_url(nominal.pk, EDIT_PURPOSE),
    }
    return render(request, "people/edit.html", context)


@login_required
@permission_required("people.add_marker", raise_exception=True)
@require_POST
def end_marker(request: HttpRequest, pk: int, marker_id: int) -> HttpResponse:
    marker = get_or_not_found(WarningMarker.objects.filter(nominal_id=pk), marker_id, label="marker")
    try:
        services.marker_end(acting_user=request.user, marker=marker, reason=request.POST.get("reason", ""))
        messages.success(request, "Marker ended.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("people:edit", args=[pk]))


@login_required
@permission_required("people.merge_nominal", raise_exception=True)
def duplicates(request: HttpRequest) -> HttpResponse:
    pairs = list(selectors.duplicates_to_review(user=request.user)[:200])
    return render(
        request,
        "people/duplicates.html",
        {"pairs": pairs, "form": DismissForm(), "page_title": "Likely duplicates"},
    )


@login_required
@permission_required("people.merge_nominal", raise_exception=True)
@require_POST
def dismiss(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = get_or_not_found(
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN), pair_id, label="pair"
    )
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.duplicate_dismiss(
                acting_user=request.user, candidate=pair, note=form.cleaned_data["note"]
            )
            messages.success(request, f"{pair.first} and {pair.second} recorded as different people.")
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Say why they are different people (at least a sentence).")
    return redirect("people:duplicates")


@login_required
@permission_required("people.merge_nominal", raise_exception=True)
def merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """Two records side by side; the user chooses which to keep and says why they are one person."""
    try:
        first = selectors.nominal_profile(user=request.user, nominal_id=pk, purpose=MERGE_PURPOSE)
        second = selectors.nominal_profile(user=request.user, nominal_id=other, purpose=MERGE_PURPOSE)
    except RestrictedRecord as error:
        return render(
            request,
            "people/restricted.html",
            {
                "form": ReasonForm(),
                "nominal": get_or_not_found(Nominal.objects.all(), pk),
                "contact": error.contact,
            },
            status=403,
        )
    choices = [
        (str(profile.nominal.pk), f"{profile.nominal.reference} {profile.main_name}")
        for profile in (first, second)
    ]
    form = MergeForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        keep_pk = int(form.cleaned_data["survivor"])
        keep, absorb = (first, second) if keep_pk == first.nominal.pk else (second, first)
        try:
            done = services.nominal_merge(
                acting_user=request.user,
                survivor=keep.nominal,
                merged=absorb.nominal,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"{absorb.nominal.reference} merged into {keep.nominal.reference}.")
            return redirect("people:merge_detail", merge_id=done.pk)
        except DomainError as error:
            _put_error(form, error)
    context = {"first": first, "second": second, "form": form, "page_title": "Merge two records"}
    return render(request, "people/merge.html", context)


@login_required
@permission_required("people.merge_nominal", raise_exception=True)
def merge_detail(request: HttpRequest, merge_id: int) -> HttpResponse:
    found = selectors.merge_record(user=request.user, merge_id=merge_id)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.merge_reverse(acting_user=request.user, merge=found, reason=form.cleaned_data["reason"])
            messages.success(request, "The merge was reversed: both records are back as they were.")
            return redirect("people:merge_detail", merge_id=found.pk)
        except DomainError as error:
            _put_error(form, error)
    moved = found.moved.get("moved", {}) if isinstance(found.moved, dict) else {}
    kept = found.moved.get("kept", {}) if isinstance(found.moved, dict) else {}
    context = {
        "merge": found,
        "moved": {label.replace("_", " "): len(ids) for label, ids in moved.items()},
        "kept": {label.replace("_", " "): len(ids) for label, ids in kept.items()},
        "form": form,
        "purpose": MERGE_PURPOSE,
        "page_title": f"Merge of {found.merged} into {found.survivor}",
    }
    return render(request, "people/merge_detail.html", context)
