"""The ``iops createuser`` and ``iops token create`` forms scripts rely on."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from iops.accounts.models import User
from iops.accounts.services import token_authenticate
from iops.accounts.tests.factories import UserFactory
from iops.cli import build_parser

pytestmark = pytest.mark.django_db


def test_cli_forms_are_unchanged() -> None:
    args = build_parser().parse_args(
        ["createuser", "asha", "--role", "call_handler", "--role", "dispatcher", "--password-stdin"]
    )
    assert args.username == "asha"
    assert args.role == ["call_handler", "dispatcher"]
    assert args.password_stdin
    args = build_parser().parse_args(["token", "create", "asha", "--name", "export"])
    assert (args.username, args.name) == ("asha", "export")


def test_createuser_makes_an_account_with_roles() -> None:
    out = io.StringIO()
    call_command(
        "iops_createuser",
        "asha",
        roles=["call_handler,dispatcher"],
        password="lantern-quarry-meadow-81",
        collar_number="S4001",
        stdout=out,
    )
    user = User.objects.get(username="asha")
    assert user.role_codes == {"call_handler", "dispatcher"}
    assert user.check_password("lantern-quarry-meadow-81")
    assert "Created user asha with role(s): Call handler, Dispatcher" in out.getvalue()


def test_createuser_errors_are_one_line() -> None:
    UserFactory(username="asha")
    with pytest.raises(CommandError, match=r"username: A user called 'asha' already exists\."):
        call_command("iops_createuser", "asha", roles=["call_handler"], stdout=io.StringIO())
    with pytest.raises(CommandError, match="roles: Unknown role 'sheriff'"):
        call_command("iops_createuser", "ben", roles=["sheriff"], stdout=io.StringIO())


def test_token_create_prints_the_token_last() -> None:
    user = UserFactory(username="asha")
    out = io.StringIO()
    call_command("iops_token_create", "asha", name="export", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert token_authenticate(raw) == user


def test_token_create_refuses_unknown_and_deactivated_users() -> None:
    UserFactory(username="leaver", is_active=False)
    with pytest.raises(CommandError, match="no user called 'nobody'"):
        call_command("iops_token_create", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="deactivated"):
        call_command("iops_token_create", "leaver", stdout=io.StringIO())
