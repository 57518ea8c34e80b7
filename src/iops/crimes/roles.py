"""What each role may do with crimes (DESIGN section 6). ``roles_sync`` applies these.

The force crime registrar alone cancels crimes. Non-crime rationales are for supervisors and the
registrar: the 24-hour decision is met by a crime or by a reason someone accountable has given.
The registrar also gets the person index's search, view and link permissions, because recording a
crime means naming its victim from the index.
"""

from iops.accounts.choices import Role

VIEW = ["crimes.view_crime"]
RECORD = [*VIEW, "crimes.record_crime", "crimes.change_crime", "crimes.record_victim_contact"]
INVESTIGATE = [
    *RECORD,
    "crimes.reclassify_crime",
    "crimes.set_crime_outcome",
    "crimes.manage_investigation_actions",
    "crimes.record_n100",
]
SUPERVISE = [
    *INVESTIGATE,
    "crimes.allocate_crime",
    "crimes.review_crime",
    "crimes.transfer_crime",
    "crimes.record_noncrime_rationale",
    "crimes.view_registrar_audit",
]

GRANTS: dict[str, list[str]] = {
    Role.RESPONSE_OFFICER: RECORD,
    Role.INVESTIGATOR: INVESTIGATE,
    Role.SAFEGUARDING_OFFICER: VIEW,
    Role.INTELLIGENCE_OFFICER: VIEW,
    Role.SUPERVISOR: SUPERVISE,
    Role.COMMAND: [*VIEW, "crimes.allocate_crime", "crimes.review_crime", "crimes.view_registrar_audit"],
    Role.CRIME_REGISTRAR: [
        *VIEW,
        "crimes.record_crime",
        "crimes.change_crime",
        "crimes.reclassify_crime",
        "crimes.set_crime_outcome",
        "crimes.transfer_crime",
        "crimes.cancel_crime",
        "crimes.record_noncrime_rationale",
        "crimes.record_n100",
        "crimes.view_registrar_audit",
        "people.search_nominal",
        "people.view_nominal",
        "people.change_nominal",
    ],
}
