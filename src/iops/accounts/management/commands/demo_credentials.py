"""Print how to sign in as the demo users, if the demo force exists."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from iops.accounts.demo import DEMO_ROLES, demo_password
from iops.accounts.models import User


class Command(BaseCommand):
    help = "Print the demo users and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        names = {role: f"{stem}1" for role, (stem, _rank, _kind) in DEMO_ROLES.items()}
        present = set(User.objects.filter(username__in=names.values()).values_list("username", flat=True))
        if not present:
            return
        self.stdout.write("Demo users (all synthetic), password: " + demo_password())
        for role, username in names.items():
            if username in present:
                self.stdout.write(f"  {username:<16} {role.label}")
