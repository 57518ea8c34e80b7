"""Links geography adds to the UI shell: the address look-up, for every signed-in user."""

from iops.platform.shell import nav_item

nav_item("Addresses", "geo:address_lookup", order=700)
