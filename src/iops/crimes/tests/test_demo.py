"""The demo step makes crimes across categories and outcomes, with decisions on time, late and
missing, and a spread of open, overdue and escalated duties."""

from __future__ import annotations

import random

import pytest
from faker import Faker

from iops.accounts.choices import Rank, Role, TeamKind
from iops.crimes.demo import crimes
from iops.crimes.models import Crime, NonCrimeRationale
from iops.crimes.selectors import recording_compliance, unresolved_summary
from iops.crimes.tests.factories import beat_with_address, person_user, team
from iops.duties.choices import DutyStatus
from iops.duties.models import Duty
from iops.platform.demo import DemoContext, DemoSize

pytestmark = pytest.mark.django_db


def test_the_demo_step_makes_a_realistic_spread() -> None:
    sergeant = person_user("demo_sgt", Role.SUPERVISOR, rank=Rank.SERGEANT)
    team(TeamKind.RESPONSE, "D1-RESP", supervisor=sergeant)
    cid = team(TeamKind.CID, "D1-CID", supervisor=sergeant)
    users = {
        Role.CALL_HANDLER.value: [person_user("demo_ch", Role.CALL_HANDLER)],
        Role.INVESTIGATOR.value: [person_user(f"demo_dc{n}", Role.INVESTIGATOR, team=cid) for n in range(3)],
        Role.SUPERVISOR.value: [sergeant],
        Role.CRIME_REGISTRAR.value: [person_user("demo_fcr", Role.CRIME_REGISTRAR)],
    }
    faker = Faker("en_GB")
    faker.seed_instance(7)
    size = DemoSize("tiny", 1, 1, 1, 10, 1, 30, 10, 60, 21)
    context = DemoContext(size=size, seed=7, random=random.Random(7), faker=faker)
    context.made.update(users_by_role=users, addresses=[beat_with_address().pk])

    crimes(context)

    made = Crime.objects.all()
    assert 40 <= made.count() <= 70
    assert made.values("police_uk_category").distinct().count() >= 6
    assert made.filter(outcome_type__isnull=False).values("outcome_type").distinct().count() >= 3
    assert made.filter(state="cancelled").exists() and made.filter(state="transferred").exists()
    assert NonCrimeRationale.objects.exists()
    summary = unresolved_summary()
    assert summary.count >= 1 and summary.overdue >= 1
    figure = recording_compliance(since=min(c.reported_at for c in made))
    assert figure.crimes == made.count() and 0.6 < (figure.share or 0) < 1
    open_duties = Duty.objects.filter(status=DutyStatus.OPEN)
    assert open_duties.filter(escalation_level__gt=0).exists()
    assert open_duties.filter(escalation_level=0).exists()
    assert set(open_duties.values_list("kind", flat=True)) >= {"victim_update", "investigation_action"}

    crimes(context)  # a second run adds nothing
    assert Crime.objects.count() == made.count()
