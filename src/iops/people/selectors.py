"""Reads of the nominal index, restricted to what the user may see and logged under s.62.

``nominal_search`` is the one search (name, date of birth, identifiers, VRM, address): it needs a
purpose, logs one consultation with the ids it returns, and shows a restricted person only as "a
record exists, ask ...". ``nominal_profile`` is the person page (markers first), ``risk_summary``
and ``people_at_address`` the compact risk views later screens use (a call handler at an address).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from iops.audit.access import check_permission, get_or_not_found
from iops.audit.choices import Action
from iops.audit.models import AccessGrant
from iops.audit.services import audit_record, clean_purpose
from iops.geo.models import Address
from iops.geo.selectors import MAX_LIMIT as ADDRESS_LIMIT
from iops.geo.selectors import address_search
from iops.people.access import access_nominal
from iops.people.choices import DuplicateStatus
from iops.people.codelists import marker_kinds, marker_label
from iops.people.matching.dates import DateOfBirthError, DateOfBirthQuery, parse_date_of_birth_query
from iops.people.matching.keys import identifier_text
from iops.people.matching.normalise import parse_query_name
from iops.people.matching.scoring import SearchQuery
from iops.people.models import (
    DuplicateCandidate,
    Nominal,
    NominalAddress,
    NominalLink,
    NominalMerge,
    Phone,
    PropertyItem,
    Vehicle,
    WarningMarker,
    Weapon,
)
from iops.people.search import NAME_ORDER, SHOW_DUPLICATE, Hit, find, likely_duplicates
from iops.platform.errors import ValidationFailed
from iops.platform.models import default_force, default_force_id

SEARCH = "people.search_nominal"
VIEW = "people.view_nominal"
MERGE = "people.merge_nominal"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
OBJECT_MODELS: tuple[type[Any], ...] = (Vehicle, Phone, Weapon, PropertyItem)


@dataclass(frozen=True)
class MarkerTag:
    """A warning marker as shown: red tags first on every screen that shows the person."""

    code: str
    label: str
    officer_safety: bool


def marker_tags(codes: Iterable[str]) -> list[MarkerTag]:
    kinds = marker_kinds()
    tags = [
        MarkerTag(code, marker_label(code), kinds[code].officer_safety if code in kinds else True)
        for code in sorted(set(codes))
    ]
    return sorted(tags, key=lambda tag: (not tag.officer_safety, tag.label))


@dataclass
class SearchResult:
    """One line of a search result. A restricted person the user may not see has no details."""

    nominal_id: int
    score: float
    matched_on: list[str]
    names: list[str]
    date_of_birth: date | None
    dates_of_birth: list[date]
    markers: list[MarkerTag]
    restricted: bool = False
    restriction_contact: str = ""
    hidden: bool = False

    @property
    def reference(self) -> str:
        return f"P{self.nominal_id:07d}"


@dataclass
class SearchOutcome:
    results: list[SearchResult]
    criteria: dict[str, str]
    purpose: str


def _limit(limit: int | str | None) -> int:
    if limit in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(limit)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ValidationFailed("The limit must be a whole number.", field="limit") from error
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed(f"The limit must be between 1 and {MAX_LIMIT}.", field="limit")
    return value


def parse_date_of_birth(text: str | None) -> DateOfBirthQuery | None:
    try:
        return parse_date_of_birth_query(text, today=timezone.localdate())
    except DateOfBirthError as error:
        raise ValidationFailed(str(error), field="date_of_birth") from error


def _granted(user: Any, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return {
        int(value)
        for value in AccessGrant.objects.filter(
            record_type="people.nominal", record_id__in=[str(pk) for pk in ids], user_id=user.pk
        ).values_list("record_id", flat=True)
    }


def _closest_date(hit: Hit, asked: DateOfBirthQuery | None) -> date | None:
    if not hit.dates_of_birth:
        return None
    if asked is None or asked.start is None:
        return hit.dates_of_birth[0]
    start = asked.start
    return min(hit.dates_of_birth, key=lambda value: abs((value - start).days))


def _people_by_vehicle(vrm: str) -> set[int]:
    norm = identifier_text(vrm)
    if len(norm) < 2:
        raise ValidationFailed("Give at least two letters or digits of the registration mark.", field="vrm")
    vehicles = Vehicle.objects.filter(vrm_norm__contains=norm).values_list("pk", flat=True)[:200]
    return set(
        NominalLink.objects.filter(
            target_type=ContentType.objects.get_for_model(Vehicle), target_id__in=list(vehicles)
        ).values_list("nominal_id", flat=True)
    )


def _people_at_matching_addresses(text: str) -> set[int]:
    """People linked to the addresses the gazetteer's own search finds for the text (postcode, street
    abbreviations and flat numbers handled there)."""
    if len(text.strip()) < 3:
        raise ValidationFailed("Give at least three characters of the address.", field="address")
    ids = [address.pk for address in address_search(text, limit=ADDRESS_LIMIT)]
    return set(NominalAddress.objects.filter(address_id__in=ids).values_list("nominal_id", flat=True))


def _force_id() -> int:
    # Remembered by the process after the first read: a search must not spend a query on it.
    return default_force_id() or default_force().pk


def nominal_search(
    *,
    user: Any,
    purpose: str | None,
    name: str = "",
    date_of_birth: str = "",
    identifier: str = "",
    vrm: str = "",
    address: str = "",
    limit: int | str | None = DEFAULT_LIMIT,
) -> SearchOutcome:
    """Search people by any of name, date of birth, identifier, VRM (part, with or without spaces)
    and address. Needs ``people.search_nominal`` and a purpose; one log entry per search."""
    check_permission(user, SEARCH)
    purpose_text = clean_purpose(purpose)
    count = _limit(limit)
    asked_date = parse_date_of_birth(date_of_birth)
    name = " ".join((name or "").split())
    identifier, vrm, address = (identifier or "").strip(), (vrm or "").strip(), (address or "").strip()
    name_query = parse_query_name(name) if name else None
    if name and (name_query is None or name_query.form.is_empty()):
        raise ValidationFailed("A name must contain letters.", field="name")
    if len(name) > 200:
        raise ValidationFailed("Keep the name under 200 characters.", field="name")
    if not (name or identifier or vrm or address or (asked_date and asked_date.is_exact)):
        raise ValidationFailed(
            "Give a name, a full date of birth, an identifier, a registration mark or an address.",
            field="name",
        )
    within: set[int] | None = None
    linked_reason: dict[str, str] = {}
    if vrm:
        within = _people_by_vehicle(vrm)
        linked_reason["vrm"] = f"linked to a vehicle matching {identifier_text(vrm)}"
    if address:
        at_address = _people_at_matching_addresses(address)
        within = at_address if within is None else within & at_address
        linked_reason["address"] = f"linked to an address matching '{address}'"
    query = SearchQuery(
        name=name_query, date_of_birth=asked_date, identifiers=[identifier] if identifier else []
    )
    hits = (
        []
        if within is not None and not within
        else find(query, force_id=_force_id(), limit=count, within=within)
    )
    if within is not None and not (name_query or asked_date or identifier):
        for hit in hits:
            hit.score = 1.0
    granted = _granted(user, [hit.nominal_id for hit in hits if hit.restricted])
    results = []
    for hit in hits:
        reasons = list(hit.reasons) + list(linked_reason.values())
        if hit.restricted and hit.nominal_id not in granted:
            results.append(
                SearchResult(
                    nominal_id=hit.nominal_id,
                    score=hit.score,
                    matched_on=["restricted record: details withheld"],
                    names=[],
                    date_of_birth=None,
                    dates_of_birth=[],
                    markers=[],
                    restricted=True,
                    restriction_contact=hit.restriction_contact or "the record's owner",
                    hidden=True,
                )
            )
            continue
        results.append(
            SearchResult(
                nominal_id=hit.nominal_id,
                score=hit.score,
                matched_on=reasons,
                names=hit.display_names,
                date_of_birth=_closest_date(hit, asked_date),
                dates_of_birth=hit.dates_of_birth,
                markers=marker_tags(hit.markers),
                restricted=hit.restricted,
                restriction_contact=hit.restriction_contact,
            )
        )
    criteria = {
        key: value
        for key, value in (
            ("name", name),
            ("date_of_birth", date_of_birth or ""),
            ("identifier", identifier),
            ("vrm", vrm),
            ("address", address),
        )
        if value
    }
    # audit_record opens its own transaction: one BEGIN/INSERT/COMMIT, no savepoint.
    audit_record(
        actor=user,
        action=Action.CONSULTATION,
        operation="people.search",
        record_type="people.nominal",
        purpose=purpose_text,
        detail={"criteria": criteria, "ids": [result.nominal_id for result in results]},
    )
    return SearchOutcome(results=results, criteria=criteria, purpose=purpose_text)


# --- one person ----------------------------------------------------------------------------------


@dataclass
class MarkerView:
    code: str
    label: str
    officer_safety: bool
    details: str
    valid_from: date
    valid_to: date | None
    source: str
    set_by: str
    active: bool
    pk: int = 0


@dataclass
class LinkView:
    pk: int
    role: str
    kind: str
    label: str
    target_type: str
    target_id: int
    valid_from: date | None
    valid_to: date | None


@dataclass
class PersonProfile:
    """Everything the person page shows, in the order it shows it: markers first."""

    nominal: Nominal
    markers: list[MarkerView]
    events: list[LinkView]
    addresses: list[NominalAddress]
    objects: list[LinkView]
    names: list[Any]
    dates_of_birth: list[Any]
    identifiers: list[Any]
    merged_into: int | None
    merges: list[NominalMerge] = field(default_factory=list)

    @property
    def main_name(self) -> str:
        return self.names[0].display if self.names else self.nominal.reference

    @property
    def active_markers(self) -> list[MarkerView]:
        return [marker for marker in self.markers if marker.active]


def _marker_views(markers: Iterable[WarningMarker]) -> list[MarkerView]:
    kinds = marker_kinds()
    views = [
        MarkerView(
            code=marker.kind,
            label=marker_label(marker.kind),
            officer_safety=kinds[marker.kind].officer_safety if marker.kind in kinds else True,
            details=marker.details,
            valid_from=marker.valid_from,
            valid_to=marker.valid_to,
            source=marker.source,
            set_by=str(marker.set_by) if marker.set_by else "system",
            active=marker.is_active,
            pk=marker.pk,
        )
        for marker in markers
    ]
    return sorted(views, key=lambda view: (not view.active, not view.officer_safety, view.label))


def _link_views(links: Iterable[NominalLink]) -> tuple[list[LinkView], list[LinkView]]:
    events: list[LinkView] = []
    objects: list[LinkView] = []
    for link in links:
        target = link.target
        model = link.target_type.model_class()
        view = LinkView(
            pk=link.pk,
            role=link.get_role_display(),
            kind=str(model._meta.verbose_name).capitalize() if model else link.target_type.model,
            label=str(target) if target is not None else f"{link.target_type.model} {link.target_id}",
            target_type=f"{link.target_type.app_label}.{link.target_type.model}",
            target_id=link.target_id,
            valid_from=link.valid_from,
            valid_to=link.valid_to,
        )
        (objects if model in OBJECT_MODELS else events).append(view)
    return events, objects


def nominal_profile(
    *, user: Any, nominal_id: Any, purpose: str | None, break_glass_reason: str | None = None
) -> PersonProfile:
    """The person page's content, after the access check and the logged consultation."""
    nominal = access_nominal(user, nominal_id, purpose=purpose, break_glass_reason=break_glass_reason)
    names = list(nominal.names.all().order_by("id"))
    order = {"current": 0, "birth": 1}
    names.sort(key=lambda name: (order.get(name.kind, 2), name.pk))
    links = list(
        NominalLink.objects.filter(nominal=nominal).select_related("target_type").prefetch_related("target")
    )
    events, objects = _link_views(links)
    return PersonProfile(
        nominal=nominal,
        markers=_marker_views(nominal.markers.select_related("set_by")),
        events=events,
        addresses=list(nominal.addresses.select_related("address").order_by("valid_to", "-valid_from", "id")),
        objects=objects,
        names=names,
        dates_of_birth=list(nominal.dates_of_birth.all()),
        identifiers=list(nominal.identifiers.all()),
        merged_into=nominal.merged_into_id,
        merges=list(
            NominalMerge.objects.filter(Q(survivor=nominal) | Q(merged=nominal)).select_related(
                "survivor", "merged"
            )
        ),
    )


@dataclass
class RiskSummary:
    """The compact at-a-glance view of one person: who, markers, where, what events."""

    nominal_id: int
    reference: str
    name: str
    other_names: list[str]
    dates_of_birth: list[date]
    markers: list[MarkerView]
    current_addresses: list[str]
    events: int
    restricted: bool
    hidden: bool = False
    restriction_contact: str = ""
    role_at_address: str = ""


def _summary_of(nominal: Nominal) -> RiskSummary:
    names = sorted(
        nominal.names.all(), key=lambda name: ({"current": 0, "birth": 1}.get(name.kind, 2), name.pk)
    )
    today = timezone.localdate()
    markers = [view for view in _marker_views(nominal.markers.all()) if view.active]
    addresses = [
        link.address.full_address
        for link in nominal.addresses.all()
        if link.valid_to is None or link.valid_to >= today
    ]
    event_links = [
        link for link in nominal.links.all() if link.target_type.model_class() not in OBJECT_MODELS
    ]
    return RiskSummary(
        nominal_id=nominal.pk,
        reference=nominal.reference,
        name=names[0].display if names else nominal.reference,
        other_names=[name.display for name in names[1:]],
        dates_of_birth=[item.value for item in nominal.dates_of_birth.all()],
        markers=markers,
        current_addresses=addresses,
        events=len(event_links),
        restricted=nominal.restricted,
    )


def _summary_queryset() -> QuerySet[Nominal]:
    return Nominal.objects.prefetch_related(
        "names", "dates_of_birth", "markers", "addresses__address", "links__target_type"
    )


def risk_summary(
    *, user: Any, nominal_id: Any, purpose: str | None, break_glass_reason: str | None = None
) -> RiskSummary:
    """One person's risk summary (markers, addresses, events), logged as a consultation."""
    nominal = access_nominal(
        user, nominal_id, purpose=purpose, break_glass_reason=break_glass_reason, operation="people.summary"
    )
    return _summary_of(_summary_queryset().get(pk=nominal.pk))


@dataclass
class AddressSummary:
    address_id: int
    address: str
    people: list[RiskSummary]


def people_at_address(
    *, user: Any, address_id: Any, purpose: str | None, include_past: bool = False
) -> AddressSummary:
    """Who is linked to an address and their markers (for a call handler creating an incident).
    Restricted people show as "a restricted record: ask ..."; one log entry with the ids shown."""
    check_permission(user, VIEW)
    purpose_text = clean_purpose(purpose)
    address = get_or_not_found(Address.objects.all(), address_id, label="address")
    today = timezone.localdate()
    links = NominalAddress.objects.filter(address=address)
    if not include_past:
        links = links.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    roles: dict[int, str] = {}
    for link in links.order_by("id"):
        roles.setdefault(link.nominal_id, link.get_role_display())
    nominals = list(_summary_queryset().filter(pk__in=list(roles), merged_into__isnull=True).order_by("pk"))
    granted = _granted(user, [nominal.pk for nominal in nominals if nominal.restricted])
    people = []
    for nominal in nominals:
        if nominal.restricted and nominal.pk not in granted:
            summary = RiskSummary(
                nominal_id=nominal.pk,
                reference=nominal.reference,
                name="Restricted record",
                other_names=[],
                dates_of_birth=[],
                markers=[],
                current_addresses=[],
                events=0,
                restricted=True,
                hidden=True,
                restriction_contact=nominal.restriction_contact or "the record's owner",
            )
        else:
            summary = _summary_of(nominal)
        summary.role_at_address = roles.get(nominal.pk, "")
        people.append(summary)
    # Officer-safety markers first, so the person a call handler must mention is at the top.
    people.sort(
        key=lambda person: (
            -sum(marker.officer_safety for marker in person.markers),
            -len(person.markers),
            person.nominal_id,
        )
    )
    # audit_record opens its own transaction: one BEGIN/INSERT/COMMIT, no savepoint.
    audit_record(
        actor=user,
        action=Action.CONSULTATION,
        operation="people.at_address",
        record_type="geo.address",
        record_id=address.pk,
        purpose=purpose_text,
        detail={"ids": [person.nominal_id for person in people]},
    )
    return AddressSummary(address_id=address.pk, address=address.full_address, people=people)


# --- duplicates ----------------------------------------------------------------------------------


def duplicates_to_review(*, user: Any) -> QuerySet[DuplicateCandidate]:
    """Open pairs of likely duplicates, best first, for someone who may merge. The list shows
    references and scores only; opening a pair is a logged view of each person."""
    check_permission(user, MERGE)
    return (
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN, first__merged_into__isnull=True, second__merged_into__isnull=True
        )
        .select_related("first", "second")
        .order_by("-score", "id")
    )


def possible_duplicates(
    *,
    user: Any,
    purpose: str | None,
    names: Sequence[tuple[str, str]],
    dates_of_birth: Sequence[date],
    identifiers: Sequence[str] = (),
) -> list[SearchResult]:
    """People who may already be the one about to be created, for the create page to show before
    saving. Searches as ``nominal_search`` does (same permission, masking and log)."""
    check_permission(user, SEARCH)
    purpose_text = clean_purpose(purpose)
    found = likely_duplicates(
        names=list(names),
        dates_of_birth=list(dates_of_birth),
        identifiers=list(identifiers),
        force_id=_force_id(),
    )
    ids = [pk for pk, score, _ in found if score >= SHOW_DUPLICATE]
    scores = {pk: (score, reasons) for pk, score, reasons in found}
    nominals = {nominal.pk: nominal for nominal in _summary_queryset().filter(pk__in=ids)}
    granted = _granted(user, [pk for pk in ids if pk in nominals and nominals[pk].restricted])
    results = []
    for pk in ids:
        nominal = nominals.get(pk)
        if nominal is None:
            continue
        score, reasons = scores[pk]
        if nominal.restricted and pk not in granted:
            results.append(
                SearchResult(
                    pk,
                    score,
                    ["restricted record: details withheld"],
                    [],
                    None,
                    [],
                    [],
                    True,
                    nominal.restriction_contact,
                    True,
                )
            )
            continue
        summary = _summary_of(nominal)
        recorded = sorted(nominal.names.all(), key=lambda entry: (NAME_ORDER.get(entry.kind, 9), entry.pk))
        results.append(
            SearchResult(
                nominal_id=pk,
                score=score,
                matched_on=reasons,
                # As entered, like search results, so the two lists read alike.
                names=[
                    " ".join(part for part in (row.given_names, row.family_name) if part) for row in recorded
                ],
                date_of_birth=summary.dates_of_birth[0] if summary.dates_of_birth else None,
                dates_of_birth=summary.dates_of_birth,
                markers=marker_tags(marker.code for marker in summary.markers),
                restricted=nominal.restricted,
            )
        )
    # audit_record opens its own transaction: one BEGIN/INSERT/COMMIT, no savepoint.
    audit_record(
        actor=user,
        action=Action.CONSULTATION,
        operation="people.duplicate_check",
        record_type="people.nominal",
        purpose=purpose_text,
        detail={"ids": [result.nominal_id for result in results]},
    )
    return results


def merge_record(*, user: Any, merge_id: Any) -> NominalMerge:
    check_permission(user, MERGE)
    return get_or_not_found(
        NominalMerge.objects.select_related("survivor", "merged", "merged_by", "reversed_by"),
        merge_id,
        label="merge",
    )
