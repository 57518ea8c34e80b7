"""Kinds of duty that incidents open."""

from datetime import timedelta

from iops.duties.kinds import DutyKind, register_kind

CRIME_RECORDING_DECISION = register_kind(
    DutyKind(
        code="crime_recording_decision",
        label="Crime recording decision",
        due_after=timedelta(hours=24),
        supervisor_window=timedelta(hours=12),
        manual_discharge=False,
        cancel_permission="incidents.cancel_crime_recording_decision",
        description=(
            "Record the crime, or record why no crime is to be recorded, within 24 hours of the report "
            "(Crime Recording Rules). Met by a crime record or an authorised non-crime rationale."
        ),
    )
)
