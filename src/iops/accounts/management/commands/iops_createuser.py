"""Create a user with roles (``iops createuser USERNAME --role ROLE [--password-stdin]``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.accounts.choices import Role
from iops.accounts.models import Team
from iops.accounts.services import user_create
from iops.platform.errors import DomainError


class Command(BaseCommand):
    help = "Create a user with one or more roles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--roles", nargs="+", default=[])
        parser.add_argument("--password", default=None)
        parser.add_argument("--collar-number", default="")
        parser.add_argument("--rank", default="staff")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--team", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        roles = []
        for value in options["roles"]:
            roles.extend(part.strip() for part in str(value).split(",") if part.strip())
        team = None
        if options["team"]:
            team = Team.objects.filter(code=options["team"]).first()
            if team is None:
                raise CommandError(f"no team with code '{options['team']}'.")
        try:
            user = user_create(
                acting_user=None,
                username=options["username"],
                password=options["password"],
                roles=roles,
                collar_number=options["collar_number"],
                rank=options["rank"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                team=team,
            )
        except DomainError as error:
            raise CommandError(f"{error.field + ': ' if error.field else ''}{error.message}") from error
        labels = ", ".join(Role(code).label for code in roles)
        note = "" if options["password"] else " (no password set: it cannot sign in until one is set)"
        self.stdout.write(f"Created user {user.username} with role(s): {labels}{note}")
