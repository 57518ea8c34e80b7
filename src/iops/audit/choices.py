"""The kinds of processing s.62 of the Data Protection Act 2018 requires a log of."""

from django.db import models


class Action(models.TextChoices):
    COLLECTION = "collection", "Collection"
    ALTERATION = "alteration", "Alteration"
    CONSULTATION = "consultation", "Consultation"
    DISCLOSURE = "disclosure", "Disclosure"
    COMBINATION = "combination", "Combination"
    ERASURE = "erasure", "Erasure"


class LogPurpose(models.TextChoices):
    """Why someone reads the s.62 log itself: the only uses s.62(4) allows."""

    LAWFULNESS = "lawfulness", "Verifying that processing was lawful"
    SELF_MONITORING = "self_monitoring", "Self-monitoring, including internal disciplinary proceedings"
    INTEGRITY = "integrity", "Ensuring the integrity and security of personal data"
    CRIMINAL_PROCEEDINGS = "criminal_proceedings", "Criminal proceedings"
