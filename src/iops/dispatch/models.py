"""Units, their status history, and their assignments to incidents.

A ``Unit`` is a call sign with a type, skills, a crew, a status (with when it last changed) and a
last reported position. Its status changes only through ``dispatch.services``, which keep every
change in ``UnitStatusChange`` and take a unit from available to assigned by compare-and-swap, so
two dispatchers cannot both have it. An ``Assignment`` ties a unit to an incident from assignment
to clearing, with the time of each step, which is what attendance is measured from.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from iops.accounts.models import District
from iops.dispatch.choices import AssignmentStatus, UnitStatus, UnitType
from iops.geo.models import Area
from iops.incidents.models import Incident
from iops.platform.models import ForceOwned

# Statuses in which a unit is tied to an incident.
DEPLOYED = (UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE)


class Unit(ForceOwned):
    """A deployable unit: a car, a van, a dog handler, an officer on foot, known by its call sign."""

    call_sign = models.CharField(max_length=32)
    unit_type = models.CharField(max_length=24, choices=UnitType.choices)
    skills = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    crew = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="units")
    status = models.CharField(max_length=16, choices=UnitStatus.choices, default=UnitStatus.OFF_DUTY)
    status_changed_at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(
        null=True, blank=True, help_text="When the unit last reported where it is"
    )
    home_district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    home_beat = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Bumped on every change, so a screen can tell whether what it shows is current.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["call_sign"]
        constraints = [models.UniqueConstraint(fields=["force", "call_sign"], name="unit_call_sign_unique")]
        indexes = [models.Index(fields=["status", "unit_type"], name="unit_status_idx")]
        permissions = [
            ("view_board", "See the live board"),
            ("assign_unit", "Assign units to incidents"),
            ("update_unit_status", "Set any unit's status and position"),
            ("view_figures", "See call answering and attendance figures"),
        ]

    def __str__(self) -> str:
        return self.call_sign

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class UnitStatusChange(models.Model):
    """One change of a unit's status: from what, to what, when, who said so, and for which incident."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=UnitStatus.choices)
    to_status = models.CharField(max_length=16, choices=UnitStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["unit", "at", "id"]
        indexes = [models.Index(fields=["unit", "at"], name="unit_status_change_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.from_status} -> {self.to_status} at {self.at:%H:%M:%S}"


class Assignment(models.Model):
    """A unit sent to an incident, from assignment until it cleared."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    en_route_at = models.DateTimeField(null=True, blank=True)
    at_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            # The database's own guard behind the compare-and-swap: a unit is on one incident at a time.
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(cleared_at__isnull=True),
                name="assignment_one_active_per_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(status=AssignmentStatus.CLEARED, cleared_at__isnull=False)
                | (~models.Q(status=AssignmentStatus.CLEARED) & models.Q(cleared_at__isnull=True)),
                name="assignment_cleared_has_time",
            ),
        ]
        indexes = [models.Index(fields=["incident", "cleared_at"], name="assignment_incident_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} to incident {self.incident_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None
