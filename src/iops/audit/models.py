"""The s.62 log and need-to-know access lists.

``AuditEntry`` rows are written by ``audit.services`` only. The database refuses UPDATE, DELETE and
TRUNCATE on the table (trigger), and a BEFORE INSERT trigger links each row into a hash chain:
``hash = sha256(prev_hash | fields of the row)``. Rows are spread over a few chains (by transaction)
so that writers in parallel do not queue behind one lock; ``iops audit verify`` walks each chain and
names any row that was altered or removed. See docs/adr/0003-audit-log.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from iops.audit.choices import Action

SEPARATOR = "\x1f"
SEPARATOR_FREE = Q()
for _name in (
    "actor_username",
    "action",
    "operation",
    "record_type",
    "record_id",
    "purpose",
    "recipient",
    "request_id",
    "client_address",
):
    SEPARATOR_FREE &= ~Q(**{f"{_name}__contains": SEPARATOR})


class AuditEntry(models.Model):
    """One act of processing personal data: who, when, what record, why, and to whom if disclosed."""

    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    # Kept as written so the log reads the same even if the account is later renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    operation = models.CharField(max_length=64, blank=True, help_text="What was done, e.g. people.search")
    record_type = models.CharField(max_length=64, blank=True, help_text="app_label.model of the record")
    record_id = models.CharField(max_length=64, blank=True)
    purpose = models.TextField(blank=True)
    recipient = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    break_glass = models.BooleanField(default=False)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    # Filled in by the database trigger; never set by application code.
    chain = models.SmallIntegerField(editable=False, null=True)
    chain_seq = models.BigIntegerField(editable=False, null=True)
    prev_hash = models.CharField(max_length=64, editable=False, blank=True)
    entry_hash = models.CharField(max_length=64, editable=False, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "audit entries"
        # Every search the data protection officer can make pages newest first by
        # (occurred_at, id) along one of these, so no search scans the whole log.
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="audit_time_idx"),
            models.Index(fields=["record_type", "record_id", "occurred_at", "id"], name="audit_record_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_idx"),
            models.Index(Upper("actor_username"), F("occurred_at"), F("id"), name="audit_username_idx"),
            models.Index(fields=["action", "occurred_at", "id"], name="audit_action_idx"),
            models.Index(
                fields=["occurred_at", "id"], condition=Q(break_glass=True), name="audit_break_glass_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_seq_unique"),
            # The canonical form joins fields with this separator; no field may contain it, so no
            # edit can move text from one field to the next and keep the hash. CHECK constraints
            # hold even for a session that switches triggers off.
            models.CheckConstraint(condition=SEPARATOR_FREE, name="audit_no_separator"),
        ]
        permissions = [
            ("search_auditentry", "Search the s.62 access log"),
            ("export_auditentry", "Export s.62 log results as CSV"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.record_type}:{self.record_id}"


class AuditChainHead(models.Model):
    """The latest link of each chain: its sequence number and hash. Removing the last rows of a chain
    leaves the head ahead of the table, which ``audit verify`` reports."""

    chain = models.SmallIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.last_seq}"


class AccessGrant(models.Model):
    """Need-to-know: on a restricted record, only users granted here (or by break-glass) see it."""

    record_type = models.CharField(max_length=64)
    record_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id", "user"], name="access_grant_unique")
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="access_grant_record_idx")]

    def __str__(self) -> str:
        return f"{self.user} may see {self.record_type}:{self.record_id}"
