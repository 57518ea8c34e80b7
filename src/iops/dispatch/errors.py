"""Domain errors of dispatch: each says which unit, what it is doing, and what to do instead."""

from __future__ import annotations

from iops.platform.errors import Conflict


class UnitNotAvailable(Conflict):
    """The unit is not available (someone else assigned it first, or it is busy or off duty)."""

    code = "unit_not_available"

    def __init__(self, call_sign: str, status_label: str, *, detail: str = "") -> None:
        message = (
            f"Unit {call_sign} is not available: it is {status_label.lower()}{detail}. Choose another unit."
        )
        super().__init__(message, field="unit")
        self.call_sign = call_sign


class StatusChangeNotAllowed(Conflict):
    """A status the unit cannot go to from where it is (e.g. at scene with no incident)."""

    code = "status_change_not_allowed"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="status")
