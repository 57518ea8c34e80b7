"""Domain errors of crime recording: each names the rule it keeps, so the person can act on it."""

from __future__ import annotations

from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed


class OneCrimePerVictim(ValidationFailed):
    """A second victim on one crime (Crime Recording Rules, section D: one crime per victim)."""

    code = "one_crime_per_victim"

    def __init__(self, message: str = "", *, field: str = "victims") -> None:
        super().__init__(
            message
            or "One crime per victim: a crime has one victim. Record a separate crime for each victim "
            "(Crime Recording Rules, section D).",
            field=field,
        )


class VictimAlreadyRecorded(Conflict):
    """The victim already has a crime from the same incident (finished incident and principal crime rules)."""

    code = "victim_already_recorded"

    def __init__(self, person: str, number: str) -> None:
        super().__init__(
            f"{person} is already the victim of crime {number} from this incident. Offences against one "
            f"victim in one incident are one crime (finished incident and principal crime rules): "
            f"reclassify {number} to the most serious offence, or add this offence to it, instead.",
            field="victims",
        )


class CrimeNotLive(Conflict):
    code = "crime_not_live"

    def __init__(self, number: str, state: str) -> None:
        super().__init__(f"Crime {number} is {state.lower()}; it can no longer be changed.", field=None)


class RegistrarOnly(PermissionRefused):
    code = "registrar_only"

    def __init__(self) -> None:
        super().__init__(
            "Only the force crime registrar may cancel a recorded crime (Crime Recording Rules, section C)."
        )


class RationaleNotAuthorised(PermissionRefused):
    code = "rationale_not_authorised"

    def __init__(self) -> None:
        super().__init__(
            "Only a supervisor or the force crime registrar may record that a crime-related incident is "
            "not a crime."
        )
