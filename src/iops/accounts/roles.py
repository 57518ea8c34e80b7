"""What each role may do in the platform apps. Other apps declare their own grants in ``roles.py``.

``GRANTS`` maps a role code to permission names (``app_label.codename``). ``roles_sync`` gathers
every app's grants and makes each role's group hold exactly those permissions.
"""

from iops.accounts.choices import Role

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: [
        "accounts.manage_users",
        "accounts.manage_roles",
        "accounts.view_user",
        "accounts.view_team",
        "accounts.view_district",
    ],
    Role.DATA_PROTECTION_OFFICER: [
        "audit.search_auditentry",
        "audit.export_auditentry",
        "audit.view_auditentry",
        "accounts.view_user",
    ],
    Role.SUPERVISOR: ["accounts.view_user", "accounts.view_team"],
    Role.COMMAND: ["accounts.view_user", "accounts.view_team", "accounts.view_district"],
}
