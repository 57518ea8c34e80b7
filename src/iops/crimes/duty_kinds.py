"""Kinds of duty that crimes open: investigation actions and the Victims' Code obligations.

None is met by hand on the duty page: each is met by the record that proves it (an action's
result, a contact with the victim), made on the crime page. They are cancelled with the crime's
transfer or cancellation, or by hand with a reason by someone who may change crimes.
"""

from datetime import timedelta

from iops.duties.kinds import DutyKind, register_kind

CANCEL = "crimes.change_crime"

INVESTIGATION_ACTION = register_kind(
    DutyKind(
        code="investigation_action",
        label="Investigation action",
        due_after=timedelta(days=7),
        supervisor_window=timedelta(days=2),
        manual_discharge=False,
        cancel_permission=CANCEL,
        description="Complete the action and record its result on the crime.",
    )
)

VICTIM_WRITTEN_CONFIRMATION = register_kind(
    DutyKind(
        code="victim_written_confirmation",
        label="Victim: written confirmation of the crime",
        due_after=timedelta(days=5),
        supervisor_window=timedelta(days=1),
        manual_discharge=False,
        cancel_permission=CANCEL,
        description="Send the victim written confirmation that the crime was recorded (Victims' Code, Right 3).",
    )
)

VICTIM_NEEDS_ASSESSMENT = register_kind(
    DutyKind(
        code="victim_needs_assessment",
        label="Victim: needs assessment",
        due_after=timedelta(days=2),
        supervisor_window=timedelta(days=1),
        manual_discharge=False,
        cancel_permission=CANCEL,
        description="Assess what support the victim needs (Victims' Code, Right 4).",
    )
)

VICTIM_SERVICES_REFERRAL = register_kind(
    DutyKind(
        code="victim_services_referral",
        label="Victim: referral to victim services",
        due_after=timedelta(days=2),
        supervisor_window=timedelta(days=1),
        manual_discharge=False,
        cancel_permission=CANCEL,
        description=(
            "With the victim's consent, pass their details to victim services within 2 working days of "
            "the report (Victims' Code, Right 4); record their answer either way."
        ),
    )
)

VICTIM_UPDATE = register_kind(
    DutyKind(
        code="victim_update",
        label="Victim: update on the investigation",
        due_after=timedelta(days=28),
        supervisor_window=timedelta(days=2),
        manual_discharge=False,
        cancel_permission=CANCEL,
        description="Update the victim at the interval agreed with them (Victims' Code, Right 6).",
    )
)

VICTIMS_CODE_KINDS = (
    VICTIM_WRITTEN_CONFIRMATION.code,
    VICTIM_NEEDS_ASSESSMENT.code,
    VICTIM_SERVICES_REFERRAL.code,
    VICTIM_UPDATE.code,
)
