"""Domain errors. Services raise them; views turn them into form errors, the API into 4xx JSON.

Every error carries a machine-readable ``code``, a human ``message`` and, where one input is to
blame, the ``field`` it concerns, so a form can put the message next to the right box.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses. Subclasses set ``code`` and ``status``."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationFailed(DomainError):
    """Input that breaks a rule of the domain (a bad date, an unknown code)."""

    code = "invalid"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionRefused(DomainError):
    """The acting user's role does not allow this."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The record changed under the request (a unit already assigned, a duty already discharged)."""

    code = "conflict"
    status = 409


class PurposeRequired(ValidationFailed):
    """A read of personal data without a stated purpose (DPA 2018 s.62)."""

    code = "purpose_required"

    def __init__(
        self, message: str = "Give a purpose for this search or view: it is recorded in the access log."
    ) -> None:
        super().__init__(message, field="purpose")


def check_lengths(model: type[Any], /, **values: str) -> None:
    """Refuse, as a field error, any text longer than its column on ``model`` holds.

    A column's limit is otherwise found by PostgreSQL, mid-write, as an error no user can act on.
    """
    for name, value in values.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit is not None and value is not None and len(value) > limit:
            label = str(model._meta.get_field(name).verbose_name)
            raise ValidationFailed(f"Keep the {label} to {limit} characters or fewer.", field=name)
