"""Crime records and the decisions around them.

A ``Crime`` is one notifiable offence against one victim (Crime Recording Rules, one crime per
victim), with its force crime number, the incidents it came from, the people party to it (through
the person index's links), where and when it happened, its Home Office classification and the
police.uk category that classification is published under, the investigation (status, allocated
officer, actions with duties, supervisor reviews) and its outcome. A crime is never deleted: it is
transferred to another force or cancelled by the force crime registrar with the grounds.

A crime-related incident ends in a crime or in a ``NonCrimeRationale`` recorded by an authorised
user; an ``N100Record`` notes every report of rape not recorded as a crime of rape. Changes of
classification and outcome, reviews, victim contacts and decisions are history: the database
refuses to change or remove them (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from iops.accounts.models import District, Team
from iops.crimes.choices import (
    ActionStatus,
    CrimeState,
    InvestigationStatus,
    N100Reason,
    PartyRole,
    VictimConsent,
)
from iops.duties.models import Duty
from iops.geo.models import Address, Area
from iops.incidents.models import Incident
from iops.people.models import NominalLink
from iops.platform.models import Force, ForceOwned, Restrictable


class ReferenceSequence(models.Model):
    """The last number given for a kind of reference (``CR`` crimes, ``N100``) in a force and year.

    Numbers come from an upsert that locks this one row until the recording commits, so two people
    recording at once get consecutive numbers and a rolled-back recording gives its number back.
    """

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["force", "prefix", "year"], name="crime_reference_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}/{self.year}: {self.last_number}"


class Crime(ForceOwned, Restrictable):
    """A recorded crime: one offence against one victim, with its investigation and outcome."""

    number = models.CharField("Crime number", max_length=24, help_text="e.g. CR/2026/000123")
    state = models.CharField(max_length=16, choices=CrimeState.choices, default=CrimeState.RECORDED)
    offence_code = models.CharField("Home Office offence code", max_length=16)
    # Stored, not looked up, so the published category stays what it was when a list changes.
    police_uk_category = models.CharField(max_length=40)
    # Other offences in the same incident against the same victim, folded into this one by the
    # finished incident and principal crime rules: known, not counted.
    additional_offence_codes = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    # Crimes recorded from the same incident (one per victim) point at the first, their principal.
    principal_crime = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="grouped_crimes"
    )
    committed_from = models.DateTimeField(help_text="When the offence happened, or began")
    committed_to = models.DateTimeField(null=True, blank=True, help_text="When it ended, if over a period")
    reported_at = models.DateTimeField(db_index=True, help_text="When it was first reported to police")
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location_text = models.CharField(max_length=400, blank=True)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    beat = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The statistical area police.uk publishes the crime under.
    lsoa = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    district = models.ForeignKey(District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    modus_operandi = models.TextField(blank=True)
    investigation_status = models.CharField(
        max_length=24, choices=InvestigationStatus.choices, default=InvestigationStatus.AWAITING_ALLOCATION
    )
    allocated_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocated_crimes",
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    victim_update_interval_days = models.PositiveSmallIntegerField(
        default=28, help_text="How often the victim is updated, as agreed with them"
    )
    outcome_type = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Home Office outcome type"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    police_uk_outcome = models.CharField(max_length=64, blank=True)
    transferred_to_force = models.CharField(max_length=120, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancellation_code = models.CharField(max_length=8, blank=True)
    cancellation_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["force", "number"], name="crime_number_unique_per_force"),
            models.CheckConstraint(condition=~Q(police_uk_category=""), name="crime_has_police_uk_category"),
            models.CheckConstraint(
                condition=Q(committed_to__isnull=True) | Q(committed_to__gte=F("committed_from")),
                name="crime_committed_in_order",
            ),
            models.CheckConstraint(
                condition=Q(recorded_at__gte=F("reported_at")), name="crime_recorded_after_report"
            ),
            models.CheckConstraint(
                condition=Q(outcome_type__isnull=True)
                | (Q(outcome_at__isnull=False) & ~Q(police_uk_outcome="")),
                name="crime_outcome_complete",
            ),
            models.CheckConstraint(
                condition=~Q(state=CrimeState.TRANSFERRED)
                | (Q(transferred_at__isnull=False) & ~Q(transferred_to_force="")),
                name="crime_transfer_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state=CrimeState.CANCELLED)
                | (
                    Q(cancelled_at__isnull=False)
                    & Q(cancelled_by__isnull=False)
                    & ~Q(cancellation_code="")
                    & ~Q(cancellation_reason="")
                ),
                name="crime_cancellation_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["allocated_officer", "investigation_status"], name="crime_allocated_idx"),
            models.Index(fields=["state", "recorded_at"], name="crime_state_idx"),
            models.Index(fields=["police_uk_category", "recorded_at"], name="crime_category_idx"),
        ]
        permissions = [
            ("record_crime", "Record a crime"),
            ("reclassify_crime", "Change a crime's Home Office classification"),
            ("set_crime_outcome", "Record a crime's outcome"),
            ("allocate_crime", "Allocate a crime to an investigator"),
            ("review_crime", "Record a supervisor review of a crime"),
            ("manage_investigation_actions", "Set and complete investigation actions"),
            ("record_victim_contact", "Record Victims' Code contact with a victim"),
            ("transfer_crime", "Transfer a crime to another force"),
            ("cancel_crime", "Cancel a recorded crime (force crime registrar)"),
            ("record_noncrime_rationale", "Record why a crime-related incident is not a crime"),
            ("record_n100", "Record an N100 for a rape report not recorded as rape"),
            ("view_registrar_audit", "See crime-related incidents awaiting a decision, and compliance"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_live(self) -> bool:
        return self.state == CrimeState.RECORDED

    @property
    def is_principal(self) -> bool:
        return self.principal_crime_id is None

    @property
    def is_finalised(self) -> bool:
        return self.investigation_status == InvestigationStatus.FINALISED


class CrimeIncidentLink(models.Model):
    """An incident a crime came from; a crime may come from several, an incident lead to several."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["crime", "incident"]
        constraints = [
            models.UniqueConstraint(fields=["crime", "incident"], name="crime_incident_link_unique")
        ]
        indexes = [models.Index(fields=["incident"], name="crime_link_incident_idx")]

    def __str__(self) -> str:
        return f"{self.crime} from incident {self.incident_id}"


class CrimeParty(models.Model):
    """A person from the person index party to a crime, through the index's own link, so merges
    and their reversal in the person index carry the crime with them."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=16, choices=PartyRole.choices)
    link = models.OneToOneField(NominalLink, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["crime", "role", "id"]
        verbose_name_plural = "crime parties"
        constraints = [
            # One crime per victim (Crime Recording Rules, section D): a second victim is a second crime.
            models.UniqueConstraint(
                fields=["crime"], condition=Q(role=PartyRole.VICTIM), name="crime_has_one_victim"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.crime}"


class SupervisorReview(models.Model):
    """A supervisor's review of the investigation, with the directions given."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    review = models.TextField()
    directions = models.TextField(blank=True)

    class Meta:
        ordering = ["crime", "reviewed_at", "id"]

    def __str__(self) -> str:
        return f"Review of {self.crime} at {self.reviewed_at:%d %b %Y}"


class InvestigationAction(models.Model):
    """A piece of investigative work with an owner and a due date, held as a duty until done."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_at = models.DateTimeField()
    duty = models.OneToOneField(Duty, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["crime", "due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False) | Q(owner_team__isnull=False), name="action_has_owner"
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.DONE) | (Q(completed_at__isnull=False) & ~Q(result="")),
                name="action_done_with_result",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class NonCrimeRationale(ForceOwned):
    """Why a crime-related incident is not recorded as a crime, by someone allowed to decide that."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"Non-crime rationale for incident {self.incident_id}"


class N100Record(ForceOwned):
    """A report of rape (or attempted rape) not recorded as a crime of rape, and why (code N100)."""

    reference = models.CharField(max_length=24)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, null=True, blank=True, related_name="n100s")
    reason = models.CharField(max_length=16, choices=N100Reason.choices)
    rationale = models.TextField()
    reported_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "N100 record"
        constraints = [
            models.UniqueConstraint(fields=["force", "reference"], name="n100_reference_unique"),
            models.CheckConstraint(
                condition=Q(incident__isnull=False) | Q(crime__isnull=False), name="n100_about_something"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ClassificationChange(models.Model):
    """A crime's Home Office classification changed, with the police.uk categories before and after."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="classification_changes")
    from_code = models.CharField(max_length=16)
    to_code = models.CharField(max_length=16)
    from_category = models.CharField(max_length=40)
    to_category = models.CharField(max_length=40)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["crime", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.crime}: {self.from_code} to {self.to_code}"


class OutcomeChange(models.Model):
    """A crime's outcome set or changed, with the police.uk outcome before and after."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="outcome_changes")
    from_type = models.PositiveSmallIntegerField(null=True, blank=True)
    to_type = models.PositiveSmallIntegerField()
    from_police_uk = models.CharField(max_length=64, blank=True)
    to_police_uk = models.CharField(max_length=64)
    outcome_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["crime", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.crime}: outcome {self.to_type}"


class VictimContact(models.Model):
    """A Victims' Code obligation met for a crime's victim: what was done, when and by whom."""

    crime = models.ForeignKey(Crime, on_delete=models.PROTECT, related_name="victim_contacts")
    obligation = models.CharField(max_length=40, help_text="Code from victims_code.csv")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField()
    consent = models.CharField(max_length=16, choices=VictimConsent.choices, blank=True)
    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["crime", "at", "id"]

    def __str__(self) -> str:
        return f"{self.obligation} for {self.crime}"
