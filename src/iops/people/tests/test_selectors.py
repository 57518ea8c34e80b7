"""Reads of the index: need-to-know on search results, the person page and the risk summaries
(a call handler at an address), each with its purpose in the log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iops.accounts.models import User
from iops.audit.access import RestrictedRecord
from iops.audit.models import AccessGrant, AuditEntry
from iops.geo.tests.factories import AddressFactory
from iops.people import services
from iops.people.selectors import nominal_profile, nominal_search, people_at_address, risk_summary
from iops.people.tests.factories import person
from iops.platform.errors import PermissionRefused, PurposeRequired, ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_search_without_a_purpose_is_refused_with_a_clear_message(handler: User) -> None:
    with pytest.raises(PurposeRequired) as error:
        nominal_search(user=handler, purpose="  ", name="Smith")
    assert error.value.field == "purpose" and "purpose" in error.value.message
    assert not AuditEntry.objects.filter(operation="people.search").exists()


@pytest.mark.parametrize("value", ["1980-13-01", "31-02-1980", "not a date", "2999-01-01"])
def test_a_malformed_date_of_birth_is_a_field_error(handler: User, value: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        nominal_search(user=handler, purpose="Test", name="Smith", date_of_birth=value)
    assert error.value.field == "date_of_birth"


def test_a_search_needs_something_to_search_for(handler: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        nominal_search(user=handler, purpose="Test", date_of_birth="1980")
    assert error.value.field == "name"
    with pytest.raises(ValidationFailed) as error:
        nominal_search(user=handler, purpose="Test", name="Smith", limit=500)
    assert error.value.field == "limit"


def test_roles_without_search_cannot_search(outsider: User) -> None:
    with pytest.raises(PermissionRefused):
        nominal_search(user=outsider, purpose="Test", name="Smith")


def test_restricted_people_show_only_that_a_record_exists_and_whom_to_ask(handler: User) -> None:
    secret = person(
        "Layla", "Brennan", "1995-09-09", restricted=True, restriction_contact="DS Kaur, public protection"
    )
    result = nominal_search(user=handler, purpose="Test", name="Layla Brennan").results[0]
    assert result.nominal_id == secret.pk and result.hidden
    assert result.names == [] and result.date_of_birth is None and result.markers == []
    assert result.restriction_contact == "DS Kaur, public protection"
    with pytest.raises(RestrictedRecord) as error:
        nominal_profile(user=handler, nominal_id=secret.pk, purpose="Test")
    assert "DS Kaur" in error.value.message
    AccessGrant.objects.create(record_type="people.nominal", record_id=str(secret.pk), user=handler)
    shown = nominal_search(user=handler, purpose="Test", name="Layla Brennan").results[0]
    assert shown.names == ["Layla Brennan"] and not shown.hidden


def test_break_glass_opens_a_restricted_record_and_flags_the_entry(handler: User) -> None:
    secret = person("Layla", "Brennan", restricted=True, restriction_contact="DS Kaur")
    profile = nominal_profile(
        user=handler,
        nominal_id=secret.pk,
        purpose="Test",
        break_glass_reason="Caller says she is in danger now",
    )
    assert profile.nominal == secret
    assert AuditEntry.objects.get(operation="people.view", record_id=str(secret.pk)).break_glass


def test_person_page_puts_markers_first_and_logs_the_view(handler: User) -> None:
    target = person("Craig", "Dunn", "1979-12-01", aliases=(("nickname", "Dunny", ""),))
    services.marker_add(acting_user=None, nominal=target, kind="mental_health", source="Triage car")
    services.marker_add(acting_user=None, nominal=target, kind="firearms", source="Intelligence 7781")
    profile = nominal_profile(user=handler, nominal_id=target.pk, purpose="Attending a call")
    assert [marker.label for marker in profile.markers] == [
        "Firearms",
        "Mental health",
    ]  # officer safety first
    assert [name.display for name in profile.names] == ["Craig DUNN", "Dunny"]
    assert AuditEntry.objects.filter(operation="people.view", purpose="Attending a call").count() == 1


def test_call_handler_sees_who_is_linked_to_an_address_and_their_markers(handler: User) -> None:
    address = AddressFactory()
    offender = person("Keith", "Rowe", "1960-02-02", addresses=[services.AddressInput(address.pk)])
    partner = person("Donna", "Rowe", "1965-03-03", addresses=[services.AddressInput(address.pk)])
    person("Past", "Tenant", addresses=[services.AddressInput(address.pk, valid_to=date(2000, 1, 1))])
    services.marker_add(acting_user=None, nominal=offender, kind="sex_offender", source="ViSOR")
    secret = person(
        "Hidden",
        "Person",
        restricted=True,
        restriction_contact="PPU",
        addresses=[services.AddressInput(address.pk)],
    )
    found = people_at_address(user=handler, address_id=address.pk, purpose="Domestic call at this address")
    assert [summary.nominal_id for summary in found.people][:1] == [offender.pk]
    assert {summary.nominal_id for summary in found.people} == {offender.pk, partner.pk, secret.pk}
    assert [marker.label for marker in found.people[0].markers] == ["Sex offender"]
    hidden = next(summary for summary in found.people if summary.nominal_id == secret.pk)
    assert hidden.hidden and hidden.name == "Restricted record" and hidden.restriction_contact == "PPU"
    entry = AuditEntry.objects.get(operation="people.at_address")
    assert entry.purpose == "Domestic call at this address" and set(entry.detail["ids"]) == {
        offender.pk,
        partner.pk,
        secret.pk,
    }


def test_address_summary_reads_a_fixed_number_of_queries(handler: User) -> None:
    address = AddressFactory()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            people_at_address(user=handler, address_id=address.pk, purpose="Test")
        return len(queries)

    person("One", "Resident", addresses=[services.AddressInput(address.pk)])
    count()  # the first read also loads the user's permissions
    few = count()
    for number in range(5):
        target = person(f"Resident{number}", "Many", addresses=[services.AddressInput(address.pk)])
        services.marker_add(acting_user=None, nominal=target, kind="drugs", source="Test")
    assert count() == few


def test_risk_summary_is_logged_as_its_own_consultation(handler: User) -> None:
    target = person("Lee", "Shaw", "1990-10-10")
    summary = risk_summary(user=handler, nominal_id=target.pk, purpose="Dispatching to the address")
    assert summary.name == "Lee SHAW" and summary.dates_of_birth
    assert AuditEntry.objects.filter(operation="people.summary", record_id=str(target.pk)).exists()


def test_search_by_vehicle_registration_in_part_and_without_spaces(handler: User) -> None:
    owner = person("Rita", "Kemp")
    vehicle = services.vehicle_record(acting_user=None, vrm="LX19 HBK", make="Vauxhall")
    services.link_add(acting_user=None, nominal=owner, target=vehicle, role="keeper")
    for text in ("lx19hbk", "19 HB", "LX19 HBK"):
        results: Any = nominal_search(user=handler, purpose="Test", vrm=text).results
        assert [result.nominal_id for result in results] == [owner.pk]
        assert any("vehicle" in reason for reason in results[0].matched_on)


def test_search_by_address_uses_the_gazetteer_search(handler: User) -> None:
    address = AddressFactory(street="Tannery Lane", building_number="14", postcode="DM1 4AB")
    resident = person("Nora", "Quill", addresses=[services.AddressInput(address.pk)])
    person("Someone", "Else")
    for text in ("14 Tannery Lane", "14 tannery ln", "DM1 4AB"):
        results = nominal_search(user=handler, purpose="Test", address=text).results
        assert [result.nominal_id for result in results] == [resident.pk], text
    both = nominal_search(user=handler, purpose="Test", address="Tannery Lane", name="Nora Quill").results
    assert both[0].nominal_id == resident.pk and "family name matches" in both[0].matched_on
