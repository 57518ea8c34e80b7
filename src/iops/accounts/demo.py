"""Demo data for accounts: teams in each district and users in every role, all synthetic.

Every demo user shares one password, generated once per data folder and printed by ``iops run``
(``demo_password``), so a fresh installation never ships with a known password.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group

from iops.accounts.choices import Rank, Role, TeamKind
from iops.accounts.models import District, Team, User
from iops.platform.demo import DemoContext, demo_step

# Username stem, rank and team kind for each role's demo users.
DEMO_ROLES: dict[Role, tuple[str, str, str]] = {
    Role.CALL_HANDLER: ("callhandler", Rank.POLICE_STAFF, TeamKind.CONTROL_ROOM),
    Role.DISPATCHER: ("dispatcher", Rank.POLICE_STAFF, TeamKind.CONTROL_ROOM),
    Role.RESPONSE_OFFICER: ("officer", Rank.CONSTABLE, TeamKind.RESPONSE),
    Role.INVESTIGATOR: ("investigator", Rank.DETECTIVE_CONSTABLE, TeamKind.CID),
    Role.CUSTODY_OFFICER: ("custody", Rank.SERGEANT, TeamKind.CUSTODY),
    Role.INTELLIGENCE_OFFICER: ("intel", Rank.POLICE_STAFF, TeamKind.INTELLIGENCE),
    Role.SAFEGUARDING_OFFICER: ("safeguarding", Rank.DETECTIVE_CONSTABLE, TeamKind.PUBLIC_PROTECTION),
    Role.SUPERVISOR: ("supervisor", Rank.SERGEANT, TeamKind.RESPONSE),
    Role.COMMAND: ("inspector", Rank.INSPECTOR, TeamKind.COMMAND),
    Role.CRIME_REGISTRAR: ("registrar", Rank.POLICE_STAFF, TeamKind.CRIME_REGISTRY),
    Role.DATA_PROTECTION_OFFICER: ("dpo", Rank.POLICE_STAFF, TeamKind.INFORMATION_MANAGEMENT),
    Role.ADMINISTRATOR: ("admin", Rank.POLICE_STAFF, TeamKind.INFORMATION_MANAGEMENT),
}

# Teams that exist once per district; the rest are force-wide.
DISTRICT_TEAM_KINDS = [TeamKind.RESPONSE, TeamKind.NEIGHBOURHOOD, TeamKind.CID, TeamKind.PUBLIC_PROTECTION]


def demo_password() -> str:
    """The shared demo password, made once and kept (mode 600) in the data folder."""
    path = settings.DATA_DIR / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        words = [
            "amber",
            "beacon",
            "canal",
            "delta",
            "ember",
            "falcon",
            "granite",
            "harbour",
            "indigo",
            "juniper",
        ]
        path.write_text(f"{secrets.choice(words)}-{secrets.choice(words)}-{secrets.randbelow(9000) + 1000}")
        path.chmod(0o600)
    return path.read_text().strip()


def _teams(context: DemoContext) -> dict[str, list[Team]]:
    districts = list(District.objects.order_by("code"))
    by_kind: dict[str, list[Team]] = {}
    for district in districts:
        for kind in DISTRICT_TEAM_KINDS:
            team, _ = Team.objects.get_or_create(
                code=f"{district.code}-{kind.value[:4].upper()}",
                defaults={
                    "name": f"{district.name} {kind.label.lower()}",
                    "kind": kind,
                    "district": district,
                },
            )
            by_kind.setdefault(kind.value, []).append(team)
    for kind in TeamKind:
        if kind in DISTRICT_TEAM_KINDS:
            continue
        team, _ = Team.objects.get_or_create(
            code=f"FW-{kind.value[:6].upper()}", defaults={"name": kind.label, "kind": kind}
        )
        by_kind.setdefault(kind.value, []).append(team)
    return by_kind


@demo_step("accounts", order=200)
def users(context: DemoContext) -> None:
    teams = _teams(context)
    password = demo_password()
    hashed = User(username="x")
    hashed.set_password(password)
    made: dict[str, list[User]] = {}
    collar = 1000
    for role, (stem, rank, team_kind) in DEMO_ROLES.items():
        group, _ = Group.objects.get_or_create(name=role.label)
        for number in range(1, context.size.users_per_role + 1):
            collar += 1
            username = f"{stem}{number}"
            team_choices = teams.get(team_kind.value, [])
            team = team_choices[(number - 1) % len(team_choices)] if team_choices else None
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": context.faker.first_name(),
                    "last_name": context.faker.last_name(),
                    "collar_number": str(collar) if rank != Rank.POLICE_STAFF else f"S{collar}",
                    "rank": rank,
                    "team": team,
                    "district": team.district if team else None,
                    "email": f"{username}@demo.invalid",
                    "password": hashed.password,
                },
            )
            user.groups.add(group)
            made.setdefault(role.value, []).append(user)
            if created:
                context.count("users", 1)
    # Supervisors lead the response teams of their district.
    for supervisor in made.get(Role.SUPERVISOR.value, []):
        if supervisor.team and supervisor.team.supervisor_id is None:
            Team.objects.filter(pk=supervisor.team.pk).update(supervisor=supervisor)
    context.made["users_by_role"] = made
