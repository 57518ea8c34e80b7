"""The demo force's dispatch step: units in every district with crews and positions, and a day of
history whose figures show both met and missed targets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from iops.dispatch.choices import UnitStatus, UnitType
from iops.dispatch.models import Assignment, Unit
from iops.incidents.models import Call, Incident
from iops.platform.demo import make_context, registered_steps

pytestmark = pytest.mark.django_db


def test_the_demo_adds_units_and_a_day_of_attended_incidents() -> None:
    context = make_context("small", seed=3)
    context.size = replace(context.size, incidents_per_day=30, addresses=300, users_per_role=1)
    for step in registered_steps():
        if step.name in ("geo", "accounts", "dispatch"):
            step.run(context)
    units = Unit.objects.all()
    assert units.filter(unit_type=UnitType.RESPONSE).count() == 12
    assert units.filter(unit_type=UnitType.ARMED_RESPONSE, skills__contains=["firearms"]).count() == 2
    assert not units.filter(latitude__isnull=True).exists()
    assert units.filter(crew__isnull=False).exists()
    assert Incident.objects.count() >= 30
    assert Incident.objects.filter(status="closed", first_arrived_at__isnull=False).exists()
    assert Incident.objects.filter(status="open").exists()
    assert Call.objects.filter(channel="999").exclude(aml_message="").exists()
    # Every unit still on an incident is on an open one; every other unit is free.
    for assignment in Assignment.objects.filter(cleared_at__isnull=True).select_related("incident", "unit"):
        assert assignment.incident.status == "open"
        assert assignment.unit.status in (UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE)
    # Running it again adds nothing.
    before = (Unit.objects.count(), Incident.objects.count())
    for step in registered_steps():
        if step.name == "dispatch":
            step.run(context)
    assert (Unit.objects.count(), Incident.objects.count()) == before
