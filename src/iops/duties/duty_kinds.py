"""Kinds of duty the duties app itself offers: a general task a supervisor can set."""

from datetime import timedelta

from iops.duties.kinds import DutyKind, register_kind

TASK = register_kind(
    DutyKind(
        code="task",
        label="Task",
        due_after=timedelta(days=7),
        description="A piece of work set by a supervisor, with its own due date.",
    )
)
