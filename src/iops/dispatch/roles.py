"""What each role may do with units, assignments, the live board and the figures.

A crew member reports their own unit's status and position without any of these (services check
crew membership); ``update_unit_status`` lets a dispatcher do it for any unit.
"""

from iops.accounts.choices import Role

_SEE_UNITS = ["dispatch.view_unit", "dispatch.view_assignment"]
_BOARD = [*_SEE_UNITS, "dispatch.view_board"]
_DISPATCH = [*_BOARD, "dispatch.assign_unit", "dispatch.update_unit_status", "dispatch.view_figures"]
_MANAGE_UNITS = ["dispatch.add_unit", "dispatch.change_unit"]

GRANTS: dict[str, list[str]] = {
    Role.CALL_HANDLER: _BOARD,
    Role.DISPATCHER: _DISPATCH,
    Role.RESPONSE_OFFICER: _SEE_UNITS,
    Role.INVESTIGATOR: _SEE_UNITS,
    Role.SUPERVISOR: [*_DISPATCH, *_MANAGE_UNITS],
    Role.COMMAND: [*_DISPATCH, *_MANAGE_UNITS],
    Role.ADMINISTRATOR: [*_SEE_UNITS, *_MANAGE_UNITS],
}
