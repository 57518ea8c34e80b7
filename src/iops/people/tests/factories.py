"""Factories for people tests: users in roles and invented people, made through the services.

People are made by ``nominal_create`` (the only writer), so every test person has the search entry
and log entries a real one has. All names and dates are synthetic.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from faker import Faker

from iops.accounts.choices import Role
from iops.accounts.models import User
from iops.accounts.tests.factories import UserFactory
from iops.people import services
from iops.people.models import Nominal

_faker = Faker("en_GB")


def user_in(*roles: Role, **fields: Any) -> User:
    user: User = UserFactory(roles=list(roles), **fields)
    return user


def person(
    given: str = "",
    family: str = "",
    born: date | str | None = None,
    *,
    aliases: tuple[tuple[str, str, str], ...] = (),
    **fields: Any,
) -> Nominal:
    """A person with one name (and aliases as (kind, given, family)), created by the system."""
    names = [services.NameInput(given or _faker.first_name(), family or _faker.last_name())]
    names += [
        services.NameInput(alias_given, alias_family, kind) for kind, alias_given, alias_family in aliases
    ]
    dates = [date.fromisoformat(born) if isinstance(born, str) else born] if born else []
    return services.nominal_create(acting_user=None, names=names, dates_of_birth=dates, **fields)
