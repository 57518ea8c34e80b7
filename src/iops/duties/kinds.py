"""The kinds of duty, declared by the apps that open them.

A kind says what the obligation is, how long it normally has, how long a supervisor has before it
goes on to command, and who may discharge or cancel it by hand. Apps declare kinds in their
``duty_kinds.py`` (discovered when Django starts)::

    register_kind(DutyKind(
        code="crime_recording_decision", label="Crime recording decision",
        due_after=timedelta(hours=24), manual_discharge=False,
        cancel_permission="duties.cancel_duty",
    ))

A duty whose kind is no longer declared still shows and escalates, with default rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DutyKind:
    code: str
    label: str
    due_after: timedelta
    # After a duty goes to the supervisor, how long before it goes on to command.
    supervisor_window: timedelta = timedelta(hours=4)
    # Whether an owner may mark it done by hand (some are discharged only by a domain event,
    # e.g. a crime recording decision only by a crime record or a recorded rationale).
    manual_discharge: bool = True
    discharge_permission: str = "duties.discharge_duty"
    cancel_permission: str = "duties.cancel_duty"
    description: str = ""


_kinds: dict[str, DutyKind] = {}

GENERIC = DutyKind(code="generic", label="Task", due_after=timedelta(days=7))


def register_kind(kind: DutyKind) -> DutyKind:
    _kinds[kind.code] = kind
    return kind


def kind_for(code: str) -> DutyKind:
    return _kinds.get(code) or DutyKind(
        code=code, label=code.replace("_", " ").capitalize(), due_after=GENERIC.due_after
    )


def all_kinds() -> list[DutyKind]:
    return sorted(_kinds.values(), key=lambda kind: kind.label)
