"""Factories for duties tests: teams with supervisors, members, and duties."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from iops.accounts.choices import TeamKind
from iops.accounts.models import Team, User
from iops.accounts.services import user_create
from iops.duties.models import Duty
from iops.duties.services import duty_open


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"Response team {n}")
    kind = TeamKind.RESPONSE


def make_user(username: str, *roles: str, team: Team | None = None) -> User:
    return user_create(acting_user=None, username=username, password=None, roles=list(roles), team=team)


def make_duty(
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    hours: float = 24,
    opened_ago: float = 0,
    kind: str = "task",
    **fields: Any,
) -> Duty:
    opened = timezone.now() - timedelta(hours=opened_ago)
    return duty_open(
        kind=kind,
        title=fields.pop("title", "Check the CCTV"),
        owner_user=owner_user,
        owner_team=owner_team,
        opened_at=opened,
        due_at=opened + timedelta(hours=hours),
        **fields,
    )
