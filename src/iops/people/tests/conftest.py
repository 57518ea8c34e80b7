"""Fixtures for people tests: users in the roles that search, record and merge."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from iops.accounts.choices import Role
from iops.accounts.models import User
from iops.people.tests.factories import user_in


@pytest.fixture
def handler(db: Any) -> User:
    return user_in(Role.CALL_HANDLER, username="handler")


@pytest.fixture
def investigator(db: Any) -> User:
    return user_in(Role.INVESTIGATOR, username="investigator")


@pytest.fixture
def supervisor(db: Any) -> User:
    return user_in(Role.SUPERVISOR, username="supervisor")


@pytest.fixture
def outsider(db: Any) -> User:
    """A role with no permission on the nominal index (the data protection officer reads the log)."""
    return user_in(Role.DATA_PROTECTION_OFFICER, username="outsider")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
