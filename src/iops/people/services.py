"""Writers of the nominal index: people, their names, dates, identifiers, addresses and markers;
objects and links; merges and their reversal; the duplicate scan; and the bulk loader.

Each service checks the acting user's permission (``acting_user=None`` is the system: demo data,
imports, scheduled jobs), validates, writes its rows and the person's search entry, and writes the
s.62 entry in one transaction; events go out after commit. Nothing about a person is deleted: a
merge moves rows and records which, so ``merge_reverse`` puts every one back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from iops.audit.access import RestrictedRecord, check_permission, has_grant
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.geo.models import Address
from iops.people import events
from iops.people.choices import (
    AddressRole,
    DuplicateSource,
    DuplicateStatus,
    Gender,
    IdentifierKind,
    LinkRole,
    NameKind,
    WeaponKind,
)
from iops.people.codelists import ethnicities, marker_kinds
from iops.people.matching import phonetic
from iops.people.matching.dates import parse_date_of_birth_query
from iops.people.matching.keys import identifier_text
from iops.people.matching.normalise import NameForm, NameQuery
from iops.people.matching.scoring import Candidate, SearchQuery, rank_one
from iops.people.models import (
    DuplicateCandidate,
    Nominal,
    NominalAddress,
    NominalDateOfBirth,
    NominalIdentifier,
    NominalLink,
    NominalMerge,
    NominalName,
    Phone,
    PropertyItem,
    SearchEntry,
    Vehicle,
    WarningMarker,
    Weapon,
)
from iops.people.search import RECORD_DUPLICATE, IndexRecord, entry_rows, index_nominals, likely_duplicates
from iops.platform.errors import Conflict, ValidationFailed, check_lengths
from iops.platform.events import publish
from iops.platform.models import default_force

EARLIEST_BIRTH = date(1880, 1, 1)
MIN_REASON = 10
COLLECTION_PURPOSE = "Recording a person in the nominal index"


# --- input and validation ------------------------------------------------------------------------


@dataclass(frozen=True)
class NameInput:
    """A name as entered: either part may be blank, not both."""

    given_names: str = ""
    family_name: str = ""
    kind: str = NameKind.BIRTH
    title: str = ""


@dataclass(frozen=True)
class IdentifierInput:
    kind: str
    value: str


@dataclass(frozen=True)
class AddressInput:
    address_id: int
    role: str = AddressRole.RESIDENT
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class MarkerInput:
    kind: str
    source: str
    details: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


_IDENTIFIER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    IdentifierKind.PNC_ID: (
        re.compile(r"^(\d{2}|\d{4})/\d{1,7}[A-Z]$"),
        "A PNC ID is the year, a slash, up to 7 digits and a check letter, e.g. 2019/0012345X.",
    ),
    IdentifierKind.CRO: (
        re.compile(r"^\d{1,6}/\d{2}[A-Z]$"),
        "A CRO number is up to 6 digits, a slash, 2 digits of the year and a check letter, e.g. 123456/19K.",
    ),
    IdentifierKind.NI_NUMBER: (
        re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$"),
        "A National Insurance number is two letters, six digits and A, B, C or D, e.g. AB123456C.",
    ),
    IdentifierKind.PASSPORT: (
        re.compile(r"^[A-Z0-9]{6,12}$"),
        "A passport number is 6 to 12 letters and digits.",
    ),
    IdentifierKind.DRIVING_LICENCE: (
        re.compile(r"^[A-Z0-9]{5,18}$"),
        "A driving licence number is 5 to 18 letters and digits (16 for a GB licence).",
    ),
    IdentifierKind.PHONE: (
        re.compile(r"^\+?\d{7,15}$"),
        "A phone number is 7 to 15 digits, optionally with +.",
    ),
    IdentifierKind.EMAIL: (
        re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        "Enter an email address like name@example.org.",
    ),
}


def _clean_identifier(kind: str, value: str) -> tuple[str, str]:
    """The identifier as stored (trimmed) and as compared; raises a clear error for a bad one."""
    if kind not in IdentifierKind.values:
        raise ValidationFailed(f"Unknown identifier kind '{kind}'.", field="identifiers")
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed("Enter the identifier's value.", field="identifiers")
    if len(text) > 100:
        raise ValidationFailed("An identifier is at most 100 characters.", field="identifiers")
    compact = text.upper().replace(" ", "").replace("-", "")
    if kind == IdentifierKind.PHONE:
        compact = compact.replace("(", "").replace(")", "")
    if kind == IdentifierKind.EMAIL:
        compact = text.lower()
    pattern, message = _IDENTIFIER_FORMATS[kind]
    if not pattern.match(compact):
        raise ValidationFailed(message, field="identifiers")
    return text, identifier_text(compact) if kind != IdentifierKind.EMAIL else compact


def _clean_name(name: NameInput) -> NameInput:
    given = " ".join(name.given_names.split())
    family = " ".join(name.family_name.split())
    if name.kind not in NameKind.values:
        raise ValidationFailed(f"Unknown kind of name '{name.kind}'.", field="kind")
    if not given and not family:
        raise ValidationFailed("Enter a given name or a family name (or both).", field="family_name")
    if len(given) > 200 or len(family) > 200:
        raise ValidationFailed("A name part is at most 200 characters.", field="family_name")
    if NameForm.from_parts(given, family).is_empty():
        raise ValidationFailed("A name must contain letters.", field="family_name")
    return NameInput(given_names=given, family_name=family, kind=name.kind, title=name.title.strip()[:32])


def _clean_birth_date(value: date) -> date:
    if value > timezone.localdate():
        raise ValidationFailed("A date of birth cannot be in the future.", field="date_of_birth")
    if value < EARLIEST_BIRTH:
        raise ValidationFailed(f"A date of birth must be after {EARLIEST_BIRTH:%Y}.", field="date_of_birth")
    return value


def parse_birth_date(text: str) -> date:
    """A date of birth given as text (YYYY-MM-DD or DD/MM/YYYY), or a field error."""
    try:
        parsed = parse_date_of_birth_query(text)
    except ValueError as error:
        raise ValidationFailed(str(error), field="date_of_birth") from error
    if parsed is None or parsed.exact is None:
        raise ValidationFailed("Give the full date of birth, e.g. 1980-02-01.", field="date_of_birth")
    return _clean_birth_date(parsed.exact)


def _reason(text: str, field_name: str = "reason") -> str:
    cleaned = (text or "").strip()
    if len(cleaned) < MIN_REASON:
        raise ValidationFailed("Give a reason (at least a sentence): it is recorded.", field=field_name)
    return cleaned


def _require(user: Any, permission: str) -> None:
    """System actions (user None) are trusted; people need the permission."""
    if user is not None:
        check_permission(user, permission)


def _name_columns(name: NameInput) -> dict[str, str]:
    form = NameForm.from_parts(name.given_names, name.family_name)
    phonetic.ensure([form.forename, form.family_joined])
    given_codes = phonetic.known(form.forename) if form.forename else ("", "")
    family_codes = phonetic.known(form.family_joined) if form.family_joined else ("", "")
    given_norm, family_norm = " ".join(form.given), " ".join(form.family)
    return {
        "given_norm": given_norm,
        "family_norm": family_norm,
        "full_norm": f"{given_norm} {family_norm}".strip(),
        "given_metaphone": given_codes[0],
        "given_metaphone_alt": given_codes[1],
        "family_metaphone": family_codes[0],
        "family_metaphone_alt": family_codes[1],
    }


def _audit(
    user: Any, action: Action, operation: str, nominal: Nominal, detail: dict[str, Any], purpose: str = ""
) -> None:
    audit_record(
        actor=user,
        action=action,
        operation=operation,
        record_type="people.nominal",
        record_id=nominal.pk,
        purpose=purpose or COLLECTION_PURPOSE,
        detail=detail,
    )


def _changed(nominal: Nominal, change: str) -> None:
    publish(events.NOMINAL_CHANGED, {"id": nominal.pk, "change": change})


def _need_to_know(user: Any, nominal: Nominal) -> None:
    """A restricted person is changed only by someone on its access list (or the system)."""
    if user is not None and nominal.restricted and not has_grant(user, nominal):
        raise RestrictedRecord("people.nominal", str(nominal.pk), nominal.restriction_contact)


def _live(nominal: Nominal, user: Any = None) -> Nominal:
    """The person, locked for the change, not merged away, and open to the acting user."""
    locked = Nominal.objects.select_for_update().get(pk=nominal.pk)
    _need_to_know(user, locked)
    if locked.merged_into_id is not None:
        raise Conflict(
            f"{locked.reference} was merged into P{locked.merged_into_id:07d}; change that record instead.",
            field="nominal",
        )
    return locked


# --- people --------------------------------------------------------------------------------------


def _record_pair(first: int, second: int, score: float, reasons: list[str], source: str) -> bool:
    low, high = sorted((first, second))
    _, created = DuplicateCandidate.objects.get_or_create(
        first_id=low, second_id=high, defaults={"score": score, "reasons": reasons, "source": source}
    )
    return created


def nominal_create(
    *,
    acting_user: Any,
    names: Sequence[NameInput],
    dates_of_birth: Sequence[date] = (),
    gender: str = Gender.UNKNOWN,
    ethnicity: str = "",
    description: str = "",
    identifiers: Sequence[IdentifierInput] = (),
    addresses: Sequence[AddressInput] = (),
    restricted: bool = False,
    restriction_contact: str = "",
) -> Nominal:
    """Record a person. Likely duplicates already in the index are recorded for review (the page
    shows them before saving; an API client gets them back with the new id)."""
    _require(acting_user, "people.add_nominal")
    if not names:
        raise ValidationFailed("Enter at least one name.", field="family_name")
    cleaned_names = [_clean_name(name) for name in names]
    cleaned_dates = sorted({_clean_birth_date(value) for value in dates_of_birth})
    if gender not in Gender.values:
        raise ValidationFailed(f"Unknown gender '{gender}'.", field="gender")
    if ethnicity and ethnicity not in ethnicities():
        raise ValidationFailed(
            f"Unknown ethnicity code '{ethnicity}'. Use a self-defined ethnicity (18+1) code such as W1 or NS.",
            field="ethnicity",
        )
    cleaned_identifiers = [(item.kind, *_clean_identifier(item.kind, item.value)) for item in identifiers]
    if restricted and not restriction_contact.strip():
        raise ValidationFailed(
            "Say whom to ask for access to a restricted record.", field="restriction_contact"
        )
    address_rows = _addresses(addresses)
    force = default_force()
    with transaction.atomic():
        duplicates = likely_duplicates(
            names=[(name.given_names, name.family_name) for name in cleaned_names],
            dates_of_birth=cleaned_dates,
            identifiers=[value for _, value, _ in cleaned_identifiers],
            force_id=force.pk,
        )
        nominal = Nominal.objects.create(
            force=force,
            gender=gender,
            ethnicity=ethnicity,
            description=description.strip(),
            restricted=restricted,
            restriction_contact=restriction_contact.strip(),
            created_by=acting_user,
        )
        for name in cleaned_names:
            NominalName.objects.create(
                nominal=nominal,
                kind=name.kind,
                title=name.title,
                given_names=name.given_names,
                family_name=name.family_name,
                created_by=acting_user,
                **_name_columns(name),
            )
        NominalDateOfBirth.objects.bulk_create(
            [
                NominalDateOfBirth(nominal=nominal, value=value, created_by=acting_user)
                for value in cleaned_dates
            ]
        )
        seen: set[tuple[str, str]] = set()
        for kind, value, norm in cleaned_identifiers:
            if (kind, norm) not in seen:
                seen.add((kind, norm))
                NominalIdentifier.objects.create(
                    nominal=nominal, kind=kind, value=value, value_norm=norm, created_by=acting_user
                )
        for item, address in address_rows:
            NominalAddress.objects.create(
                nominal=nominal,
                address=address,
                role=item.role,
                valid_from=item.valid_from,
                valid_to=item.valid_to,
                created_by=acting_user,
            )
        for pk, score, reasons in duplicates:
            if score >= RECORD_DUPLICATE:
                _record_pair(nominal.pk, pk, score, reasons, DuplicateSource.ON_CREATE)
        index_nominals([nominal.pk])
        _audit(
            acting_user,
            Action.COLLECTION,
            "people.nominal_create",
            nominal,
            {
                "names": len(cleaned_names),
                "dates_of_birth": len(cleaned_dates),
                "identifiers": len(cleaned_identifiers),
                "addresses": len(address_rows),
                "possible_duplicates": [pk for pk, _, _ in duplicates],
            },
        )
        publish(events.NOMINAL_CREATED, {"id": nominal.pk})
    return nominal


def _addresses(addresses: Sequence[AddressInput]) -> list[tuple[AddressInput, Address]]:
    found = {
        address.pk: address
        for address in Address.objects.filter(pk__in=[item.address_id for item in addresses])
    }
    rows = []
    for item in addresses:
        if item.address_id not in found:
            raise ValidationFailed(f"There is no address with reference {item.address_id}.", field="address")
        if item.role not in AddressRole.values:
            raise ValidationFailed(f"Unknown address role '{item.role}'.", field="role")
        if item.valid_from and item.valid_to and item.valid_to < item.valid_from:
            raise ValidationFailed("The end date must not be before the start date.", field="valid_to")
        rows.append((item, found[item.address_id]))
    return rows


def nominal_update(
    *,
    acting_user: Any,
    nominal: Nominal,
    gender: str | None = None,
    ethnicity: str | None = None,
    description: str | None = None,
    restricted: bool | None = None,
    restriction_contact: str | None = None,
) -> Nominal:
    """Change a person's details. Only what is given changes; the log records old and new values."""
    _require(acting_user, "people.change_nominal")
    changes: dict[str, Any] = {}
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        if gender is not None and gender != locked.gender:
            if gender not in Gender.values:
                raise ValidationFailed(f"Unknown gender '{gender}'.", field="gender")
            changes["gender"] = [locked.gender, gender]
            locked.gender = gender
        if ethnicity is not None and ethnicity != locked.ethnicity:
            if ethnicity and ethnicity not in ethnicities():
                raise ValidationFailed(f"Unknown ethnicity code '{ethnicity}'.", field="ethnicity")
            changes["ethnicity"] = [locked.ethnicity, ethnicity]
            locked.ethnicity = ethnicity
        if description is not None and description.strip() != locked.description:
            changes["description"] = "changed"
            locked.description = description.strip()
        if restriction_contact is not None:
            locked.restriction_contact = restriction_contact.strip()
        if restricted is not None and restricted != locked.restricted:
            changes["restricted"] = [locked.restricted, restricted]
            locked.restricted = restricted
        if locked.restricted and not locked.restriction_contact:
            raise ValidationFailed(
                "Say whom to ask for access to a restricted record.", field="restriction_contact"
            )
        locked.save()
        index_nominals([locked.pk])
        _audit(acting_user, Action.ALTERATION, "people.nominal_update", locked, {"changes": changes})
        _changed(locked, "details")
    return locked


def name_add(*, acting_user: Any, nominal: Nominal, name: NameInput) -> NominalName:
    """Add a name (an alias, a nickname, a new family name...) as entered."""
    _require(acting_user, "people.change_nominal")
    cleaned = _clean_name(name)
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        row = NominalName.objects.create(
            nominal=locked,
            kind=cleaned.kind,
            title=cleaned.title,
            given_names=cleaned.given_names,
            family_name=cleaned.family_name,
            created_by=acting_user,
            **_name_columns(cleaned),
        )
        index_nominals([locked.pk])
        _audit(
            acting_user, Action.ALTERATION, "people.name_add", locked, {"name_id": row.pk, "kind": row.kind}
        )
        _changed(locked, "names")
    return row


def date_of_birth_add(
    *, acting_user: Any, nominal: Nominal, value: date, source: str = ""
) -> NominalDateOfBirth:
    _require(acting_user, "people.change_nominal")
    value = _clean_birth_date(value)
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        if NominalDateOfBirth.objects.filter(nominal=locked, value=value).exists():
            raise Conflict(f"{value:%d/%m/%Y} is already recorded for this person.", field="date_of_birth")
        row = NominalDateOfBirth.objects.create(
            nominal=locked, value=value, source=source.strip(), created_by=acting_user
        )
        index_nominals([locked.pk])
        _audit(
            acting_user, Action.ALTERATION, "people.date_of_birth_add", locked, {"date_of_birth_id": row.pk}
        )
        _changed(locked, "dates_of_birth")
    return row


def identifier_add(*, acting_user: Any, nominal: Nominal, kind: str, value: str) -> NominalIdentifier:
    _require(acting_user, "people.change_nominal")
    text, norm = _clean_identifier(kind, value)
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        if NominalIdentifier.objects.filter(nominal=locked, kind=kind, value_norm=norm).exists():
            raise Conflict("That identifier is already recorded for this person.", field="identifiers")
        row = NominalIdentifier.objects.create(
            nominal=locked, kind=kind, value=text, value_norm=norm, created_by=acting_user
        )
        index_nominals([locked.pk])
        _audit(
            acting_user,
            Action.ALTERATION,
            "people.identifier_add",
            locked,
            {"identifier_id": row.pk, "kind": kind},
        )
        _changed(locked, "identifiers")
    return row


def address_link(
    *,
    acting_user: Any,
    nominal: Nominal,
    address_id: int,
    role: str = AddressRole.RESIDENT,
    valid_from: date | None = None,
    valid_to: date | None = None,
    note: str = "",
) -> NominalAddress:
    """Link a person to a gazetteer address with a role and dates."""
    _require(acting_user, "people.change_nominal")
    ((item, address),) = _addresses([AddressInput(address_id, role, valid_from, valid_to)])
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        row = NominalAddress.objects.create(
            nominal=locked,
            address=address,
            role=item.role,
            valid_from=item.valid_from,
            valid_to=item.valid_to,
            note=note.strip()[:400],
            created_by=acting_user,
        )
        _audit(
            acting_user,
            Action.ALTERATION,
            "people.address_link",
            locked,
            {"address_id": address.pk, "role": role},
        )
        _changed(locked, "addresses")
    return row


def marker_add(
    *,
    acting_user: Any,
    nominal: Nominal,
    kind: str,
    source: str,
    details: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> WarningMarker:
    """Set a warning marker. Who set it, when and on what source are kept with it."""
    _require(acting_user, "people.add_marker")
    if kind not in marker_kinds():
        raise ValidationFailed(f"Unknown warning marker '{kind}'.", field="kind")
    if not source.strip():
        raise ValidationFailed("Say where the information comes from.", field="source")
    start = valid_from or timezone.localdate()
    if valid_to is not None and valid_to < start:
        raise ValidationFailed("The end date must not be before the start date.", field="valid_to")
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        marker = WarningMarker.objects.create(
            nominal=locked,
            kind=kind,
            details=details.strip(),
            valid_from=start,
            valid_to=valid_to,
            source=source.strip()[:200],
            set_by=acting_user,
        )
        index_nominals([locked.pk])
        _audit(
            acting_user,
            Action.ALTERATION,
            "people.marker_add",
            locked,
            {"marker_id": marker.pk, "kind": kind},
        )
        publish(events.MARKER_CHANGED, {"id": locked.pk, "marker": marker.pk})
    return marker


def marker_end(
    *, acting_user: Any, marker: WarningMarker, reason: str, valid_to: date | None = None
) -> WarningMarker:
    """End a marker (it is kept, with who ended it and why)."""
    _require(acting_user, "people.add_marker")
    reason = _reason(reason)
    end = valid_to or timezone.localdate()
    with transaction.atomic():
        locked = WarningMarker.objects.select_for_update().select_related("nominal").get(pk=marker.pk)
        _need_to_know(acting_user, locked.nominal)
        if locked.valid_to is not None and locked.valid_to <= end:
            raise Conflict("This marker has already ended.", field="valid_to")
        if end < locked.valid_from:
            raise ValidationFailed("A marker cannot end before it started.", field="valid_to")
        locked.valid_to = end
        locked.ended_by = acting_user
        locked.end_reason = reason
        locked.save(update_fields=["valid_to", "ended_by", "end_reason"])
        index_nominals([locked.nominal_id])
        _audit(
            acting_user,
            Action.ALTERATION,
            "people.marker_end",
            locked.nominal,
            {"marker_id": locked.pk},
            reason,
        )
        publish(events.MARKER_CHANGED, {"id": locked.nominal_id, "marker": locked.pk})
    return locked


# --- objects and links ---------------------------------------------------------------------------


# A registration mark as written: letters and digits, in groups separated by single spaces or hyphens.
_VRM_AS_WRITTEN = re.compile(r"[^\W_]+(?:[ -][^\W_]+)*")


def vehicle_record(
    *, acting_user: Any, vrm: str, make: str = "", model: str = "", colour: str = ""
) -> Vehicle:
    """The vehicle with this registration mark, recorded if new (details fill in blanks)."""
    _require(acting_user, "people.change_nominal")
    norm = identifier_text(vrm)
    if not 2 <= len(norm) <= 10:
        raise ValidationFailed(
            "A registration mark is 2 to 10 letters and digits, e.g. AB12 CDE.", field="vrm"
        )
    shown = " ".join(vrm.upper().split())
    if not _VRM_AS_WRITTEN.fullmatch(shown) or len(shown) > len(norm) + 3:
        # Written with other marks, or spaced out letter by letter: kept as its letters and digits.
        shown = norm
    make, model, colour = make.strip(), model.strip(), colour.strip()
    check_lengths(Vehicle, make=make, model=model, colour=colour)
    force = default_force()
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().filter(force=force, vrm_norm=norm).first()
        if vehicle is None:
            vehicle = Vehicle.objects.create(
                force=force,
                vrm=shown,
                vrm_norm=norm,
                make=make,
                model=model,
                colour=colour,
            )
        else:
            for name, value in (("make", make), ("model", model), ("colour", colour)):
                if value and not getattr(vehicle, name):
                    setattr(vehicle, name, value)
            vehicle.save()
    return vehicle


def phone_record(*, acting_user: Any, number: str = "", imei: str = "", description: str = "") -> Phone:
    _require(acting_user, "people.change_nominal")
    norm = identifier_text(number)
    if not norm and not imei.strip():
        raise ValidationFailed("Give the phone's number or its IMEI.", field="number")
    check_lengths(Phone, number=number.strip(), imei=imei.strip(), description=description.strip())
    force = default_force()
    with transaction.atomic():
        phone = Phone.objects.filter(force=force, number_norm=norm).first() if norm else None
        if phone is None:
            phone = Phone.objects.create(
                force=force,
                number=number.strip(),
                number_norm=norm,
                imei=imei.strip(),
                description=description.strip(),
            )
    return phone


def weapon_record(*, acting_user: Any, kind: str, description: str = "", serial_number: str = "") -> Weapon:
    _require(acting_user, "people.change_nominal")
    if kind not in WeaponKind.values:
        raise ValidationFailed(f"Unknown kind of weapon '{kind}'.", field="kind")
    check_lengths(Weapon, description=description.strip(), serial_number=serial_number.strip())
    return Weapon.objects.create(
        kind=kind, description=description.strip(), serial_number=serial_number.strip()
    )


def property_record(*, acting_user: Any, description: str, serial_number: str = "") -> PropertyItem:
    _require(acting_user, "people.change_nominal")
    if not description.strip():
        raise ValidationFailed("Describe the property.", field="description")
    check_lengths(PropertyItem, serial_number=serial_number.strip())
    return PropertyItem.objects.create(
        description=description.strip()[:400], serial_number=serial_number.strip()
    )


def link_add(
    *,
    acting_user: Any,
    nominal: Nominal,
    target: models.Model,
    role: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    note: str = "",
) -> NominalLink:
    """Link a person to an event or object with a role (victim, suspect, owner, driver...)."""
    _require(acting_user, "people.change_nominal")
    if role not in LinkRole.values:
        raise ValidationFailed(f"Unknown role '{role}'.", field="role")
    if target.pk is None:
        raise ValidationFailed("Save the record before linking a person to it.", field="target")
    with transaction.atomic():
        locked = _live(nominal, acting_user)
        link = NominalLink.objects.create(
            nominal=locked,
            role=role,
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            valid_from=valid_from,
            valid_to=valid_to,
            note=note.strip()[:400],
            created_by=acting_user,
        )
        _audit(
            acting_user,
            Action.ALTERATION,
            "people.link_add",
            locked,
            {"link_id": link.pk, "role": role, "target": f"{target._meta.label_lower}:{target.pk}"},
        )
        _changed(locked, "links")
    return link


# --- merges --------------------------------------------------------------------------------------

# Rows that belong to a person and move with a merge, by the name the merge record uses.
MERGED_TABLES: dict[str, type[models.Model]] = {
    "names": NominalName,
    "dates_of_birth": NominalDateOfBirth,
    "identifiers": NominalIdentifier,
    "addresses": NominalAddress,
    "markers": WarningMarker,
    "links": NominalLink,
}
# Fields the survivor takes from the merged record when its own are empty.
FILLED_FIELDS = {"gender": Gender.UNKNOWN, "ethnicity": "", "description": ""}


def _same_as_on(row: models.Model, survivor: Nominal) -> bool:
    """A date of birth or identifier the survivor already holds cannot move (it is unique per
    person); it stays on the merged record, which keeps it, so nothing is lost."""
    if isinstance(row, NominalDateOfBirth):
        return NominalDateOfBirth.objects.filter(nominal=survivor, value=row.value).exists()
    if isinstance(row, NominalIdentifier):
        return NominalIdentifier.objects.filter(
            nominal=survivor, kind=row.kind, value_norm=row.value_norm
        ).exists()
    return False


def nominal_merge(*, acting_user: Any, survivor: Nominal, merged: Nominal, reason: str) -> NominalMerge:
    """Combine two records of one person: every row of ``merged`` moves to ``survivor``; ``merged``
    stays, marked as merged, so the merge can be reversed. Logged as a combination under s.62."""
    _require(acting_user, "people.merge_nominal")
    reason = _reason(reason)
    if survivor.pk == merged.pk:
        raise ValidationFailed("Choose two different records to merge.", field="merged")
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in Nominal.objects.select_for_update()
            .filter(pk__in=[survivor.pk, merged.pk])
            .order_by("pk")
        }
        keep, absorb = locked[survivor.pk], locked[merged.pk]
        for record in (keep, absorb):
            _need_to_know(acting_user, record)
            if record.merged_into_id is not None:
                raise Conflict(
                    f"{record.reference} has already been merged into P{record.merged_into_id:07d}.",
                    field="merged",
                )
        if absorb.restricted and not keep.restricted:
            raise Conflict(
                f"{absorb.reference} is restricted and {keep.reference} is not: merging would show restricted "
                "details to everyone. Restrict the record you keep first, or keep the restricted one.",
                field="survivor",
            )
        if keep.force_id != absorb.force_id:
            raise Conflict("Records of different forces cannot be merged.", field="merged")
        before = {
            label: model._default_manager.filter(nominal=keep).count()
            for label, model in MERGED_TABLES.items()
        }
        moved: dict[str, list[int]] = {}
        kept: dict[str, list[int]] = {}
        for label, model in MERGED_TABLES.items():
            rows = list(model._default_manager.filter(nominal=absorb))
            staying = [row.pk for row in rows if _same_as_on(row, keep)]
            moving = [row.pk for row in rows if row.pk not in staying]
            if moving:
                model._default_manager.filter(pk__in=moving).update(nominal=keep)
            moved[label] = moving
            if staying:
                kept[label] = staying
        for label, model in MERGED_TABLES.items():
            # The database is the judge: every row either moved to the survivor or stayed, identical, behind.
            if model._default_manager.filter(nominal=keep).count() != before[label] + len(moved[label]):
                raise Conflict("The merge could not move every record; nothing was changed.", field="merged")
            if model._default_manager.filter(nominal=absorb).count() != len(kept.get(label, [])):
                raise Conflict("The merge would leave records behind; nothing was changed.", field="merged")
        copied: dict[str, Any] = {}
        for name, empty in FILLED_FIELDS.items():
            if getattr(keep, name) == empty and getattr(absorb, name) != empty:
                copied[name] = {"before": empty, "after": getattr(absorb, name)}
                setattr(keep, name, getattr(absorb, name))
        keep.save()
        absorb.merged_into = keep
        absorb.save(update_fields=["merged_into", "updated_at"])
        merge = NominalMerge.objects.create(
            survivor=keep,
            merged=absorb,
            reason=reason,
            moved={"moved": moved, "kept": kept},
            copied=copied,
            merged_by=acting_user,
        )
        DuplicateCandidate.objects.filter(
            first_id=min(keep.pk, absorb.pk), second_id=max(keep.pk, absorb.pk)
        ).update(status=DuplicateStatus.MERGED, reviewed_by=acting_user, reviewed_at=timezone.now())
        index_nominals([keep.pk, absorb.pk])
        detail = {
            "merge_id": merge.pk,
            "survivor": keep.pk,
            "merged": absorb.pk,
            "moved": {label: len(ids) for label, ids in moved.items()},
        }
        for record in (keep, absorb):
            _audit(acting_user, Action.COMBINATION, "people.merge", record, detail, reason)
        publish(events.NOMINALS_MERGED, {"id": keep.pk, "merged": absorb.pk, "merge": merge.pk})
    return merge


def merge_reverse(*, acting_user: Any, merge: NominalMerge, reason: str) -> NominalMerge:
    """Undo a merge: the rows that moved go back, the merged record lives again."""
    _require(acting_user, "people.merge_nominal")
    reason = _reason(reason)
    with transaction.atomic():
        locked = NominalMerge.objects.select_for_update().get(pk=merge.pk)
        if locked.reversed_at is not None:
            raise Conflict("This merge has already been reversed.", field="merge")
        people = {
            row.pk: row
            for row in Nominal.objects.select_for_update()
            .filter(pk__in=[locked.survivor_id, locked.merged_id])
            .order_by("pk")
        }
        keep, absorb = people[locked.survivor_id], people[locked.merged_id]
        if keep.merged_into_id is not None:
            raise Conflict(
                f"{keep.reference} has since been merged into P{keep.merged_into_id:07d}; reverse that merge first.",
                field="merge",
            )
        if absorb.merged_into_id != keep.pk:
            raise Conflict(
                "The merged record has changed since; this merge cannot be reversed.", field="merge"
            )
        moved: dict[str, list[int]] = locked.moved.get("moved", {})
        for label, ids in moved.items():
            model = MERGED_TABLES[label]
            if ids:
                updated = model._default_manager.filter(pk__in=ids, nominal=keep).update(nominal=absorb)
                if updated != len(ids):
                    raise Conflict(
                        "Some moved records are no longer on the kept person; nothing was changed.",
                        field="merge",
                    )
        for name, change in locked.copied.items():
            if getattr(keep, name) == change["after"]:
                setattr(keep, name, change["before"])
        keep.save()
        absorb.merged_into = None
        absorb.save(update_fields=["merged_into", "updated_at"])
        locked.reversed_at = timezone.now()
        locked.reversed_by = acting_user
        locked.reverse_reason = reason
        locked.save(update_fields=["reversed_at", "reversed_by", "reverse_reason"])
        DuplicateCandidate.objects.filter(
            first_id=min(keep.pk, absorb.pk), second_id=max(keep.pk, absorb.pk), status=DuplicateStatus.MERGED
        ).update(status=DuplicateStatus.NOT_DUPLICATE, review_note=reason)
        index_nominals([keep.pk, absorb.pk])
        detail = {"merge_id": locked.pk, "survivor": keep.pk, "merged": absorb.pk, "reversed": True}
        for record in (keep, absorb):
            _audit(acting_user, Action.COMBINATION, "people.merge_reverse", record, detail, reason)
        publish(events.MERGE_REVERSED, {"id": keep.pk, "merged": absorb.pk, "merge": locked.pk})
    return locked


def duplicate_dismiss(*, acting_user: Any, candidate: DuplicateCandidate, note: str) -> DuplicateCandidate:
    """Record that two likely duplicates are different people, so the scan does not raise them again."""
    _require(acting_user, "people.merge_nominal")
    note = _reason(note, "note")
    with transaction.atomic():
        locked = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.status != DuplicateStatus.OPEN:
            raise Conflict("This pair has already been reviewed.", field="candidate")
        locked.status = DuplicateStatus.NOT_DUPLICATE
        locked.reviewed_by = acting_user
        locked.reviewed_at = timezone.now()
        locked.review_note = note
        locked.save()
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="people.duplicate_dismiss",
            record_type="people.duplicatecandidate",
            record_id=locked.pk,
            purpose=note,
            detail={"first": locked.first_id, "second": locked.second_id},
        )
    return locked


# --- the duplicate scan --------------------------------------------------------------------------

# Blocks bigger than this are common names on a common date: pairs in them say little, and
# scoring every pair would cost the square of the block.
MAX_BLOCK = 50


def duplicates_scan(*, acting_user: Any = None, threshold: float = RECORD_DUPLICATE) -> int:
    """Find likely duplicates across the whole index and record new pairs for review.

    People are blocked by ``matching.keys.block_keys`` in one SQL pass over the index; pairs within
    a block are scored with the search ranking, in both directions. Returns the new pairs found.
    """
    _require(acting_user, "people.merge_nominal")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(nominal_id ORDER BY nominal_id) FROM "
            "(SELECT nominal_id, unnest(blocks) AS block FROM people_searchentry) AS b "
            "GROUP BY block HAVING count(*) BETWEEN 2 AND %s",
            [MAX_BLOCK],
        )
        blocks = [row[0] for row in cursor.fetchall()]
    pairs: set[tuple[int, int]] = set()
    for members in blocks:
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                pairs.add((first, second))
    known = set(DuplicateCandidate.objects.values_list("first_id", "second_id"))
    pairs -= known
    created = 0
    ordered = sorted(pairs)
    for start in range(0, len(ordered), 2_000):
        batch = ordered[start : start + 2_000]
        ids = {pk for pair in batch for pk in pair}
        entries = {entry.pk: entry for entry in SearchEntry.objects.filter(pk__in=ids)}
        candidates = {pk: _candidate(entry) for pk, entry in entries.items()}
        words = {
            w
            for candidate in candidates.values()
            for _, form in candidate.names
            for w in (*form.given, *form.family_forms())
        }
        phonetic.ensure(words)
        with transaction.atomic():
            for first, second in batch:
                if first not in candidates or second not in candidates:
                    continue
                score, reasons = _pair_score(candidates[first], candidates[second])
                if score >= threshold and _record_pair(first, second, score, reasons, DuplicateSource.SCAN):
                    created += 1
    audit_record(
        actor=acting_user,
        action=Action.COMBINATION,
        operation="people.duplicates_scan",
        record_type="people.nominal",
        purpose="Finding likely duplicate records in the nominal index",
        detail={"blocks": len(blocks), "pairs_scored": len(pairs), "new_pairs": created},
    )
    return created


def _candidate(entry: SearchEntry) -> Candidate:
    names = []
    for text in entry.names:
        kind, _, encoded = text.partition(":")
        names.append((kind, NameForm.decode(encoded)))
    return Candidate(entry.pk, names, list(entry.dates_of_birth), list(entry.identifiers))


def _pair_score(first: Candidate, second: Candidate) -> tuple[float, list[str]]:
    best: tuple[float, list[str]] = (0.0, [])
    for one, other in ((first, second), (second, first)):
        if not one.names:
            continue
        form = one.names[0][1]
        query = SearchQuery(name=NameQuery(text="", form=form, single=not form.given or not form.family))
        if one.dates_of_birth:
            value = one.dates_of_birth[0]
            query.date_of_birth = parse_date_of_birth_query(value.isoformat())
        ranked = rank_one(query, other)
        if ranked.score > best[0]:
            best = (ranked.score, ranked.reasons)
    return best


# --- bulk loading --------------------------------------------------------------------------------


@dataclass
class PersonRecord:
    """One person for the bulk loader (demo data, benchmarks, imports of a force's own data)."""

    names: list[NameInput]
    dates_of_birth: list[date] = field(default_factory=list)
    gender: str = Gender.UNKNOWN
    ethnicity: str = ""
    identifiers: list[IdentifierInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    markers: list[MarkerInput] = field(default_factory=list)
    restricted: bool = False
    restriction_contact: str = ""


def _array_literal(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal for COPY. psycopg can dump lists itself, but quoting every
    element with a regular expression costs more than building the keys; this is the same text."""
    if not values:
        return "{}"
    if isinstance(values[0], int | date):
        return "{" + ",".join(str(value) for value in values) + "}"
    quoted = ('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def nominals_bulk_load(*, acting_user: Any, people: Sequence[PersonRecord], source: str) -> list[int]:
    """Load many people at once with COPY: the same validation of names and dates, the same search
    entries, one s.62 collection entry for the batch. No duplicate check (run the scan after)."""
    _require(acting_user, "people.add_nominal")
    if not source.strip():
        raise ValidationFailed("Say where the people come from.", field="source")
    if not people:
        return []
    force = default_force()
    now = timezone.now()
    user_id = acting_user.pk if acting_user is not None else None
    cleaned = []
    words: set[str] = set()
    for person in people:
        names = [_clean_name(name) for name in person.names]
        if not names:
            raise ValidationFailed("Every person needs a name.", field="names")
        for name in names:
            form = NameForm.from_parts(name.given_names, name.family_name)
            words.update((form.forename, form.family_joined))
        cleaned.append((person, names))
    # One query for the phonetic codes of the whole batch, not two per name.
    phonetic.ensure(words - {""})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('people_nominal', 'id')) FROM generate_series(1, %s)",
            [len(people)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        _copy(
            cursor,
            "people_nominal",
            [
                "id",
                "force_id",
                "created_at",
                "updated_at",
                "restricted",
                "restriction_contact",
                "gender",
                "ethnicity",
                "description",
                "created_by_id",
            ],
            (
                (
                    pk,
                    force.pk,
                    now,
                    now,
                    person.restricted,
                    person.restriction_contact,
                    person.gender,
                    person.ethnicity,
                    "",
                    user_id,
                )
                for pk, (person, _) in zip(ids, cleaned, strict=True)
            ),
        )
        name_rows = []
        for pk, (_, names) in zip(ids, cleaned, strict=True):
            for name in names:
                columns = _name_columns(name)
                name_rows.append(
                    (
                        pk,
                        name.kind,
                        name.title,
                        name.given_names,
                        name.family_name,
                        *columns.values(),
                        now,
                        user_id,
                    )
                )
        _copy(
            cursor,
            "people_nominalname",
            [
                "nominal_id",
                "kind",
                "title",
                "given_names",
                "family_name",
                *_name_columns(NameInput("a", "b")).keys(),
                "created_at",
                "created_by_id",
            ],
            name_rows,
        )
        _copy(
            cursor,
            "people_nominaldateofbirth",
            ["nominal_id", "value", "source", "created_at", "created_by_id"],
            (
                (pk, value, "", now, user_id)
                for pk, (person, _) in zip(ids, cleaned, strict=True)
                for value in sorted(set(person.dates_of_birth))
            ),
        )
        identifier_rows = []
        for pk, (person, _) in zip(ids, cleaned, strict=True):
            seen: set[tuple[str, str]] = set()
            for item in person.identifiers:
                text, norm = _clean_identifier(item.kind, item.value)
                if (item.kind, norm) not in seen:
                    seen.add((item.kind, norm))
                    identifier_rows.append((pk, item.kind, text, norm, now, user_id))
        _copy(
            cursor,
            "people_nominalidentifier",
            ["nominal_id", "kind", "value", "value_norm", "created_at", "created_by_id"],
            identifier_rows,
        )
        _copy(
            cursor,
            "people_nominaladdress",
            [
                "nominal_id",
                "address_id",
                "role",
                "valid_from",
                "valid_to",
                "note",
                "created_at",
                "created_by_id",
            ],
            (
                (pk, item.address_id, item.role, item.valid_from, item.valid_to, "", now, user_id)
                for pk, (person, _) in zip(ids, cleaned, strict=True)
                for item in person.addresses
            ),
        )
        today = timezone.localdate()
        _copy(
            cursor,
            "people_warningmarker",
            [
                "nominal_id",
                "kind",
                "details",
                "valid_from",
                "valid_to",
                "source",
                "set_by_id",
                "set_at",
                "end_reason",
            ],
            (
                (
                    pk,
                    item.kind,
                    item.details,
                    item.valid_from or today,
                    item.valid_to,
                    item.source,
                    user_id,
                    now,
                    "",
                )
                for pk, (person, _) in zip(ids, cleaned, strict=True)
                for item in person.markers
            ),
        )
        records = [
            IndexRecord(
                nominal_id=pk,
                force_id=force.pk,
                names=[(name.kind, name.given_names, name.family_name) for name in names],
                dates_of_birth=sorted(set(person.dates_of_birth)),
                identifiers=[item.value for item in person.identifiers],
                markers=[
                    item.kind
                    for item in person.markers
                    if (item.valid_from or today) <= today
                    and (item.valid_to is None or item.valid_to >= today)
                ],
                restricted=person.restricted,
                restriction_contact=person.restriction_contact,
            )
            for pk, (person, names) in zip(ids, cleaned, strict=True)
        ]
        entries = entry_rows(records)
        entry_columns = list(entries[0].keys())
        _copy(
            cursor,
            "people_searchentry",
            entry_columns,
            (
                [_array_literal(value) if isinstance(value, list) else value for value in entry.values()]
                for entry in entries
            ),
        )
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="people.bulk_load",
            record_type="people.nominal",
            purpose=f"Bulk load: {source.strip()}",
            detail={"count": len(ids), "first_id": ids[0], "last_id": ids[-1], "source": source.strip()},
        )
    return ids
