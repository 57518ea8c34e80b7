"""Code lists for calls and incidents that are part of the system, not force data.

(Categories, qualifiers, closing results, THRIVE and grades are force data: ``codes.py``.)
"""

from django.db import models


class Channel(models.TextChoices):
    EMERGENCY = "999", "999 emergency"
    NON_EMERGENCY = "101", "101 non-emergency"
    ONLINE = "online", "Online report"
    ALARM = "alarm", "Alarm company"
    PARTNER = "partner", "Partner agency"
    WALK_IN = "walk_in", "Walk-in (front counter)"


class LocationSource(models.TextChoices):
    AML = "aml", "Caller's handset (AML)"
    ADDRESS = "address", "Address from the gazetteer"
    MAP = "map", "Point on the map"
    DESCRIBED = "described", "Described by the caller"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class LogKind(models.TextChoices):
    NARRATIVE = "narrative", "Narrative"
    SYSTEM = "system", "System"
    IMPORTED = "imported", "Received from another agency"
