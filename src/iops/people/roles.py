"""What each role may do with the nominal index (DESIGN section 6). ``roles_sync`` applies these."""

from iops.accounts.choices import Role

SEARCH_AND_VIEW = ["people.search_nominal", "people.view_nominal"]
RECORD = ["people.add_nominal", "people.change_nominal", "people.add_marker"]
MERGE = ["people.merge_nominal"]

GRANTS: dict[str, list[str]] = {
    Role.CALL_HANDLER: SEARCH_AND_VIEW,
    Role.DISPATCHER: SEARCH_AND_VIEW,
    Role.RESPONSE_OFFICER: SEARCH_AND_VIEW,
    Role.INVESTIGATOR: SEARCH_AND_VIEW + RECORD,
    Role.CUSTODY_OFFICER: SEARCH_AND_VIEW,
    Role.INTELLIGENCE_OFFICER: SEARCH_AND_VIEW + RECORD + MERGE,
    Role.SAFEGUARDING_OFFICER: SEARCH_AND_VIEW,
    Role.SUPERVISOR: SEARCH_AND_VIEW + RECORD + MERGE,
    Role.COMMAND: SEARCH_AND_VIEW,
}
