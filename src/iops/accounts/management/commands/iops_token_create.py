"""Create an API token (``iops token create USERNAME``); the token is the last line printed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.accounts.models import User
from iops.accounts.services import token_create
from iops.platform.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user. The token is shown once, on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user called '{options['username']}'.")
        if not user.is_active:
            raise CommandError(f"user '{user.username}' is deactivated.")
        try:
            token, raw = token_create(acting_user=None, user=user, name=options["name"])
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Token {token.prefix}… created for {user.username}. Keep it secret; it is not shown again."
        )
        self.stdout.write(raw)
