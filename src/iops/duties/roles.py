"""What each role may do with duties. Everyone sees their own; supervisors and command see more."""

from iops.accounts.choices import Role

_EVERYONE = ["duties.view_duty"]

GRANTS: dict[str, list[str]] = {
    **{role.value: list(_EVERYONE) for role in Role},
    Role.SUPERVISOR: [
        *_EVERYONE,
        "duties.view_team_queue",
        "duties.reassign_duty",
        "duties.cancel_duty",
        "duties.discharge_duty",
        "duties.view_backlog",
    ],
    Role.COMMAND: [
        *_EVERYONE,
        "duties.view_team_queue",
        "duties.reassign_duty",
        "duties.cancel_duty",
        "duties.discharge_duty",
        "duties.view_backlog",
        "duties.view_command_queue",
    ],
    Role.CRIME_REGISTRAR: [*_EVERYONE, "duties.view_backlog", "duties.cancel_duty"],
}
