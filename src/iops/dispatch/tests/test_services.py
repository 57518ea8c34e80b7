"""Units and assignments: the rules a dispatcher and a crew rely on."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from iops.dispatch import services
from iops.dispatch.choices import AssignmentStatus, UnitStatus
from iops.dispatch.errors import StatusChangeNotAllowed, UnitNotAvailable
from iops.dispatch.models import Assignment, Unit, UnitStatusChange
from iops.dispatch.tests import factories
from iops.incidents import services as incident_services
from iops.incidents.errors import IncidentClosed
from iops.platform import events
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher():
    return factories.user("dispatcher", "dispatcher")


@pytest.fixture
def handler():
    return factories.user("handler", "call_handler")


# --- units ---------------------------------------------------------------------------------------


def test_a_unit_has_a_unique_call_sign_a_known_type_and_known_skills() -> None:
    made = factories.unit("nm-r21", skills=["taser"])
    assert made.call_sign == "NM-R21"
    with pytest.raises(ValidationFailed) as error:
        factories.unit("NM-R21")
    assert (error.value.field, error.value.message) == ("call_sign", "There is already a unit NM-R21.")
    with pytest.raises(ValidationFailed) as error:
        factories.unit("NM-R22", unit_type="helicopter")
    assert error.value.field == "unit_type"
    with pytest.raises(ValidationFailed) as error:
        factories.unit("NM-R23", skills=["juggling"])
    assert error.value.field == "skills"
    assert "juggling" in error.value.message


def test_status_changes_follow_the_rules_and_are_kept_with_who_and_when(dispatcher) -> None:
    unit = factories.unit("NM-R21", status=UnitStatus.OFF_DUTY)
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AVAILABLE)
    services.unit_set_status(
        acting_user=dispatcher, unit=unit, status=UnitStatus.REFRESHMENT, note="Meal break"
    )
    assert unit.status == UnitStatus.REFRESHMENT
    history = list(
        UnitStatusChange.objects.filter(unit=unit).values_list("from_status", "to_status", "by", "note")
    )
    assert history == [
        ("off_duty", "available", dispatcher.pk, ""),
        ("available", "refreshment", dispatcher.pk, "Meal break"),
    ]
    with pytest.raises(StatusChangeNotAllowed) as error:
        services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AT_SCENE)
    assert error.value.status == 409
    assert error.value.field == "status"
    assert error.value.message == "NM-R21 is refreshment and cannot go to at scene from there."


def test_a_unit_is_assigned_only_from_an_incident_and_is_at_scene_only_of_an_incident(dispatcher) -> None:
    unit = factories.unit("NM-R21")
    with pytest.raises(StatusChangeNotAllowed, match="Assign NM-R21 from the incident"):
        services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.ASSIGNED)
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.COMMITTED)
    with pytest.raises(StatusChangeNotAllowed, match="has no incident to be at scene at"):
        services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AT_SCENE)


def test_repeating_the_current_status_changes_nothing(dispatcher) -> None:
    unit = factories.unit("NM-R21")
    version = unit.version
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AVAILABLE)
    assert unit.version == version
    assert not UnitStatusChange.objects.filter(unit=unit).exists()


def test_unknown_status_and_future_times_are_field_errors(dispatcher) -> None:
    unit = factories.unit("NM-R21")
    with pytest.raises(ValidationFailed) as error:
        services.unit_set_status(acting_user=dispatcher, unit=unit, status="asleep")
    assert error.value.field == "status"
    with pytest.raises(ValidationFailed) as error:
        services.unit_set_status(
            acting_user=dispatcher, unit=unit, status="refreshment", at=timezone.now() + timedelta(hours=1)
        )
    assert error.value.field == "at"


def test_a_crew_member_may_report_their_own_unit_but_not_another(dispatcher) -> None:
    officer = factories.user("pc1", "response_officer")
    own = factories.unit("NM-R21", crew=[officer])
    other = factories.unit("NM-R22")
    services.unit_set_status(acting_user=officer, unit=own, status=UnitStatus.REFRESHMENT)
    services.unit_update_position(acting_user=officer, unit=own, latitude=53.48, longitude=-2.24)
    with pytest.raises(PermissionRefused, match="Only NM-R22's crew or a dispatcher"):
        services.unit_set_status(acting_user=officer, unit=other, status=UnitStatus.REFRESHMENT)
    with pytest.raises(PermissionRefused):
        services.unit_update_position(acting_user=officer, unit=other, latitude=53.48, longitude=-2.24)
    services.unit_set_status(acting_user=dispatcher, unit=other, status=UnitStatus.REFRESHMENT)


def test_a_position_report_older_than_the_one_held_is_ignored(dispatcher) -> None:
    unit = factories.unit("NM-R21")
    now = timezone.now()
    services.unit_update_position(acting_user=dispatcher, unit=unit, latitude=53.48, longitude=-2.24, at=now)
    services.unit_update_position(
        acting_user=dispatcher, unit=unit, latitude=53.40, longitude=-2.30, at=now - timedelta(seconds=30)
    )
    assert (unit.latitude, unit.longitude, unit.position_at) == (53.48, -2.24, now)
    with pytest.raises(ValidationFailed) as error:
        services.unit_update_position(acting_user=dispatcher, unit=unit, latitude=95.0, longitude=-2.24)
    assert (error.value.field, error.value.message) == (
        "latitude",
        "The latitude 95.0 is out of range -90 to 90.",
    )


# --- assignments -----------------------------------------------------------------------------------


def test_assigning_an_available_unit_sends_it_and_records_who_and_when(dispatcher, handler) -> None:
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    assignment = services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.ASSIGNED
    assert (assignment.status, assignment.assigned_by, assignment.cleared_at) == (
        "assigned",
        dispatcher,
        None,
    )
    change = UnitStatusChange.objects.get(unit=unit)
    assert (change.from_status, change.to_status, change.incident_id) == (
        "available",
        "assigned",
        incident.pk,
    )


def test_an_unavailable_unit_is_refused_with_a_clear_message(dispatcher, handler) -> None:
    incident = factories.incident(handler)
    resting = factories.unit("NM-R21")
    services.unit_set_status(acting_user=dispatcher, unit=resting, status=UnitStatus.REFRESHMENT)
    with pytest.raises(UnitNotAvailable) as error:
        services.assignment_create(acting_user=dispatcher, incident=incident, unit=resting)
    assert error.value.status == 409
    assert (error.value.code, error.value.field) == ("unit_not_available", "unit")
    assert error.value.message == "Unit NM-R21 is not available: it is refreshment. Choose another unit."
    busy = factories.unit("NM-R22")
    other = factories.incident(handler)
    services.assignment_create(acting_user=dispatcher, incident=other, unit=busy)
    with pytest.raises(UnitNotAvailable) as error:
        services.assignment_create(acting_user=dispatcher, incident=incident, unit=busy)
    assert error.value.message == (
        f"Unit NM-R22 is not available: it is assigned to incident {other.reference}. Choose another unit."
    )
    assert not Assignment.objects.filter(incident=incident).exists()


def test_a_closed_incident_cannot_have_a_unit_sent(dispatcher, handler) -> None:
    incident = factories.incident(handler, category="ASB-NUIS")
    incident_services.incident_close(
        acting_user=handler,
        incident=incident,
        closing_category="ASB-NUIS",
        closing_result=_a_closing_result(),
    )
    unit = factories.unit("NM-R21")
    with pytest.raises(IncidentClosed):
        services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE


def _a_closing_result() -> str:
    from iops.incidents import codes

    return next(result.code for result in codes.closing_results() if not result.decides_crime_recording)


def test_the_first_unit_at_scene_stops_the_attendance_clock_and_later_ones_do_not(
    dispatcher, handler
) -> None:
    incident = factories.incident(handler, opened_minutes_ago=6)
    first = factories.unit("NM-R21")
    second = factories.unit("NM-R22")
    services.assignment_create(acting_user=dispatcher, incident=incident, unit=first)
    services.assignment_create(acting_user=dispatcher, incident=incident, unit=second)
    services.unit_set_status(acting_user=dispatcher, unit=first, status=UnitStatus.EN_ROUTE)
    arrived = timezone.now()
    services.unit_set_status(acting_user=dispatcher, unit=first, status=UnitStatus.AT_SCENE, at=arrived)
    services.unit_set_status(acting_user=dispatcher, unit=second, status=UnitStatus.AT_SCENE)
    incident.refresh_from_db()
    assert incident.first_arrived_at == arrived
    assignment = Assignment.objects.get(unit=first)
    assert assignment.status == AssignmentStatus.AT_SCENE
    assert assignment.en_route_at is not None and assignment.at_scene_at == arrived


def test_becoming_available_clears_the_unit_from_its_incident(dispatcher, handler) -> None:
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    assignment = services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AT_SCENE)
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AVAILABLE)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLEARED and assignment.cleared_at is not None
    # Free for the next incident.
    services.assignment_create(acting_user=dispatcher, incident=factories.incident(handler), unit=unit)


def test_standing_a_unit_down_clears_it_and_makes_it_available_once(dispatcher, handler) -> None:
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    assignment = services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    services.assignment_clear(acting_user=dispatcher, assignment=assignment)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE
    with pytest.raises(Conflict, match="has already cleared"):
        services.assignment_clear(acting_user=dispatcher, assignment=assignment)


def test_closing_an_incident_clears_the_units_still_on_it(dispatcher, handler) -> None:
    incident = factories.incident(handler, category="ASB-NUIS")
    unit = factories.unit("NM-R21")
    services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    services.unit_set_status(acting_user=dispatcher, unit=unit, status=UnitStatus.AT_SCENE)
    incident_services.incident_close(
        acting_user=handler,
        incident=incident,
        closing_category="ASB-NUIS",
        closing_result=_a_closing_result(),
    )
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE
    assert Assignment.objects.get(unit=unit).status == AssignmentStatus.CLEARED


def test_changes_are_published_for_live_boards(dispatcher, handler) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    def listen(topic: str, payload: dict[str, Any]) -> None:
        heard.append((topic, payload))

    for topic in ("dispatch.unit_changed", "dispatch.assignment_changed"):
        events.subscribe(topic, listen)
    try:
        incident = factories.incident(handler)
        unit = factories.unit("NM-R21")
        heard.clear()
        assignment = services.assignment_create(acting_user=dispatcher, incident=incident, unit=unit)
    finally:
        for topic in ("dispatch.unit_changed", "dispatch.assignment_changed"):
            events._subscribers[topic].remove(listen)
    assert [topic for topic, _ in heard] == ["dispatch.assignment_changed", "dispatch.unit_changed"]
    assert heard[0][1] == {
        "id": assignment.pk,
        "version": 1,
        "incident": incident.pk,
        "unit": unit.pk,
        "status": "assigned",
    }
    assert heard[1][1]["status"] == "assigned" and heard[1][1]["call_sign"] == "NM-R21"


# --- the race ---------------------------------------------------------------------------------------


def _race(unit: Unit, incidents: list[Any], dispatchers: list[Any]) -> list[Any]:
    """Two dispatchers, each in their own thread and transaction, assign ``unit`` at the same moment."""
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def assign(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            outcomes[index] = services.assignment_create(
                acting_user=dispatchers[index], incident=incidents[index], unit=unit
            )
        except Exception as error:  # the refusal is the outcome we inspect
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_assigning_one_unit_at_once_get_one_success_and_one_clear_refusal() -> None:
    dispatchers = [factories.user("dispatcher1", "dispatcher"), factories.user("dispatcher2", "dispatcher")]
    handler = factories.user("handler", "call_handler")
    for round_ in range(5):
        unit = factories.unit(f"NM-R{round_}")
        outcomes = _race(unit, [factories.incident(handler), factories.incident(handler)], dispatchers)
        won = [outcome for outcome in outcomes if isinstance(outcome, Assignment)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, UnitNotAvailable)]
        assert (len(won), len(refused)) == (1, 1), [f"{type(o).__name__}: {o}" for o in outcomes]
        assert refused[0].message == (
            f"Unit {unit.call_sign} is not available: it is assigned to incident "
            f"{won[0].incident.reference}. Choose another unit."
        )
        assert Assignment.objects.filter(unit=unit, cleared_at__isnull=True).count() == 1
