"""The simulator feeds the same services people use, keeps to its own incidents, and stops tidily."""

from __future__ import annotations

import pytest

from iops.dispatch.choices import UnitStatus
from iops.dispatch.models import Assignment, Unit
from iops.dispatch.simulation import Simulator
from iops.dispatch.tests import factories
from iops.incidents.models import Call, Incident
from iops.incidents.tests.factories import address_in, beat

pytestmark = pytest.mark.django_db


def test_simulated_minutes_take_calls_sends_units_and_winds_down() -> None:
    address_in(beat())
    for number in range(6):
        factories.unit(
            f"NM-R{number}", at=(53.46 + number * 0.005, -2.26), skills=["firearms", "taser", "collision"]
        )
    simulator = Simulator(rate=3, move_units=True, speed=20, seed=7)
    clock = 0.0
    simulator.next_call = clock
    while clock < 420:
        simulator.step(clock)
        clock += 1.0
    assert simulator.tally.calls > 10
    assert simulator.tally.assignments > 0 and simulator.tally.arrivals > 0 and simulator.tally.moves > 0
    assert Call.objects.filter(channel="999").exclude(aml_message="").exists()
    assert Incident.objects.filter(first_arrived_at__isnull=False).exists()
    simulator.wind_down()
    assert not Assignment.objects.filter(cleared_at__isnull=True).exists()
    assert not Incident.objects.filter(status="open", opened_by__username="simulator").exists()
    assert set(Unit.objects.values_list("status", flat=True)) == {UnitStatus.AVAILABLE}


def test_the_simulator_refuses_silly_rates() -> None:
    address_in(beat())
    with pytest.raises(ValueError, match="rate"):
        Simulator(rate=0, move_units=False)
    with pytest.raises(ValueError, match="rate"):
        Simulator(rate=100_000, move_units=False)
