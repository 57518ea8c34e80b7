"""Logged reads: an incident needs a purpose, the risk panel logs each read, and shows only what
the role may see."""

from __future__ import annotations

import pytest

from iops.audit.models import AuditEntry
from iops.incidents import access, services
from iops.incidents.tests.factories import beat, control_room_user, resident_with_marker, searchable_address
from iops.platform.errors import PermissionRefused, PurposeRequired

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler():
    return control_room_user("handler")


@pytest.fixture
def place():
    area = beat()
    return {"beat": area, "address": searchable_address(area)}


def _incident(handler, place):
    call = services.call_create(
        acting_user=handler, channel="999", address=place["address"], caller_name="Alex"
    )
    return services.incident_create(acting_user=handler, opening_category="PSW-CONCERN", call=call)


def test_reading_an_incident_needs_a_purpose_and_a_role_that_may(handler, place) -> None:
    incident = _incident(handler, place)
    with pytest.raises(PurposeRequired):
        access.access_incident(handler, incident.pk, purpose="  ")
    with pytest.raises(PermissionRefused):
        access.access_incident(
            control_room_user("dpo", "data_protection_officer"), incident.pk, purpose="Audit"
        )
    assert not AuditEntry.objects.filter(operation="incidents.view").exists()
    access.access_incident(handler, incident.pk, purpose="Dispatch")
    assert AuditEntry.objects.get(operation="incidents.view").purpose == "Dispatch"


def test_the_list_is_logged_once_with_the_ids_shown(handler, place) -> None:
    incident = _incident(handler, place)
    from iops.incidents.selectors import IncidentFilter

    shown = access.access_incident_list(handler, IncidentFilter(), purpose="Incident list")
    entry = AuditEntry.objects.get(operation="incidents.list")
    assert [item.pk for item in shown] == entry.detail["ids"] == [incident.pk]


def test_the_risk_at_a_location_logs_each_read_with_the_call_taking_purpose(handler, place) -> None:
    person = resident_with_marker(place["address"])
    _incident(handler, place)
    risk = access.location_risk(handler, address_id=place["address"].pk, names=["Jordan Blakeley"])
    assert risk.marker_count == 1
    assert risk.addresses[0].people[0].nominal_id == person.pk
    entries = AuditEntry.objects.filter(actor=handler, action="consultation").order_by("id")
    assert [(entry.operation, entry.purpose) for entry in entries] == [
        ("people.at_address", access.RISK_PURPOSE),
        ("incidents.history_at_location", access.RISK_PURPOSE),
        ("people.search", access.RISK_PURPOSE),
    ]
    assert entries[0].detail["ids"] == [person.pk]


def test_a_restricted_person_at_the_address_shows_only_whom_to_ask(handler, place) -> None:
    from iops.people.services import AddressInput, NameInput, nominal_create

    recorder = control_room_user("recorder", "intelligence_officer")
    nominal_create(
        acting_user=recorder,
        names=[NameInput(given_names="Sam", family_name="Hidden")],
        addresses=[AddressInput(address_id=place["address"].pk)],
        restricted=True,
        restriction_contact="Protected persons unit",
    )
    risk = access.location_risk(handler, address_id=place["address"].pk)
    person = risk.addresses[0].people[0]
    assert (person.hidden, person.name, person.restriction_contact) == (
        True,
        "Restricted record",
        "Protected persons unit",
    )


def test_a_role_without_people_access_still_sees_the_history_and_is_told_why_not_the_people(
    handler, place
) -> None:
    resident_with_marker(place["address"])
    earlier = _incident(handler, place)
    from django.contrib.auth.models import Permission

    from iops.accounts.models import User

    # No role reads incidents without people today; grant the one permission directly.
    reader = control_room_user("reader", "administrator")
    reader.user_permissions.add(Permission.objects.get(codename="view_incident"))
    reader = User.objects.get(pk=reader.pk)
    risk = access.location_risk(reader, address_id=place["address"].pk)
    assert risk.addresses == []
    assert "does not allow" in risk.people_refused
    assert [item.incident for item in risk.history] == [earlier]
