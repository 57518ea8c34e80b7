"""Name matching for the nominal index (DESIGN section 5): normalised forms, phonetic codes,
equivalence groups, search keys and the ranking that explains why a record matched.

The modules are layered: ``normalise`` (pure text rules) -> ``equivalents`` (name data) and
``phonetic`` (Double Metaphone codes from PostgreSQL's fuzzystrmatch) -> ``keys`` (the integer keys
stored in the search index) and ``scoring`` (the ranking). ``dates`` parses and compares dates of
birth. Nothing here reads or writes a person; ``iops.people.search`` joins it to the tables.
"""
