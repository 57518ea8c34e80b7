"""Domain errors of calls and incidents."""

from iops.platform.errors import Conflict, ValidationFailed


class GradingRequiresThrive(ValidationFailed):
    code = "thrive_required"

    def __init__(self) -> None:
        super().__init__(
            "Complete the THRIVE assessment (all six parts) before setting a grade.", field="thrive"
        )


class ClosingCategoryRequired(ValidationFailed):
    code = "closing_category_required"

    def __init__(self) -> None:
        super().__init__("Choose a closing category before closing the incident.", field="closing_category")


class IncidentClosed(Conflict):
    code = "incident_closed"

    def __init__(self, reference: str) -> None:
        super().__init__(f"Incident {reference} is closed; reopen it or start a new one.", field=None)
