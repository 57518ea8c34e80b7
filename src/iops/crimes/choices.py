"""Code lists of the crimes app that belong to iOPS itself: states, statuses, party roles, reasons.

Home Office offence codes, outcome types, cancellation grounds and the Victims' Code clocks are
data from outside (``crimes.codes``, files in ``crimes/data/``).
"""

from django.db import models


class CrimeState(models.TextChoices):
    """Whether the crime counts: recorded, passed to another force, or cancelled by the registrar."""

    RECORDED = "recorded", "Recorded"
    TRANSFERRED = "transferred", "Transferred to another force"
    CANCELLED = "cancelled", "Cancelled"


class InvestigationStatus(models.TextChoices):
    AWAITING_ALLOCATION = "awaiting_allocation", "Awaiting allocation"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    SUSPENDED = "suspended", "Filed pending new information"
    FINALISED = "finalised", "Finalised"


class PartyRole(models.TextChoices):
    """How a person from the person index is party to a crime (values shared with people's links)."""

    VICTIM = "victim", "Victim"
    SUSPECT = "suspect", "Suspect"
    OFFENDER = "offender", "Offender"
    WITNESS = "witness", "Witness"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class N100Reason(models.TextChoices):
    """Why a report of rape was not recorded as a crime of rape (Crime Recording Rules, N100)."""

    NOT_CONFIRMED = "not_confirmed", "Third-party report; the victim has not confirmed it"
    NO_CRIME = "no_crime", "Additional verifiable information shows no crime of rape took place"
    OTHER_FORCE = "other_force", "It happened in another force area and was transferred"
    OTHER_OFFENCE = "other_offence", "Recorded as another offence (reclassified)"
    CANCELLED = "cancelled", "A recorded rape was cancelled"


class VictimConsent(models.TextChoices):
    GIVEN = "given", "Consent given"
    DECLINED = "declined", "Declined"
