"""Forms for the crime pages. They shape input only; the services decide and refuse, and
``apply_error`` puts a service's refusal on the field it names."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q

from iops.accounts.models import District, User
from iops.crimes import codes
from iops.crimes.choices import N100Reason, PartyRole, VictimConsent
from iops.crimes.codes import RecordingCodeKind
from iops.crimes.selectors import UnresolvedFilter
from iops.incidents import codes as incident_codes
from iops.people.models import Nominal
from iops.platform.errors import DomainError

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
_PERSON = re.compile(r"^P?0*(\d+)$", re.IGNORECASE)

# Service field names that a form calls something else.
FIELD_NAMES = {
    "victims": "victim",
    "suspects": "suspects",
    "witnesses": "witnesses",
    "incidents": "incident",
    "recording_code": "code",
    "person": "person",
}


def apply_error(form: forms.Form, error: DomainError) -> None:
    """Put a domain error on its field, or at the top of the form if the form has no such field."""
    field = FIELD_NAMES.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


def datetime_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "govuk-!-width-one-third"}, format=DATETIME_FORMAT
        ),
    )


def _person(value: str, label: str) -> Nominal:
    match = _PERSON.match(value.strip())
    if not match:
        raise forms.ValidationError(
            f"Enter a person's reference from the person index, like P0000123 ({label})."
        )
    person = Nominal.objects.filter(pk=int(match.group(1))).first()
    if person is None:
        raise forms.ValidationError(f"There is no person {value.strip()} in the person index.")
    return person


def _people(value: str, label: str) -> list[Nominal]:
    return [_person(part, label) for part in re.split(r"[,\s]+", value.strip()) if part]


def _user(value: str) -> User | None:
    text = value.strip()
    if not text:
        return None
    user = User.objects.filter(
        Q(username__iexact=text) | Q(collar_number__iexact=text), is_active=True
    ).first()
    if user is None:
        raise forms.ValidationError(f"There is no active user with username or number '{text}'.")
    return user


class CrimeForm(forms.Form):
    """A form whose "required" errors say what to do, in the words of the page (GOV.UK style)."""

    required_messages: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in self.required_messages.items():
            self.fields[name].error_messages["required"] = message
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.error_messages["invalid"] = "Enter a real date and time, like 22/11/2026 14:30."


def offence_choices() -> list[tuple[str, str]]:
    return [("", "Choose the offence"), *codes.offences().choices()]


def outcome_choices() -> list[tuple[str, str]]:
    return [("", "Choose the outcome"), *codes.outcome_types().choices()]


class RecordCrimeForm(CrimeForm):
    required_messages = {
        "offence_code": "Choose the offence.",
        "committed_from": "Enter when it happened (or started).",
    }
    incident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    offence_code = forms.ChoiceField(label="Offence (Home Office classification)", choices=offence_choices)
    committed_from = datetime_field("When did it happen (or start)?")
    committed_to = datetime_field(
        "When did it end?", required=False, help_text="Only if it went on over a period."
    )
    reported_at = datetime_field(
        "When was it reported?", required=False, help_text="Taken from the incident when there is one."
    )
    location_text = forms.CharField(label="Where", max_length=400, required=False)
    modus_operandi = forms.CharField(
        label="Modus operandi",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How it was done.",
    )
    victim = forms.CharField(
        label="Victim",
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
        help_text="Their person reference, e.g. P0000123. One crime per victim: a second victim is a second crime.",
    )
    suspects = forms.CharField(
        label="Suspects", required=False, help_text="Person references, separated by commas."
    )
    witnesses = forms.CharField(
        label="Witnesses", required=False, help_text="Person references, separated by commas."
    )
    additional_offence_codes = forms.CharField(
        label="Other offences against the same victim in this incident",
        required=False,
        help_text="Home Office codes, separated by commas: kept on this crime, not counted (principal crime rule).",
    )
    allocated_officer = forms.CharField(
        label="Allocate to", required=False, help_text="Username or collar number of the investigator."
    )
    victim_update_interval_days = forms.IntegerField(
        label="Update the victim every (days)",
        min_value=1,
        max_value=365,
        initial=28,
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )

    def clean_victim(self) -> list[Nominal]:
        value = self.cleaned_data["victim"]
        people = _people(value, "victim") if value else []
        return people

    def clean_suspects(self) -> list[Nominal]:
        return _people(self.cleaned_data["suspects"], "suspect")

    def clean_witnesses(self) -> list[Nominal]:
        return _people(self.cleaned_data["witnesses"], "witness")

    def clean_additional_offence_codes(self) -> list[str]:
        return [
            part
            for part in re.split(r"[,\s]+", self.cleaned_data["additional_offence_codes"].strip())
            if part
        ]

    def clean_allocated_officer(self) -> User | None:
        return _user(self.cleaned_data["allocated_officer"])


class ReclassifyForm(CrimeForm):
    required_messages = {
        "offence_code": "Choose the new classification.",
        "reason": "Say why the classification is changing.",
    }
    offence_code = forms.ChoiceField(label="New classification", choices=offence_choices)
    reason = forms.CharField(
        label="Why is the classification changing?", widget=forms.Textarea(attrs={"rows": 2})
    )


class OutcomeForm(CrimeForm):
    required_messages = {
        "outcome_type": "Choose the outcome.",
    }
    outcome_type = forms.ChoiceField(label="Outcome (Home Office outcome type)", choices=outcome_choices)
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to change an outcome.",
    )


class PartyForm(CrimeForm):
    required_messages = {
        "person": "Enter the person's reference, like P0000123.",
        "role": "Choose their role.",
    }
    person = forms.CharField(label="Person reference", help_text="e.g. P0000123")
    role = forms.ChoiceField(label="Role", choices=PartyRole.choices, widget=forms.RadioSelect)

    def clean_person(self) -> Nominal:
        return _person(self.cleaned_data["person"], "person")


class AllocateForm(CrimeForm):
    required_messages = {
        "officer": "Enter the investigator's username or collar number.",
    }
    officer = forms.CharField(label="Investigator", help_text="Username or collar number.")

    def clean_officer(self) -> User:
        user = _user(self.cleaned_data["officer"])
        if user is None:
            raise forms.ValidationError("Enter the investigator's username or collar number.")
        return user


class ActionForm(CrimeForm):
    required_messages = {
        "description": "Say what is to be done.",
        "due_at": "Enter when it is due.",
    }
    description = forms.CharField(label="Action", widget=forms.Textarea(attrs={"rows": 2}))
    due_at = datetime_field("Due by")
    owner = forms.CharField(
        label="Owner", required=False, help_text="Username or collar number; blank for yourself."
    )

    def clean_owner(self) -> User | None:
        return _user(self.cleaned_data["owner"])


class ActionDoneForm(CrimeForm):
    required_messages = {
        "result": "Give the result.",
    }
    action = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.CharField(label="Result", widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(CrimeForm):
    required_messages = {
        "review": "Write the review.",
    }
    review = forms.CharField(label="Review", widget=forms.Textarea(attrs={"rows": 3}))
    directions = forms.CharField(label="Directions", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VictimContactForm(CrimeForm):
    required_messages = {
        "obligation": "Choose what was done.",
        "note": "Say what was done.",
    }
    obligation = forms.ChoiceField(label="What was done", choices=lambda: codes.victims_code().choices())
    note = forms.CharField(label="Details", widget=forms.Textarea(attrs={"rows": 2}))
    consent = forms.ChoiceField(
        label="Did the victim consent to the referral?",
        choices=[("", "Not a referral"), *VictimConsent.choices],
        required=False,
    )
    next_update_interval_days = forms.IntegerField(
        label="Next update in (days)",
        min_value=1,
        max_value=365,
        required=False,
        help_text="As agreed with the victim.",
    )


class TransferForm(CrimeForm):
    required_messages = {
        "to_force": "Name the force it goes to.",
        "reason": "Say why the crime belongs to that force.",
    }
    to_force = forms.CharField(label="Force it goes to", max_length=120)
    reason = forms.CharField(label="Why it belongs to that force", widget=forms.Textarea(attrs={"rows": 2}))


def cancellation_choices() -> list[tuple[str, str]]:
    return [("", "Choose the ground")] + [
        (code.code, f"{code.code} {code.name}")
        for code in codes.recording_codes()
        if code.kind is RecordingCodeKind.CANCELLATION and code.code != "C1"
    ]


class CancelCrimeForm(CrimeForm):
    required_messages = {
        "code": "Choose the ground for cancelling.",
        "reason": "Give the reason for cancelling (at least a sentence).",
    }
    code = forms.ChoiceField(label="Ground for cancelling", choices=cancellation_choices)
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The additional verifiable information, or why it is a duplicate or an error.",
    )


class RationaleForm(CrimeForm):
    required_messages = {
        "rationale": "Give the reason no crime is recorded (at least a sentence).",
    }
    rationale = forms.CharField(
        label="Why is no crime to be recorded?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="On the balance of probability no notifiable crime took place, because...",
    )
    n100_reason = forms.ChoiceField(
        label="Was this a report of rape?",
        choices=[
            ("", "No"),
            (N100Reason.NOT_CONFIRMED.value, f"Yes (N100): {N100Reason.NOT_CONFIRMED.label}"),
            (N100Reason.NO_CRIME.value, f"Yes (N100): {N100Reason.NO_CRIME.label}"),
            (N100Reason.OTHER_FORCE.value, f"Yes (N100): {N100Reason.OTHER_FORCE.label}"),
        ],
        required=False,
    )


class RegistrarFilterForm(forms.Form):
    clock = forms.ChoiceField(
        label="Clock",
        required=False,
        choices=[
            ("", "Any"),
            ("overdue", "Overdue"),
            ("escalated", "Escalated"),
            ("due", "Not yet due"),
            ("no_duty", "No open duty"),
        ],
    )
    incident_status = forms.ChoiceField(
        label="Incident",
        required=False,
        choices=[("", "Open or closed"), ("open", "Open"), ("closed", "Closed")],
    )
    district = forms.ModelChoiceField(
        label="District",
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label="All districts",
    )
    category = forms.ChoiceField(label="Category", required=False)
    older_than_hours = forms.IntegerField(
        label="Older than (hours)",
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Any category")] + [
            (category.code, category.name) for category in incident_codes.opening_categories()
        ]

    def filters(self) -> UnresolvedFilter:
        if not self.is_valid():
            return UnresolvedFilter()
        data = self.cleaned_data
        return UnresolvedFilter(
            district=data["district"].pk if data.get("district") else None,
            category=data.get("category") or "",
            incident_status=data.get("incident_status") or "",
            clock=data.get("clock") or "",
            older_than_hours=data.get("older_than_hours"),
        )
