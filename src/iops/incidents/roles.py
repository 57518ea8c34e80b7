"""What each role may do with calls and incidents."""

from iops.accounts.choices import Role

_READ = ["incidents.view_incident", "incidents.view_call"]
_TAKE_CALLS = [
    *_READ,
    "incidents.add_call",
    "incidents.add_incident",
    "incidents.grade_incident",
    "incidents.flag_crime_related",
    "incidents.close_incident",
]

GRANTS: dict[str, list[str]] = {
    Role.CALL_HANDLER: _TAKE_CALLS,
    Role.DISPATCHER: _TAKE_CALLS,
    Role.RESPONSE_OFFICER: [*_READ, "incidents.flag_crime_related", "incidents.close_incident"],
    Role.INVESTIGATOR: [*_READ, "incidents.flag_crime_related"],
    Role.SAFEGUARDING_OFFICER: _READ,
    Role.INTELLIGENCE_OFFICER: _READ,
    Role.CUSTODY_OFFICER: _READ,
    Role.SUPERVISOR: [*_TAKE_CALLS, "incidents.change_incident"],
    Role.COMMAND: [*_TAKE_CALLS, "incidents.change_incident"],
    Role.CRIME_REGISTRAR: [*_READ, "incidents.cancel_crime_recording_decision"],
}
