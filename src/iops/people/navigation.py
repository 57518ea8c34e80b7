"""Links the people app adds to the UI shell."""

from iops.platform.shell import nav_item

nav_item("People", "people:search", permission="people.search_nominal", order=20)
nav_item("Duplicates", "people:duplicates", permission="people.merge_nominal", order=25)
