"""Crimes: crime records, their classification and their outcomes.

So far this package holds the code lists that need no database (``crimes.codes``): Home Office
offence classifications with the police.uk category each maps to, Home Office outcome types with
their police.uk outcome, and the crime-recording special codes. Models, services and the Django app
come later.
"""
