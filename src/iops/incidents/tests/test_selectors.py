"""Reads of incidents: likely duplicates, history at a location, the open list and one incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from iops.incidents import selectors, services
from iops.incidents.access import access_incident
from iops.incidents.models import Incident
from iops.incidents.tests.factories import THRIVE_ANSWERS, beat, control_room_user, searchable_address

pytestmark = pytest.mark.django_db

# About 0.0009 degrees of latitude is 100 m.
HUNDRED_METRES = 0.0009


@pytest.fixture
def handler():
    return control_room_user("handler")


@pytest.fixture
def place():
    area = beat()
    return {"beat": area, "address": searchable_address(area)}


def _at(
    handler, latitude: float, longitude: float, category: str = "CR-VIOL", minutes_ago: float = 0
) -> Incident:
    return services.incident_create(
        acting_user=handler,
        opening_category=category,
        latitude=latitude,
        longitude=longitude,
        opened_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


# --- likely duplicates -------------------------------------------------------------------------


def test_a_duplicate_is_near_in_place_and_time_with_a_category_of_the_same_family(handler) -> None:
    near = _at(handler, 53.47 + HUNDRED_METRES, -2.25, "CR-VIOL", minutes_ago=10)
    found = selectors.likely_duplicates(handler, opening_category="CR-ROB", latitude=53.47, longitude=-2.25)
    assert [item.incident for item in found] == [near]
    assert 90 < found[0].distance_m < 110
    assert found[0].reasons[0].endswith("m away")


def test_not_a_duplicate_when_too_far_too_old_another_family_or_closed(handler) -> None:
    _at(handler, 53.47 + 4 * HUNDRED_METRES, -2.25)  # about 400 m away
    _at(handler, 53.47, -2.25, minutes_ago=90)  # an hour and a half ago
    _at(handler, 53.47, -2.25, "TRN-RTC-DAMAGE")  # a collision, not a crime
    closed = _at(handler, 53.47, -2.25)
    services.incident_close(
        acting_user=handler,
        incident=closed,
        closing_category="CR-VIOL",
        closing_result="NO-CRIME-RATIONALE",
        crime_report_needed=False,
    )
    assert (
        selectors.likely_duplicates(handler, opening_category="CR-VIOL", latitude=53.47, longitude=-2.25)
        == []
    )


def test_duplicates_rank_nearest_in_place_and_time_first(handler) -> None:
    older_further = _at(handler, 53.47 + 2 * HUNDRED_METRES, -2.25, minutes_ago=40)
    close_recent = _at(handler, 53.47, -2.25, minutes_ago=2)
    found = selectors.likely_duplicates(handler, opening_category="CR-VIOL", latitude=53.47, longitude=-2.25)
    assert [item.incident for item in found] == [close_recent, older_further]


def test_the_same_address_is_a_duplicate_whatever_its_point(handler, place) -> None:
    call = services.call_create(acting_user=handler, channel="999", address=place["address"])
    same = services.incident_create(acting_user=handler, opening_category="PSW-CONCERN", call=call)
    found = selectors.likely_duplicates(
        handler, opening_category="PSW-MISSING", address_id=place["address"].pk
    )
    assert [(item.incident, item.same_address) for item in found] == [(same, True)]


def test_no_place_no_duplicates(handler) -> None:
    _at(handler, 53.47, -2.25)
    assert selectors.likely_duplicates(handler, opening_category="CR-VIOL") == []


def test_duplicates_use_one_query(handler) -> None:
    for minutes in range(5):
        _at(handler, 53.47, -2.25, minutes_ago=minutes)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.likely_duplicates(
            handler, opening_category="CR-VIOL", latitude=53.47, longitude=-2.25
        )
    assert len(found) == 5
    assert len(queries) == 1


# --- history at a location ---------------------------------------------------------------------


def test_history_is_the_last_twelve_months_at_the_address_or_nearby(handler, place) -> None:
    address = place["address"]
    recent = _at(
        handler, address.latitude + 0.5 * HUNDRED_METRES, address.longitude, minutes_ago=60 * 24 * 30
    )
    old = _at(handler, address.latitude, address.longitude, minutes_ago=60 * 24 * 400)
    far = _at(handler, address.latitude + 5 * HUNDRED_METRES, address.longitude)
    found = selectors.incidents_near(
        handler, address_id=address.pk, latitude=address.latitude, longitude=address.longitude
    )
    incidents = [item.incident for item in found]
    assert recent in incidents
    assert old not in incidents
    assert far not in incidents


def test_history_newest_first_and_at_the_address_even_when_the_point_is_elsewhere(handler, place) -> None:
    call = services.call_create(acting_user=handler, channel="101", address=place["address"])
    at_address = services.incident_create(
        acting_user=handler,
        opening_category="PSW-CONCERN",
        call=call,
        opened_at=timezone.now() - timedelta(days=2),
    )
    newer = _at(handler, place["address"].latitude, place["address"].longitude, minutes_ago=5)
    address = place["address"]
    found = selectors.incidents_near(
        handler, address_id=address.pk, latitude=address.latitude, longitude=address.longitude
    )
    assert [(item.incident, item.same_address) for item in found] == [(newer, False), (at_address, True)]
    assert [item.incident for item in selectors.incidents_near(handler, address_id=address.pk)] == [
        at_address
    ]


# --- the list and one incident -----------------------------------------------------------------


def test_the_open_list_puts_emergency_first_then_oldest(handler) -> None:
    ungraded = _at(handler, 53.47, -2.25, minutes_ago=30)
    emergency = _at(handler, 53.48, -2.25, minutes_ago=5)
    services.thrive_record(acting_user=handler, incident=emergency, **THRIVE_ANSWERS)
    services.incident_grade(acting_user=handler, incident=emergency, grade="emergency")
    priority = _at(handler, 53.46, -2.25, minutes_ago=40)
    services.thrive_record(acting_user=handler, incident=priority, **THRIVE_ANSWERS)
    services.incident_grade(acting_user=handler, incident=priority, grade="priority")
    listed = list(selectors.open_incidents(handler))
    assert listed == [ungraded, emergency, priority]
    assert list(selectors.open_incidents(handler, selectors.IncidentFilter(grade="ungraded"))) == [ungraded]


def test_one_incident_in_full_takes_a_fixed_number_of_queries(handler, place) -> None:
    call = services.call_create(acting_user=handler, channel="999", address=place["address"])
    incident = services.incident_create(acting_user=handler, opening_category="CR-VIOL", call=call)
    for _ in range(3):
        services.call_create(acting_user=handler, channel="101", location_text="again")
        services.incident_log_add(acting_user=handler, incident=incident, text="More")
        services.thrive_record(acting_user=handler, incident=incident, **THRIVE_ANSWERS)
    services.incident_grade(acting_user=handler, incident=incident, grade="priority")
    with CaptureQueriesContext(connection) as queries:
        full = access_incident(handler, incident.pk, purpose="Checking")
        calls = [(call.handler.username, call.address) for call in full.calls.all()]
        versions = [(item.version, item.assessed_by.username) for item in full.thrive_assessments.all()]
        grades = [item.decided_by.username for item in full.grade_decisions.all()]
        authors = [entry.author for entry in full.log.all()]
    assert len(calls) == 1 and len(versions) == 3 and len(grades) == 1 and len(authors) >= 4
    # The incident with its joins, calls, THRIVE, grades, log; the permission and the log entry.
    assert len(queries) <= 9, [query["sql"][:70] for query in queries]


def test_calls_taken_today_are_the_handlers_own(handler) -> None:
    other = control_room_user("other")
    mine = services.call_create(acting_user=handler, channel="999", location_text="here")
    services.call_create(acting_user=other, channel="999", location_text="there")
    assert list(selectors.calls_taken_today(handler)) == [mine]
