"""Incidents: calls for service and what the control room makes of them.

Calls (every contact, with when it was connected and answered and where the caller is), incidents
(category, qualifiers, location, THRIVE, grade and its attendance clock, the log, closing), and
the code lists and AML reader they use (``codes``, ``aml``), which need no database.
"""
