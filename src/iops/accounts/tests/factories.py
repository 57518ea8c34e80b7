"""Factories for accounts: synthetic districts, teams and users (Faker en_GB), with roles."""

from __future__ import annotations

from functools import cache
from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from iops.accounts.choices import Rank, Role, TeamKind
from iops.accounts.models import District, Team, User

PASSWORD = "amber-harbour-lantern-42"


@cache
def _hashed_password() -> str:
    return make_password(PASSWORD)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Faker("city", locale="en_GB")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.LazyAttribute(lambda team: f"{team.district.name} response {team.code}")
    kind = TeamKind.RESPONSE
    district = factory.SubFactory(DistrictFactory)


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in with ``PASSWORD``; ``roles=[Role.X, ...]`` puts them in role groups."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    collar_number = factory.Sequence(lambda n: str(5000 + n))
    rank = Rank.CONSTABLE
    # Hashed once (Argon2 is slow on purpose) and shared by every user the factory makes.
    password = factory.LazyFunction(lambda: _hashed_password())

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        for role in extracted:
            self.groups.add(Group.objects.get_or_create(name=Role(role).label)[0])
