"""Fixtures for accounts tests: users in roles, and a test client signed in as one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from iops.accounts.choices import Role
from iops.accounts.models import User
from iops.accounts.tests.factories import UserFactory


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(*roles: Role, **fields: Any) -> User:
        return UserFactory(roles=list(roles), **fields)

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def admin_client(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client
