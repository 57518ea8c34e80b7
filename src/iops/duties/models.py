"""Duties: one row per obligation, with its owner, its clock and its history.

A duty is opened by the service that creates the obligation, in the same transaction, and ended
only by being discharged (who, when, how) or cancelled (who, when, why, by someone allowed to).
The database refuses to delete one (trigger in migration 0002). Every escalation, reassignment
and ending is a ``DutyEvent``. ``DutySnapshot`` keeps a daily count per kind, team and risk so
trend charts never scan the whole table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from iops.accounts.models import Team
from iops.duties.choices import DutyEventKind, DutyStatus, EscalationLevel, Risk
from iops.duties.kinds import DutyKind, kind_for
from iops.platform.errors import PermissionRefused
from iops.platform.models import ForceOwned


class DutyQuerySet(models.QuerySet["Duty"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionRefused("A duty cannot be deleted: discharge it, or cancel it with a reason.")


class Duty(ForceOwned):
    """An obligation with an owner (a person, a team, or both) and a clock."""

    objects = DutyQuerySet.as_manager()

    kind = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=240)
    # The record the obligation is about (an incident, a crime, a person...).
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject_label = models.CharField(max_length=240, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="duties"
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="duties"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(max_length=120, blank=True, help_text="The rule that opened it")
    due_at = models.DateTimeField()
    escalate_at = models.DateTimeField(help_text="When the sweeper next escalates it if still open")
    risk = models.CharField(max_length=16, choices=Risk.choices, default=Risk.STANDARD)
    risk_rank = models.SmallIntegerField(default=2, help_text="0 high, 1 medium, 2 standard: for ordering")
    status = models.CharField(max_length=16, choices=DutyStatus.choices, default=DutyStatus.OPEN)
    escalation_level = models.SmallIntegerField(choices=EscalationLevel.choices, default=EscalationLevel.NONE)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_duties",
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_note = models.TextField(blank=True, help_text="How the obligation was met")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    # Tags for dashboards, e.g. "domestic_abuse" for duties from domestic-abuse incidents.
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name_plural = "duties"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_user__isnull=False) | models.Q(owner_team__isnull=False),
                name="duty_has_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DutyStatus.DISCHARGED)
                | (models.Q(discharged_at__isnull=False) & ~models.Q(discharge_note="")),
                name="duty_discharge_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DutyStatus.CANCELLED)
                | (
                    models.Q(cancelled_at__isnull=False)
                    & models.Q(cancelled_by__isnull=False)
                    & ~models.Q(cancel_reason="")
                ),
                name="duty_cancel_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "kind"], name="duty_subject_idx"),
            models.Index(
                fields=["owner_user", "due_at"], name="duty_open_user_idx", condition=models.Q(status="open")
            ),
            models.Index(
                fields=["owner_team", "due_at"], name="duty_open_team_idx", condition=models.Q(status="open")
            ),
            models.Index(
                fields=["escalate_at"], name="duty_open_escalate_idx", condition=models.Q(status="open")
            ),
            models.Index(
                fields=["kind", "risk_rank", "opened_at"],
                name="duty_open_kind_idx",
                condition=models.Q(status="open"),
            ),
            models.Index(
                fields=["escalated_to", "due_at"],
                name="duty_open_escalated_idx",
                condition=models.Q(status="open"),
            ),
            # Backlog dashboards: every column their figures read, so they are answered from these
            # small indexes alone (index-only scans), never from the closed history (migration 0003).
            models.Index(
                fields=["force", "owner_team"],
                include=[
                    "id",
                    "owner_user",
                    "kind",
                    "risk",
                    "risk_rank",
                    "opened_at",
                    "due_at",
                    "escalation_level",
                    "tags",
                ],
                name="duty_open_backlog_idx",
                condition=models.Q(status="open"),
            ),
            models.Index(
                fields=["force", "risk_rank", "due_at"],
                include=["id", "owner_team", "owner_user", "kind", "risk", "opened_at", "escalation_level"],
                name="duty_open_da_idx",
                condition=models.Q(status="open", tags__contains=["domestic_abuse"]),
            ),
        ]
        permissions = [
            ("discharge_duty", "Mark a duty done by hand, where its kind allows"),
            ("cancel_duty", "Cancel a duty with a recorded reason"),
            ("reassign_duty", "Reassign a duty to another person or team"),
            ("view_team_queue", "See the duties of teams one supervises"),
            ("view_backlog", "See backlog dashboards across the force"),
            ("view_command_queue", "See duties escalated to command"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_at:%d %b %H:%M})"

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionRefused("A duty cannot be deleted: discharge it, or cancel it with a reason.")

    @property
    def kind_info(self) -> DutyKind:
        return kind_for(self.kind)

    @property
    def is_open(self) -> bool:
        return self.status == DutyStatus.OPEN

    def is_overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.is_open and self.due_at <= moment  # type: ignore[operator]


class DutyEvent(models.Model):
    """Something that happened to a duty: opened, escalated, reassigned, discharged, cancelled."""

    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=DutyEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%d %b %H:%M}"


class DutySnapshot(models.Model):
    """Open and overdue duties at the end of a day, by kind, team and risk: the trend charts' source."""

    day = models.DateField()
    kind = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    risk = models.CharField(max_length=16, choices=Risk.choices)
    open_count = models.IntegerField(default=0)
    overdue_count = models.IntegerField(default=0)
    escalated_count = models.IntegerField(default=0)
    opened_count = models.IntegerField(default=0, help_text="Opened during the day")
    closed_count = models.IntegerField(default=0, help_text="Discharged or cancelled during the day")

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "team", "risk"], name="duty_snapshot_unique", nulls_distinct=False
            )
        ]
        # A team's trend reads its own rows only (migration 0003).
        indexes = [models.Index(fields=["team", "day"], name="duty_snapshot_team_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.open_count} open"
