"""Links the audit app adds to the UI shell. Home-page panels per role are the accounts app's."""

from iops.platform.shell import nav_item

nav_item("Access log", "audit:search", permission="audit.search_auditentry", order=800)
