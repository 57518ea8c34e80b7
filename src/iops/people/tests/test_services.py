"""Writing the nominal index: validation, markers, duplicates on create and by scan, and merges
that keep every row and can be reversed, each logged under s.62."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from iops.accounts.models import User
from iops.audit.access import RestrictedRecord
from iops.audit.models import AuditEntry
from iops.geo.tests.factories import AddressFactory
from iops.people import services
from iops.people.choices import DuplicateSource
from iops.people.models import (
    DuplicateCandidate,
    Nominal,
    NominalDateOfBirth,
    NominalIdentifier,
    NominalLink,
    NominalName,
    SearchEntry,
    WarningMarker,
)
from iops.people.tests.factories import person
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db


def test_create_writes_the_person_their_search_entry_and_a_collection_entry(investigator: User) -> None:
    nominal = services.nominal_create(
        acting_user=investigator,
        names=[services.NameInput("Siobhán", "O'Brien")],
        dates_of_birth=[date(1991, 5, 20)],
        identifiers=[services.IdentifierInput("ni_number", "ab 12 34 56 c")],
    )
    name = nominal.names.get()
    assert (name.given_names, name.family_name, name.family_norm, name.given_norm) == (
        "Siobhán",
        "O'Brien",
        "obrien",
        "siobhan",
    )
    assert name.family_metaphone == "APRN"
    assert nominal.identifiers.get().value_norm == "AB123456C"
    entry = SearchEntry.objects.get(pk=nominal.pk)
    assert entry.dates_of_birth == [date(1991, 5, 20)] and entry.keys
    logged = AuditEntry.objects.get(operation="people.nominal_create", record_id=str(nominal.pk))
    assert logged.action == "collection" and logged.actor_id == investigator.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"names": [services.NameInput("", "")]}, "family_name"),
        ({"names": [services.NameInput("123", "!!")]}, "family_name"),
        ({"names": []}, "family_name"),
        ({"dates_of_birth": [timezone.localdate() + timedelta(days=1)]}, "date_of_birth"),
        ({"dates_of_birth": [date(1870, 1, 1)]}, "date_of_birth"),
        ({"identifiers": [services.IdentifierInput("ni_number", "AB12")]}, "identifiers"),
        ({"identifiers": [services.IdentifierInput("pnc_id", "not a pnc id")]}, "identifiers"),
        ({"ethnicity": "ZZ"}, "ethnicity"),
        ({"restricted": True}, "restriction_contact"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(
    investigator: User, kwargs: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"names": [services.NameInput("Alan", "Reed")], **kwargs}
    with pytest.raises(ValidationFailed) as error:
        services.nominal_create(acting_user=investigator, **arguments)
    assert error.value.field == field and error.value.message
    assert not Nominal.objects.exists() and not NominalName.objects.exists()


def test_roles_without_the_permission_cannot_write(handler: User) -> None:
    with pytest.raises(PermissionRefused):
        services.nominal_create(acting_user=handler, names=[services.NameInput("Alan", "Reed")])
    target = person("Alan", "Reed")
    with pytest.raises(PermissionRefused):
        services.marker_add(acting_user=handler, nominal=target, kind="violence", source="Test")


def test_markers_keep_who_when_and_why_and_end_without_being_deleted(investigator: User) -> None:
    target = person("Dean", "Marsh", "1985-05-05")
    marker = services.marker_add(
        acting_user=investigator,
        nominal=target,
        kind="weapons",
        source="Stop search 4411",
        details="Carried a knife",
    )
    assert marker.set_by == investigator and marker.is_active
    assert SearchEntry.objects.get(pk=target.pk).markers == ["weapons"]
    with pytest.raises(ValidationFailed):
        services.marker_end(acting_user=investigator, marker=marker, reason="short")
    services.marker_end(
        acting_user=investigator, marker=marker, reason="Reviewed: no longer relevant after 5 years"
    )
    marker.refresh_from_db()
    assert marker.valid_to == timezone.localdate() and marker.ended_by == investigator
    assert WarningMarker.objects.filter(pk=marker.pk).exists()
    with pytest.raises(ValidationFailed) as error:
        services.marker_add(acting_user=investigator, nominal=target, kind="unknown", source="x")
    assert error.value.field == "kind"


def test_a_likely_duplicate_is_recorded_when_a_person_is_created(investigator: User) -> None:
    first = person("William", "Hart", "1977-08-09")
    second = services.nominal_create(
        acting_user=investigator,
        names=[services.NameInput("Bill", "Hart")],
        dates_of_birth=[date(1977, 8, 9)],
    )
    pair = DuplicateCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {first.pk, second.pk}
    assert pair.source == DuplicateSource.ON_CREATE and pair.score >= 0.9


def test_the_scan_finds_duplicates_across_the_index(supervisor: User) -> None:
    loaded = services.nominals_bulk_load(
        acting_user=None,
        people=[
            services.PersonRecord(
                names=[services.NameInput("Katherine", "Lowe")], dates_of_birth=[date(1969, 4, 1)]
            ),
            services.PersonRecord(
                names=[services.NameInput("Kate", "Lowe")], dates_of_birth=[date(1969, 4, 1)]
            ),
            services.PersonRecord(
                names=[services.NameInput("Peter", "Grant")], dates_of_birth=[date(1969, 4, 1)]
            ),
        ],
        source="test",
    )
    assert services.duplicates_scan(acting_user=supervisor) == 1
    pair = DuplicateCandidate.objects.get()
    assert (pair.first_id, pair.second_id) == (loaded[0], loaded[1]) and pair.source == DuplicateSource.SCAN
    assert services.duplicates_scan(acting_user=supervisor) == 0  # known pairs are not raised again


def _everything(nominal: Nominal) -> dict[str, set[int]]:
    return {
        label: set(model._default_manager.filter(nominal=nominal).values_list("pk", flat=True))
        for label, model in services.MERGED_TABLES.items()
    }


def test_merge_keeps_every_row_and_reversal_puts_every_row_back(supervisor: User) -> None:
    address = AddressFactory()
    keep = person(
        "Robert", "Lane", "1970-01-02", identifiers=[services.IdentifierInput("pnc_id", "1999/0000123A")]
    )
    absorb = person(
        "Bob",
        "Lane",
        "1970-01-02",
        aliases=(("alias", "Robbie", "Layne"),),
        identifiers=[services.IdentifierInput("phone", "07700 900123")],
        addresses=[services.AddressInput(address.pk)],
        gender="male",
    )
    services.date_of_birth_add(acting_user=None, nominal=absorb, value=date(1970, 2, 1))
    services.marker_add(acting_user=None, nominal=absorb, kind="drugs", source="Custody record")
    vehicle = services.vehicle_record(acting_user=None, vrm="AB12 CDE", make="Ford")
    services.link_add(acting_user=None, nominal=absorb, target=vehicle, role="keeper")
    before_keep, before_absorb = _everything(keep), _everything(absorb)

    merge = services.nominal_merge(
        acting_user=supervisor, survivor=keep, merged=absorb, reason="Same PNC photo and address"
    )
    keep.refresh_from_db()
    absorb.refresh_from_db()
    after = _everything(keep)
    left = _everything(absorb)
    for label in before_keep:
        # Every row is on the survivor, or (identical to one it has) kept on the merged record.
        assert before_keep[label] | before_absorb[label] == after[label] | left[label]
    assert left["dates_of_birth"] and not left["names"]  # 1970-01-02 is on both; it stays behind
    assert keep.gender == "male" and absorb.merged_into == keep
    assert not SearchEntry.objects.filter(pk=absorb.pk).exists()
    assert AuditEntry.objects.filter(operation="people.merge", action="combination").count() == 2

    services.merge_reverse(acting_user=supervisor, merge=merge, reason="Twins: different fingerprints")
    keep.refresh_from_db()
    absorb.refresh_from_db()
    assert _everything(keep) == before_keep and _everything(absorb) == before_absorb
    assert absorb.merged_into is None and keep.gender == "unknown"
    assert SearchEntry.objects.filter(pk=absorb.pk).exists()
    with pytest.raises(Conflict):
        services.merge_reverse(acting_user=supervisor, merge=merge, reason="Twins: different fingerprints")


def test_merges_that_would_lose_or_expose_data_are_refused(supervisor: User, investigator: User) -> None:
    first, second, third = person("Ann", "Cole"), person("Anne", "Cole"), person("Annie", "Cole")
    with pytest.raises(ValidationFailed) as error:
        services.nominal_merge(acting_user=supervisor, survivor=first, merged=second, reason="same")
    assert error.value.field == "reason"
    with pytest.raises(ValidationFailed):
        services.nominal_merge(
            acting_user=supervisor, survivor=first, merged=first, reason="The same record twice over"
        )
    with pytest.raises(PermissionRefused):
        services.nominal_merge(
            acting_user=investigator, survivor=first, merged=second, reason="Same person, same address"
        )
    services.nominal_merge(
        acting_user=supervisor, survivor=first, merged=second, reason="Same person, same address"
    )
    with pytest.raises(Conflict):
        services.nominal_merge(
            acting_user=supervisor, survivor=third, merged=second, reason="Same person, same address"
        )
    with pytest.raises(Conflict):
        services.name_add(acting_user=None, nominal=second, name=services.NameInput("Anna", "Cole"))
    secret = person("Ann", "Cole", restricted=True, restriction_contact="DI Protection Unit")
    with pytest.raises((Conflict, RestrictedRecord)):
        services.nominal_merge(
            acting_user=supervisor, survivor=third, merged=secret, reason="Same person, same address"
        )
    assert Nominal.objects.get(pk=secret.pk).merged_into is None


def test_the_database_refuses_to_delete_a_person_with_records(db: Any) -> None:
    target = person("Gary", "Moss", "1966-06-06")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are checked at commit; ask for the check now, as a commit would.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM people_nominal WHERE id = %s", [target.pk])
    assert NominalDateOfBirth.objects.filter(nominal=target).exists()


def test_links_attach_any_record_by_type_and_id(investigator: User) -> None:
    target = person("Tina", "Wells")
    phone = services.phone_record(acting_user=investigator, number="07700 900456")
    link = services.link_add(acting_user=investigator, nominal=target, target=phone, role="user")
    assert NominalLink.objects.get(pk=link.pk).target == phone
    assert NominalIdentifier.objects.count() == 0


def test_the_bulk_loader_writes_the_same_entry_as_a_single_create(db: Any) -> None:
    record = services.PersonRecord(
        names=[services.NameInput('Jo "JJ"', "D'Arcy\\Smith"), services.NameInput("Jo", "Darcy", "alias")],
        dates_of_birth=[date(1990, 1, 2), date(1990, 2, 1)],
        identifiers=[services.IdentifierInput("phone", "07700 900111")],
        markers=[services.MarkerInput("drugs", "Test")],
    )
    (loaded,) = services.nominals_bulk_load(acting_user=None, people=[record], source="test")
    created = services.nominal_create(
        acting_user=None,
        names=record.names,
        dates_of_birth=record.dates_of_birth,
        identifiers=record.identifiers,
    )
    services.marker_add(acting_user=None, nominal=created, kind="drugs", source="Test")
    bulk, single = SearchEntry.objects.get(pk=loaded), SearchEntry.objects.get(pk=created.pk)
    for column in ("keys", "blocks", "names", "display_names", "dates_of_birth", "identifiers", "markers"):
        assert getattr(bulk, column) == getattr(single, column), column
    assert bulk.display_names[0] == 'Jo "JJ" D\'Arcy\\Smith'
