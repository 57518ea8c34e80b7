"""Code lists for duties."""

from django.db import models


class DutyStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"


class Risk(models.TextChoices):
    """How much harm follows if the duty is missed. Ordered: high first on every queue."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    STANDARD = "standard", "Standard"


RISK_ORDER = {Risk.HIGH: 0, Risk.MEDIUM: 1, Risk.STANDARD: 2}


class EscalationLevel(models.IntegerChoices):
    NONE = 0, "Not escalated"
    SUPERVISOR = 1, "Escalated to supervisor"
    COMMAND = 2, "Escalated to command"


class DutyEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    ESCALATED = "escalated", "Escalated"
    REASSIGNED = "reassigned", "Reassigned"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    NOTE = "note", "Note"


class AgeBand(models.TextChoices):
    UNDER_DAY = "lt1d", "Under 1 day"
    ONE_TO_SEVEN = "1to7d", "1 to 7 days"
    ONE_TO_FOUR_WEEKS = "1to4w", "1 to 4 weeks"
    OVER_FOUR_WEEKS = "gt4w", "Over 4 weeks"
