"""Calls and incidents.

A ``Call`` is one contact (999, 101, online, alarm, partner, walk-in) with the times it was
connected and answered, so answer times are measured; where the caller is (AML, gazetteer address,
a map point or words); and what was said. An ``Incident`` is what the control room makes of one or
more calls: its category and qualifiers, location, THRIVE assessments and grades (each version kept,
with who and when), its append-only log, its attendance clock, and how it closed. Services in
``incidents.services`` are the only writers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from iops.accounts.models import District
from iops.geo.models import Address, Area
from iops.incidents.choices import Channel, IncidentStatus, LocationSource, LogKind
from iops.platform.models import ForceOwned


class Located(models.Model):
    """Where something is: a gazetteer address, a point with a radius, and/or words."""

    location_source = models.CharField(max_length=16, choices=LocationSource.choices, blank=True)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uncertainty of the point, metres"
    )
    location_text = models.CharField(max_length=400, blank=True, help_text="As described, or the address")

    class Meta:
        abstract = True

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Incident(ForceOwned, Located):
    """An incident: what happened, where, how urgent, who is going, and how it ended."""

    opened_at = models.DateTimeField(db_index=True, help_text="When it was first reported")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opening_category = models.CharField(max_length=32)
    qualifiers = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    summary = models.TextField(blank=True)
    beat = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    district = models.ForeignKey(District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rural = models.BooleanField(default=False, help_text="Sets the rural attendance target")
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    # The current THRIVE and grade; every version is kept in ThriveAssessment and GradeDecision.
    thrive_version = models.PositiveIntegerField(default=0)
    grade = models.CharField(max_length=40, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    attendance_due_at = models.DateTimeField(null=True, blank=True)
    first_arrived_at = models.DateTimeField(null=True, blank=True)
    crime_related = models.BooleanField(default=False)
    crime_related_at = models.DateTimeField(null=True, blank=True)
    crime_report_needed = models.BooleanField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_category = models.CharField(max_length=32, blank=True)
    closing_result = models.CharField(max_length=40, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    # Bumped on every change, so screens and the compare-and-swap writers can tell staleness.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "grade", "opened_at"], name="incident_board_idx"),
            models.Index(fields=["latitude", "longitude", "opened_at"], name="incident_point_idx"),
            models.Index(fields=["address", "opened_at"], name="incident_address_idx"),
            models.Index(fields=["crime_related", "status", "opened_at"], name="incident_crime_idx"),
            # Likely duplicates look at open incidents of the last hour: a small slice by time.
            models.Index(
                fields=["opened_at"], condition=models.Q(status="open"), name="incident_open_time_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=IncidentStatus.CLOSED)
                | (
                    models.Q(closed_at__isnull=False)
                    & ~models.Q(closing_category="")
                    & ~models.Q(closing_result="")
                ),
                name="incident_closed_fully",
            ),
            models.CheckConstraint(
                condition=models.Q(grade="") | models.Q(thrive_version__gt=0),
                name="incident_grade_needs_thrive",
            ),
        ]
        permissions = [
            ("grade_incident", "Assess THRIVE and grade incidents"),
            ("close_incident", "Close incidents"),
            ("flag_crime_related", "Flag an incident as crime-related"),
            (
                "cancel_crime_recording_decision",
                "Cancel an incident's crime recording decision (crime registrar)",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.reference}"

    @property
    def reference(self) -> str:
        return f"{self.opened_at:%y%m%d}-{self.pk:06d}" if self.pk and self.opened_at else "(new)"

    @property
    def is_open(self) -> bool:
        return self.status == IncidentStatus.OPEN

    def waiting(self, now: datetime) -> timedelta:
        return (self.first_arrived_at or now) - self.opened_at


class Call(ForceOwned, Located):
    """One contact with the public or a partner: when it came in, when it was answered, what was said."""

    channel = models.CharField(max_length=16, choices=Channel.choices)
    connected_at = models.DateTimeField(db_index=True, help_text="When the call reached the control room")
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When a person answered it")
    # False when the telephone system gave no connection time: the call was recorded as answered
    # when the handler opened it, and its answer time is unknown rather than zero.
    connection_measured = models.BooleanField(
        default=True, help_text="The connection time came from the telephone system (or the caller's report)"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    caller_name = models.CharField(max_length=200, blank=True)
    caller_phone = models.CharField(max_length=40, blank=True)
    caller_relationship = models.CharField(
        max_length=120, blank=True, help_text="e.g. victim, witness, neighbour"
    )
    what_was_said = models.TextField(blank=True)
    aml_message = models.TextField(blank=True, help_text="The AML SMS as received")
    aml_positioned_at = models.DateTimeField(null=True, blank=True)
    aml_method = models.CharField(max_length=1, blank=True)
    aml_confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    people_named = ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        help_text="Names of people the caller mentioned, as said (checked against the nominal index)",
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )

    class Meta:
        ordering = ["-connected_at"]
        indexes = [
            models.Index(fields=["channel", "connected_at"], name="call_channel_idx"),
            # "Calls you have taken today" on each call handler's home page.
            models.Index(fields=["handler", "connected_at"], name="call_handler_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True)
                | models.Q(answered_at__gte=models.F("connected_at")),
                name="call_answered_after_connected",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} call at {self.connected_at:%H:%M:%S}"

    @property
    def answer_seconds(self) -> float | None:
        if self.answered_at is None or not self.connection_measured:
            return None
        return (self.answered_at - self.connected_at).total_seconds()


class ThriveAssessment(models.Model):
    """One THRIVE assessment of an incident; a re-assessment is a new version."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="thrive_assessments")
    version = models.PositiveIntegerField()
    threat = models.TextField()
    harm = models.TextField()
    risk = models.TextField()
    investigation = models.TextField()
    vulnerability = models.TextField()
    engagement = models.TextField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["incident", "version"]
        constraints = [models.UniqueConstraint(fields=["incident", "version"], name="thrive_version_unique")]

    def __str__(self) -> str:
        return f"THRIVE v{self.version} for {self.incident}"


class GradeDecision(models.Model):
    """A grade given to an incident (a re-grade is a new version), with the THRIVE it rested on."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="grade_decisions")
    version = models.PositiveIntegerField()
    grade = models.CharField(max_length=40)
    previous_grade = models.CharField(max_length=40, blank=True)
    thrive_version = models.PositiveIntegerField()
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    attendance_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "version"]
        constraints = [models.UniqueConstraint(fields=["incident", "version"], name="grade_version_unique")]

    def __str__(self) -> str:
        return f"{self.grade} (v{self.version}) for {self.incident}"


class IncidentLogEntry(models.Model):
    """A timestamped line of the incident log. Never changed or removed (database trigger)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="log")
    at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=LogKind.choices, default=LogKind.NARRATIVE)
    text = models.TextField()

    class Meta:
        ordering = ["incident", "at", "id"]
        verbose_name_plural = "incident log entries"

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.text[:40]}"


class EidoImport(models.Model):
    """An incident received from another agency as a NENA EIDO, kept exactly as it arrived.

    The incident it became is an ordinary incident; this row is the evidence of what was sent,
    by whom it was taken in, and the sender's tracking identifier, which may be imported once.
    Never changed or removed (database trigger).
    """

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="eido_import")
    tracking_id = models.CharField(max_length=255, unique=True, help_text="The sender's incident identifier")
    sender = models.CharField(max_length=255, blank=True, help_text="The agency that issued the EIDO")
    document = models.JSONField(help_text="The EIDO as received")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"EIDO {self.tracking_id}"
