"""People API, mounted at /api/v1/people: create, search, view, risk summaries, changes and merges.

Reads of personal data need a purpose: the ``purpose`` query parameter or an ``X-Purpose`` header
(a client may set it once for a session of work). Dates are ISO ``YYYY-MM-DD``; a search also takes
a year (``1980``) or a range (``1980-01-01..1985-12-31``). Errors are ``{"code", "message",
"field"}`` with a 4xx status, e.g. ``purpose_required`` (field ``purpose``) or ``invalid`` (field
``date_of_birth``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from iops.audit.access import get_or_not_found
from iops.people import selectors, services
from iops.people.choices import AddressRole, NameKind
from iops.people.matching.normalise import fold, is_particle
from iops.people.models import DuplicateCandidate, Nominal, NominalMerge
from iops.people.selectors import MarkerView, RiskSummary, SearchResult
from iops.platform.errors import ValidationFailed

router = Router(tags=["people"])


def _purpose(request: HttpRequest, purpose: str | None) -> str | None:
    return purpose if (purpose or "").strip() else request.headers.get("X-Purpose")


def _date(text: str | None, field: str) -> date | None:
    if text is None or not str(text).strip():
        return None
    try:
        return services.parse_birth_date(str(text))
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=field) from error


def _plain_date(text: str | None, field: str) -> date | None:
    """A date that is not a date of birth (a marker's or an address's start or end)."""
    if text is None or not str(text).strip():
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError as error:
        raise ValidationFailed(f"'{text}' is not a date; use YYYY-MM-DD.", field=field) from error


# --- schemas -------------------------------------------------------------------------------------


class NameIn(Schema):
    given_names: str = ""
    family_name: str = ""
    kind: str = NameKind.BIRTH
    title: str = ""


class IdentifierIn(Schema):
    kind: str
    value: str


class AddressIn(Schema):
    address_id: int
    role: str = AddressRole.RESIDENT
    valid_from: str | None = None
    valid_to: str | None = None


class PersonIn(Schema):
    """A person to create. Give ``names``, or one name as ``given_names`` + ``family_name`` (also
    accepted as ``given_name``/``first_name`` and ``surname``/``last_name``), or as free text in
    ``name`` ("Given Family" or "Family, Given")."""

    names: list[NameIn] = []
    given_names: str = ""
    family_name: str = ""
    given_name: str = ""
    first_name: str = ""
    surname: str = ""
    last_name: str = ""
    name: str = ""
    date_of_birth: str | None = None
    dates_of_birth: list[str] = []
    gender: str = "unknown"
    ethnicity: str = ""
    description: str = ""
    identifiers: list[IdentifierIn] = []
    addresses: list[AddressIn] = []
    restricted: bool = False
    restriction_contact: str = ""


class DuplicateOut(Schema):
    id: int
    score: float
    matched_on: list[str]


class CreatedOut(Schema):
    id: int
    reference: str
    possible_duplicates: list[DuplicateOut]


class MarkerTagOut(Schema):
    code: str
    label: str
    officer_safety: bool


class ResultOut(Schema):
    id: int
    reference: str
    names: list[str]
    date_of_birth: date | None
    dates_of_birth: list[date]
    score: float
    matched_on: list[str]
    markers: list[MarkerTagOut]
    restricted: bool
    restriction_contact: str | None


class SearchOut(Schema):
    count: int
    results: list[ResultOut]


class MarkerOut(Schema):
    id: int
    code: str
    label: str
    officer_safety: bool
    details: str
    valid_from: date
    valid_to: date | None
    source: str
    set_by: str
    active: bool


class NameOut(Schema):
    id: int
    kind: str
    title: str
    given_names: str
    family_name: str


class AddressOut(Schema):
    id: int
    address_id: int
    uprn: int
    address: str
    role: str
    valid_from: date | None
    valid_to: date | None


class LinkOut(Schema):
    id: int
    role: str
    kind: str
    label: str
    target_type: str
    target_id: int


class IdentifierOut(Schema):
    id: int
    kind: str
    value: str


class PersonOut(Schema):
    id: int
    reference: str
    names: list[NameOut]
    dates_of_birth: list[date]
    gender: str
    ethnicity: str
    description: str
    identifiers: list[IdentifierOut]
    markers: list[MarkerOut]
    addresses: list[AddressOut]
    events: list[LinkOut]
    objects: list[LinkOut]
    restricted: bool
    merged_into: int | None


class SummaryOut(Schema):
    id: int
    reference: str
    name: str
    other_names: list[str]
    dates_of_birth: list[date]
    markers: list[MarkerOut]
    current_addresses: list[str]
    events: int
    restricted: bool
    details_withheld: bool
    restriction_contact: str
    role_at_address: str


class AddressPeopleOut(Schema):
    address_id: int
    address: str
    people: list[SummaryOut]


class PersonChangeIn(Schema):
    gender: str | None = None
    ethnicity: str | None = None
    description: str | None = None
    restricted: bool | None = None
    restriction_contact: str | None = None


class DateIn(Schema):
    date_of_birth: str
    source: str = ""


class MarkerIn(Schema):
    kind: str
    source: str
    details: str = ""
    valid_from: str | None = None
    valid_to: str | None = None


class CreatedIdOut(Schema):
    id: int


class VehicleIn(Schema):
    vrm: str
    make: str = ""
    model: str = ""
    colour: str = ""
    role: str = "keeper"


class VehicleLinkOut(Schema):
    id: int
    vehicle_id: int


class MergeIn(Schema):
    survivor_id: int
    merged_id: int
    reason: str


class ReasonIn(Schema):
    reason: str


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    reason: str
    moved: dict[str, int]
    reversed: bool


class PairOut(Schema):
    id: int
    first_id: int
    second_id: int
    score: float
    matched_on: list[str]
    source: str


# --- conversions ---------------------------------------------------------------------------------


def _result_json(result: SearchResult) -> dict[str, Any]:
    """A search result as ResultOut renders it."""
    born = result.date_of_birth
    return {
        "id": result.nominal_id,
        "reference": result.reference,
        "names": list(result.names),
        "date_of_birth": born.isoformat() if born is not None else None,
        "dates_of_birth": [day.isoformat() for day in result.dates_of_birth],
        "score": float(result.score),
        "matched_on": list(result.matched_on),
        "markers": [
            {"code": tag.code, "label": tag.label, "officer_safety": bool(tag.officer_safety)}
            for tag in result.markers
        ],
        "restricted": bool(result.restricted),
        "restriction_contact": result.restriction_contact or None,
    }


def _marker_out(view: MarkerView) -> MarkerOut:
    return MarkerOut(
        id=view.pk,
        code=view.code,
        label=view.label,
        officer_safety=view.officer_safety,
        details=view.details,
        valid_from=view.valid_from,
        valid_to=view.valid_to,
        source=view.source,
        set_by=view.set_by,
        active=view.active,
    )


def _summary_out(summary: RiskSummary) -> SummaryOut:
    return SummaryOut(
        id=summary.nominal_id,
        reference=summary.reference,
        name=summary.name,
        other_names=summary.other_names,
        dates_of_birth=summary.dates_of_birth,
        markers=[_marker_out(marker) for marker in summary.markers],
        current_addresses=summary.current_addresses,
        events=summary.events,
        restricted=summary.restricted,
        details_withheld=summary.hidden,
        restriction_contact=summary.restriction_contact,
        role_at_address=summary.role_at_address,
    )


def _merge_out(merge: NominalMerge) -> MergeOut:
    moved = merge.moved.get("moved", {}) if isinstance(merge.moved, dict) else {}
    return MergeOut(
        id=merge.pk,
        survivor_id=merge.survivor_id,
        merged_id=merge.merged_id,
        reason=merge.reason,
        moved={label: len(ids) for label, ids in moved.items()},
        reversed=merge.is_reversed,
    )


def _split_name(text: str) -> tuple[str, str]:
    """Free text as (given names, family name): "Family, Given", or the last word (with any
    particles before it, "Sean O Brien") as the family name."""
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip(), family.strip()
    words = text.split()
    cut = len(words) - 1
    while cut > 0 and is_particle(fold(words[cut - 1])):
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def _nominal(pk: int) -> Nominal:
    return get_or_not_found(Nominal.objects.all(), pk, label="person")


# --- endpoints -----------------------------------------------------------------------------------


@router.post(
    "", response={201: CreatedOut}, summary="Create a person; returns the new id and likely duplicates"
)
def create_person(request: HttpRequest, payload: PersonIn) -> Status:
    names = [
        services.NameInput(name.given_names, name.family_name, name.kind, name.title)
        for name in payload.names
    ]
    given = payload.given_names or payload.given_name or payload.first_name
    family = payload.family_name or payload.surname or payload.last_name
    if not (given or family) and payload.name.strip():
        given, family = _split_name(payload.name)
    if given or family:
        names.insert(0, services.NameInput(given, family))
    dates = [value for value in (_date(payload.date_of_birth, "date_of_birth"),) if value is not None]
    dates += [
        value
        for value in (_date(text, "dates_of_birth") for text in payload.dates_of_birth)
        if value is not None
    ]
    nominal = services.nominal_create(
        acting_user=request.user,
        names=names,
        dates_of_birth=dates,
        gender=payload.gender,
        ethnicity=payload.ethnicity,
        description=payload.description,
        identifiers=[services.IdentifierInput(item.kind, item.value) for item in payload.identifiers],
        addresses=[
            services.AddressInput(
                item.address_id,
                item.role,
                _plain_date(item.valid_from, "valid_from"),
                _plain_date(item.valid_to, "valid_to"),
            )
            for item in payload.addresses
        ],
        restricted=payload.restricted,
        restriction_contact=payload.restriction_contact,
    )
    pairs = DuplicateCandidate.objects.filter(first_id=nominal.pk) | DuplicateCandidate.objects.filter(
        second_id=nominal.pk
    )
    duplicates = [
        DuplicateOut(
            id=pair.second_id if pair.first_id == nominal.pk else pair.first_id,
            score=pair.score,
            matched_on=list(pair.reasons),
        )
        for pair in pairs.order_by("-score")
    ]
    return Status(201, CreatedOut(id=nominal.pk, reference=nominal.reference, possible_duplicates=duplicates))


@router.get("/search", response=SearchOut, summary="Search people by name, date of birth and more")
def search_people(
    request: HttpRequest,
    name: str = "",
    date_of_birth: str = "",
    purpose: str = "",
    limit: int = selectors.DEFAULT_LIMIT,
    identifier: str = "",
    vrm: str = "",
    address: str = "",
) -> SearchOut:
    """Ranked people. ``name`` is free text ("Given Family", "Family, Given" or one word);
    ``date_of_birth`` is YYYY-MM-DD, a year, or ``from..to``; ``purpose`` is required (logged)."""
    outcome = selectors.nominal_search(
        user=request.user,
        purpose=_purpose(request, purpose),
        name=name,
        date_of_birth=date_of_birth,
        identifier=identifier,
        vrm=vrm,
        address=address,
        limit=limit,
    )
    # The most frequent read of the records half: its answer is written straight to JSON in the
    # shape of SearchOut (which documents it), not built as schema objects and then checked
    # against the same schema again: that took a tenth of a search's time.
    body = {"count": len(outcome.results), "results": [_result_json(result) for result in outcome.results]}
    return HttpResponse(json.dumps(body, separators=(",", ":")), content_type="application/json")  # type: ignore[return-value]


@router.get("/duplicates", response=list[PairOut], summary="Likely duplicates awaiting review")
def duplicates(request: HttpRequest, limit: int = 100) -> list[PairOut]:
    pairs = selectors.duplicates_to_review(user=request.user)[: max(1, min(limit, 500))]
    return [
        PairOut(
            id=pair.pk,
            first_id=pair.first_id,
            second_id=pair.second_id,
            score=pair.score,
            matched_on=list(pair.reasons),
            source=pair.source,
        )
        for pair in pairs
    ]


@router.get("/at-address/{int:address_id}", response=AddressPeopleOut, summary="People linked to an address")
def at_address(
    request: HttpRequest, address_id: int, purpose: str = "", include_past: bool = False
) -> AddressPeopleOut:
    found = selectors.people_at_address(
        user=request.user,
        address_id=address_id,
        purpose=_purpose(request, purpose),
        include_past=include_past,
    )
    return AddressPeopleOut(
        address_id=found.address_id,
        address=found.address,
        people=[_summary_out(person) for person in found.people],
    )


@router.get("/{int:nominal_id}", response=PersonOut, summary="One person (purpose required)")
def get_person(
    request: HttpRequest, nominal_id: int, purpose: str = "", break_glass_reason: str = ""
) -> PersonOut:
    profile = selectors.nominal_profile(
        user=request.user,
        nominal_id=nominal_id,
        purpose=_purpose(request, purpose),
        break_glass_reason=break_glass_reason or None,
    )
    nominal = profile.nominal
    return PersonOut(
        id=nominal.pk,
        reference=nominal.reference,
        names=[
            NameOut(id=n.pk, kind=n.kind, title=n.title, given_names=n.given_names, family_name=n.family_name)
            for n in profile.names
        ],
        dates_of_birth=[item.value for item in profile.dates_of_birth],
        gender=nominal.gender,
        ethnicity=nominal.ethnicity,
        description=nominal.description,
        identifiers=[
            IdentifierOut(id=item.pk, kind=item.kind, value=item.value) for item in profile.identifiers
        ],
        markers=[_marker_out(marker) for marker in profile.markers],
        addresses=[
            AddressOut(
                id=link.pk,
                address_id=link.address_id,
                uprn=link.address.uprn,
                address=link.address.full_address,
                role=link.role,
                valid_from=link.valid_from,
                valid_to=link.valid_to,
            )
            for link in profile.addresses
        ],
        events=[_link_out(view) for view in profile.events],
        objects=[_link_out(view) for view in profile.objects],
        restricted=nominal.restricted,
        merged_into=profile.merged_into,
    )


def _link_out(view: selectors.LinkView) -> LinkOut:
    return LinkOut(
        id=view.pk,
        role=view.role,
        kind=view.kind,
        label=view.label,
        target_type=view.target_type,
        target_id=view.target_id,
    )


@router.get(
    "/{int:nominal_id}/summary", response=SummaryOut, summary="A person's risk summary (markers first)"
)
def summary(
    request: HttpRequest, nominal_id: int, purpose: str = "", break_glass_reason: str = ""
) -> SummaryOut:
    found = selectors.risk_summary(
        user=request.user,
        nominal_id=nominal_id,
        purpose=_purpose(request, purpose),
        break_glass_reason=break_glass_reason or None,
    )
    return _summary_out(found)


@router.patch("/{int:nominal_id}", response=CreatedIdOut, summary="Change a person's details")
def change_person(request: HttpRequest, nominal_id: int, payload: PersonChangeIn) -> CreatedIdOut:
    nominal = services.nominal_update(
        acting_user=request.user, nominal=_nominal(nominal_id), **payload.dict()
    )
    return CreatedIdOut(id=nominal.pk)


@router.post(
    "/{int:nominal_id}/names", response={201: CreatedIdOut}, summary="Add a name (alias, nickname...)"
)
def add_name(request: HttpRequest, nominal_id: int, payload: NameIn) -> Status:
    row = services.name_add(
        acting_user=request.user,
        nominal=_nominal(nominal_id),
        name=services.NameInput(payload.given_names, payload.family_name, payload.kind, payload.title),
    )
    return Status(201, CreatedIdOut(id=row.pk))


@router.post("/{int:nominal_id}/dates-of-birth", response={201: CreatedIdOut}, summary="Add a date of birth")
def add_date_of_birth(request: HttpRequest, nominal_id: int, payload: DateIn) -> Status:
    value = _date(payload.date_of_birth, "date_of_birth")
    if value is None:
        raise ValidationFailed("Give the date of birth, e.g. 1980-02-01.", field="date_of_birth")
    row = services.date_of_birth_add(
        acting_user=request.user, nominal=_nominal(nominal_id), value=value, source=payload.source
    )
    return Status(201, CreatedIdOut(id=row.pk))


@router.post("/{int:nominal_id}/identifiers", response={201: CreatedIdOut}, summary="Add an identifier")
def add_identifier(request: HttpRequest, nominal_id: int, payload: IdentifierIn) -> Status:
    row = services.identifier_add(
        acting_user=request.user, nominal=_nominal(nominal_id), kind=payload.kind, value=payload.value
    )
    return Status(201, CreatedIdOut(id=row.pk))


@router.post(
    "/{int:nominal_id}/addresses", response={201: CreatedIdOut}, summary="Link a person to an address"
)
def add_address(request: HttpRequest, nominal_id: int, payload: AddressIn) -> Status:
    row = services.address_link(
        acting_user=request.user,
        nominal=_nominal(nominal_id),
        address_id=payload.address_id,
        role=payload.role,
        valid_from=_plain_date(payload.valid_from, "valid_from"),
        valid_to=_plain_date(payload.valid_to, "valid_to"),
    )
    return Status(201, CreatedIdOut(id=row.pk))


@router.post("/{int:nominal_id}/markers", response={201: CreatedIdOut}, summary="Set a warning marker")
def add_marker(request: HttpRequest, nominal_id: int, payload: MarkerIn) -> Status:
    marker = services.marker_add(
        acting_user=request.user,
        nominal=_nominal(nominal_id),
        kind=payload.kind,
        source=payload.source,
        details=payload.details,
        valid_from=_plain_date(payload.valid_from, "valid_from"),
        valid_to=_plain_date(payload.valid_to, "valid_to"),
    )
    return Status(201, CreatedIdOut(id=marker.pk))


@router.post(
    "/{int:nominal_id}/vehicles",
    response={201: VehicleLinkOut},
    summary="Link a person to a vehicle by its VRM",
)
def add_vehicle(request: HttpRequest, nominal_id: int, payload: VehicleIn) -> Status:
    nominal = _nominal(nominal_id)
    vehicle = services.vehicle_record(
        acting_user=request.user,
        vrm=payload.vrm,
        make=payload.make,
        model=payload.model,
        colour=payload.colour,
    )
    link = services.link_add(acting_user=request.user, nominal=nominal, target=vehicle, role=payload.role)
    return Status(201, VehicleLinkOut(id=link.pk, vehicle_id=vehicle.pk))


@router.post("/merges", response={201: MergeOut}, summary="Merge two records of one person (reason required)")
def merge(request: HttpRequest, payload: MergeIn) -> Status:
    done = services.nominal_merge(
        acting_user=request.user,
        survivor=_nominal(payload.survivor_id),
        merged=_nominal(payload.merged_id),
        reason=payload.reason,
    )
    return Status(201, _merge_out(done))


@router.post("/merges/{int:merge_id}/reverse", response=MergeOut, summary="Reverse a merge (reason required)")
def reverse_merge(request: HttpRequest, merge_id: int, payload: ReasonIn) -> MergeOut:
    found = selectors.merge_record(user=request.user, merge_id=merge_id)
    return _merge_out(services.merge_reverse(acting_user=request.user, merge=found, reason=payload.reason))
