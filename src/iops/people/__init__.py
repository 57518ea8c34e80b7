"""People: the nominal index (POLE persons with names, dates of birth, addresses, identifiers and
warning markers), objects linked to them, duplicates and merges, and the search that finds anyone
under any spelling."""
