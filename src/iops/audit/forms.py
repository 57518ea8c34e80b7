"""The data protection officer's search form, with GOV.UK date inputs (day, month, year boxes).

The form checks each box and says what is wrong in GOV.UK's words ("Date from must be a real
date"); rules across fields (dates in order, a record reference needs its type) come from
``AuditFilter.validated`` so the API and the page refuse the same things with the same message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from iops.audit.choices import Action, LogPurpose
from iops.audit.selectors import AuditFilter, record_types
from iops.platform.errors import ValidationFailed


class DateInput(forms.MultiWidget):
    """Three text boxes named ``<name>_day``, ``<name>_month`` and ``<name>_year``."""

    parts = ("day", "month", "year")

    def __init__(self) -> None:
        super().__init__(
            widgets={
                part: forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
                for part in self.parts
            }
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day box, as GOV.UK's date input pattern asks.
        return f"{id_}_day" if id_ else ""


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with GOV.UK's error messages."""

    widget = DateInput

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        self.name_in_messages = label
        parts = tuple(forms.CharField(required=False, max_length=8) for _ in DateInput.parts)
        super().__init__(fields=parts, require_all_fields=False, required=False, label=label, **kwargs)

    def compress(self, data_list: list[str]) -> date | None:
        values = [str(value or "").strip() for value in (data_list or ["", "", ""])]
        if not any(values):
            return None
        missing = [part for part, value in zip(DateInput.parts, values, strict=True) if not value]
        if missing:
            raise forms.ValidationError(f"{self.name_in_messages} must include a {' and '.join(missing)}")
        if not all(value.isdigit() for value in values):
            raise forms.ValidationError(f"{self.name_in_messages} must be a real date")
        day, month, year = (int(value) for value in values)
        if len(values[2]) != 4:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            return date(year, month, day)
        except ValueError as error:
            raise forms.ValidationError(f"{self.name_in_messages} must be a real date") from error


def date_input(bound: forms.BoundField) -> dict[str, Any]:
    """What the GOV.UK date input template needs: each box's id, name, label, width and value."""
    widget = bound.field.widget
    if bound.form.is_bound:
        values = widget.value_from_datadict(bound.form.data, bound.form.files, bound.html_name)
    else:
        values = widget.decompress(bound.value())
    boxes = [
        {
            "id": f"{bound.auto_id}_{part}",
            "name": f"{bound.html_name}_{part}",
            "label": part.title(),
            "width": 4 if part == "year" else 2,
            "value": "" if value is None else value,
        }
        for part, value in zip(DateInput.parts, values, strict=True)
    ]
    return {"field": bound, "boxes": boxes}


class AuditSearchForm(forms.Form):
    """Filters for the log. Read with GET, so a result has an address that can be shared."""

    purpose = forms.ChoiceField(
        label="Why are you using the access log?",
        help_text="The log may be used only for these purposes (Data Protection Act 2018, s.62(4)). "
        "Your search is recorded with this reason.",
        choices=LogPurpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are using the access log"},
    )
    username = forms.CharField(
        label="Username",
        required=False,
        max_length=150,
        help_text="The person who acted, as they signed in.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    record_type = forms.ChoiceField(label="Type of record", required=False)
    record_id = forms.CharField(
        label="Record reference",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any"), *Action.choices])
    date_from = DateField(label="Date from", help_text="For example, 27 3 2025")
    date_to = DateField(label="Date to", help_text="For example, 28 3 2025")
    break_glass = forms.BooleanField(label="Only break-glass accesses", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [("", "Any"), *record_types()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.filters()
        except ValidationFailed as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned

    def date_inputs(self) -> list[dict[str, Any]]:
        return [date_input(self["date_from"]), date_input(self["date_to"])]

    def filters(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            username=data.get("username") or "",
            record_type=data.get("record_type") or "",
            record_id=data.get("record_id") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            break_glass=bool(data.get("break_glass")),
        ).validated()
