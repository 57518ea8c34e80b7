"""Forms of the call-taking and incident pages, rendered with GOV.UK markup.

Forms only shape input; the rules (THRIVE before a grade, a closing category, an AML message that
parses) are the services', whose refusals ``apply_error`` puts on the field they name. The call
timing is not typed: the page records when it was answered (and the connection time, when the
telephone system passes one) in a signed field, so an answer time is measured, never guessed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone

from iops.incidents import codes
from iops.incidents.choices import Channel
from iops.platform.errors import DomainError

TIMING_SALT = "iops.incidents.call-timing"
# A call taken on one page load is finished within a shift; an older timing is a stale page.
TIMING_MAX_AGE_SECONDS = 12 * 60 * 60

# Service fields that the page shows under another name.
FIELD_ALIASES = {
    "opening_code": "opening_category",
    "qualifier": "qualifiers",
    "thrive": "grade",
    "location": "location_text",
    "latitude": "location_text",
    "longitude": "location_text",
    "radius_m": "location_text",
    "address": "address_query",
}


def apply_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on the form field it concerns, or at the top of the form."""
    field = FIELD_ALIASES.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


def sign_timing(answered_at: datetime, connected_at: datetime | None) -> str:
    return signing.dumps(
        {
            "answered": answered_at.isoformat(),
            "connected": connected_at.isoformat() if connected_at else None,
        },
        salt=TIMING_SALT,
    )


def read_timing(token: str) -> tuple[datetime, datetime | None]:
    """The answer (and connection) time the page recorded; ValidationError if tampered or stale."""
    try:
        value = signing.loads(token, salt=TIMING_SALT, max_age=TIMING_MAX_AGE_SECONDS)
        answered = datetime.fromisoformat(value["answered"])
        connected = datetime.fromisoformat(value["connected"]) if value.get("connected") else None
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise forms.ValidationError(
            "The call's answer time could not be read. Start the call again from New call."
        ) from error
    return answered, connected


def category_choices() -> list[tuple[str, Any]]:
    """Opening categories grouped by family, for a select with optgroups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in codes.opening_categories():
        groups.setdefault(category.group.label, []).append((category.code, category.name))
    return [("", "Choose a category"), *groups.items()]


def grade_label(grade: codes.Grade) -> str:
    if grade.urban_minutes is None:
        return f"{grade.name} (no attendance target)"
    if grade.urban_minutes == grade.rural_minutes:
        return f"{grade.name} (attend within {grade.urban_minutes} min)"
    return f"{grade.name} (attend within {grade.urban_minutes} min urban, {grade.rural_minutes} min rural)"


def _textarea(rows: int, **attrs: str) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": str(rows), **attrs})


# The six parts the services record, by letter; a force's extra parts (THRIVE+) are not asked here.
THRIVE_FIELDS = {
    "T": "threat",
    "H": "harm",
    "R": "risk",
    "I": "investigation",
    "V": "vulnerability",
    "E": "engagement",
}


def thrive_names() -> list[str]:
    return [THRIVE_FIELDS[part.letter] for part in codes.thrive_parts() if part.letter in THRIVE_FIELDS]


class ThriveFields(forms.Form):
    """The six parts of THRIVE, each with its prompt as the hint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in codes.thrive_parts():
            if part.letter not in THRIVE_FIELDS:
                continue
            name = THRIVE_FIELDS[part.letter]
            self.fields[name] = forms.CharField(
                label=part.name,
                help_text=part.prompt,
                required=False,
                max_length=20_000,
                widget=_textarea(2, **({"accesskey": "t"} if part.letter == "T" else {})),
            )

    def thrive_values(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in THRIVE_FIELDS.values()}


class CallTakingForm(ThriveFields):
    """One call, its location and the incident it opens, in the order a call handler works."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        thrive = {name: self.fields.pop(name) for name in list(self.fields)}
        self.fields.update(self._call_fields())
        self.fields.update(thrive)
        self.fields["grade"] = forms.ChoiceField(
            label="Grade",
            required=False,
            choices=[("", "Not graded yet"), *[(grade.code, grade_label(grade)) for grade in codes.grades()]],
            widget=forms.RadioSelect(attrs={"accesskey": "g"}),
            help_text="A grade needs all six parts of THRIVE.",
        )
        self.fields["timing"] = forms.CharField(widget=forms.HiddenInput)
        if self.data.get("action") == "call_only" or self.data.get("link_to"):
            # A call recorded on its own, or joining an incident, opens nothing to categorise.
            self.fields["opening_category"].required = False

    @staticmethod
    def _call_fields() -> dict[str, forms.Field]:
        return {
            "channel": forms.ChoiceField(
                label="How the call came in",
                choices=Channel.choices,
                initial=Channel.EMERGENCY,
                widget=forms.RadioSelect(attrs={"autofocus": "autofocus"}),
            ),
            "caller_name": forms.CharField(
                label="Caller's name",
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"accesskey": "n"}),
            ),
            "caller_phone": forms.CharField(
                label="Caller's phone number",
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            ),
            "caller_relationship": forms.CharField(
                label="Caller's relationship to what happened",
                help_text="For example victim, witness, neighbour, alarm company",
                required=False,
                max_length=120,
            ),
            "what_was_said": forms.CharField(
                label="What the caller said",
                required=False,
                max_length=20_000,
                widget=_textarea(4, accesskey="w"),
            ),
            "people_named": forms.CharField(
                label="People named in the call",
                help_text="One name per line. They are checked against the nominal index when you leave the box.",
                required=False,
                max_length=4_000,
                widget=_textarea(2),
            ),
            "aml_message": forms.CharField(
                label="AML message",
                help_text="Paste the caller's handset location text (it starts A\"ML=1). It is read as you paste.",
                required=False,
                max_length=2_000,
                widget=_textarea(2, accesskey="m", spellcheck="false", autocomplete="off"),
            ),
            "address_query": forms.CharField(
                label="Find an address",
                help_text="Type a street, number or postcode; use the arrow keys to choose.",
                required=False,
                max_length=200,
                widget=forms.TextInput(
                    attrs={
                        "accesskey": "l",
                        "autocomplete": "off",
                        "role": "combobox",
                        "aria-expanded": "false",
                    }
                ),
            ),
            "address_id": forms.IntegerField(required=False, widget=forms.HiddenInput),
            "latitude": forms.FloatField(required=False, widget=forms.HiddenInput),
            "longitude": forms.FloatField(required=False, widget=forms.HiddenInput),
            "location_text": forms.CharField(
                label="Location as described",
                help_text="Landmarks, floor, which door: anything that helps officers find it",
                required=False,
                max_length=400,
            ),
            "opening_category": forms.ChoiceField(
                label="Opening category",
                choices=category_choices(),
                error_messages={"required": "Choose the opening category."},
                widget=forms.Select(attrs={"accesskey": "k"}),
            ),
            "qualifiers": forms.MultipleChoiceField(
                label="Qualifiers",
                choices=codes.qualifiers().choices(),
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"accesskey": "q"}),
            ),
            "summary": forms.CharField(
                label="Summary for officers", required=False, max_length=20_000, widget=_textarea(3)
            ),
        }

    def clean_timing(self) -> tuple[datetime, datetime | None]:
        return read_timing(self.cleaned_data["timing"])

    def names(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get("people_named", "").splitlines() if line.strip()
        ]

    @classmethod
    def fresh(cls, *, connected_at: datetime | None = None) -> CallTakingForm:
        """A new form whose call was answered now (the page opening is the answer)."""
        return cls(
            initial={"timing": sign_timing(timezone.now(), connected_at), "channel": Channel.EMERGENCY}
        )


class ThriveForm(ThriveFields):
    """A re-assessment on the incident page: every part required by the service."""


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label="Grade", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why the grade is changing",
        help_text="Needed when the incident already has a grade",
        required=False,
        widget=_textarea(2),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(grade.code, grade_label(grade)) for grade in codes.grades()]


class LogForm(forms.Form):
    text = forms.CharField(
        label="Add to the log",
        help_text="Lines are kept as written and never changed",
        widget=_textarea(2),
        required=False,
    )


class CrimeRelatedForm(forms.Form):
    note = forms.CharField(label="Why it is crime-related", required=False, max_length=2_000)


class CloseForm(forms.Form):
    closing_category = forms.ChoiceField(label="Closing category", required=False)
    closing_result = forms.ChoiceField(label="Closing result", required=False)
    crime_report_needed = forms.TypedChoiceField(
        label="Is a crime report needed?",
        help_text="Required when the incident is crime-related",
        required=False,
        choices=[("", "Not answered"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
    )
    duplicate_of = forms.CharField(
        label="Duplicate of incident (reference or number)", required=False, max_length=20
    )
    note = forms.CharField(label="Closing note", required=False, widget=_textarea(2))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closing_category"].choices = category_choices()
        self.fields["closing_result"].choices = [("", "Choose a result"), *codes.closing_results().choices()]


class EidoExportForm(forms.Form):
    recipient = forms.CharField(
        label="Who it is for", help_text="Sending an incident is a disclosure", max_length=200
    )
    purpose = forms.CharField(label="Why it is being sent", max_length=500)


class IncidentFilterForm(forms.Form):
    grade = forms.ChoiceField(label="Grade", required=False)
    group = forms.ChoiceField(label="Family", required=False)
    qualifier = forms.ChoiceField(label="Qualifier", required=False)
    district = forms.CharField(label="District code", required=False, max_length=32)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [
            ("", "Any"),
            ("ungraded", "Not graded yet"),
            *codes.grades().choices(),
        ]
        self.fields["group"].choices = [
            ("", "Any"),
            *[(group.value, group.label) for group in codes.IncidentGroup],
        ]
        self.fields["qualifier"].choices = [("", "Any"), *codes.qualifiers().choices()]
