"""Forms of the people pages, rendered with GOV.UK markup. They collect and tidy input only: the
rules (what a date of birth may be, which identifiers are valid) are the services' and selectors',
whose errors the views put back on these fields."""

from __future__ import annotations

from django import forms

from iops.people.choices import AddressRole, Gender, IdentifierKind, LinkRole, NameKind
from iops.people.codelists import ethnicity_choices, marker_choices

PURPOSE_HINT = "Why you need this: it is recorded in the access log with your name (DPA 2018 s.62)."


class PurposeField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label="Purpose",
            max_length=2000,
            required=False,  # the selector refuses a missing purpose with the words users see
            help_text=PURPOSE_HINT,
            widget=forms.TextInput(attrs={"class": "govuk-!-width-full", "autocomplete": "off"}),
            **kwargs,  # type: ignore[arg-type]
        )


class SearchForm(forms.Form):
    purpose = PurposeField()
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Any spelling: 'Bill Smith', 'SMITH William', 'Smith, William' or one name.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    date_of_birth = forms.CharField(
        label="Date of birth",
        required=False,
        max_length=40,
        help_text="For example 1980-02-01 or 01/02/1980, a year (1980), or a range (1980..1985).",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    identifier = forms.CharField(
        label="Identifier",
        required=False,
        max_length=100,
        help_text="PNC ID, CRO, NI number, passport, phone...",
    )
    vrm = forms.CharField(
        label="Vehicle registration",
        required=False,
        max_length=16,
        help_text="All or part of it, with or without spaces.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )
    address = forms.CharField(label="Address", required=False, max_length=200)

    def has_criteria(self) -> bool:
        data = self.data
        return any(
            (data.get(name) or "").strip()
            for name in ("name", "date_of_birth", "identifier", "vrm", "address")
        )


class ReasonForm(forms.Form):
    """A purpose to view a record, or a break-glass reason to open a restricted one."""

    purpose = PurposeField()
    break_glass_reason = forms.CharField(
        label="Reason to break the glass",
        required=False,
        help_text="Only if the record is restricted and you must see it now. The data protection officer reviews every one.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PersonForm(forms.Form):
    """A new person: one name and the details most often known at first contact."""

    given_names = forms.CharField(label="Given names", required=False, max_length=200)
    family_name = forms.CharField(label="Family name", required=False, max_length=200)
    date_of_birth = forms.CharField(
        label="Date of birth",
        required=False,
        max_length=20,
        help_text="For example 1980-02-01 or 01/02/1980.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, initial=Gender.UNKNOWN)
    ethnicity = forms.ChoiceField(
        label="Self-defined ethnicity",
        required=False,
        choices=[("", "Not recorded"), *ethnicity_choices()],
        help_text="As the person describes it (18+1 codes).",
    )
    identifier_kind = forms.ChoiceField(
        label="Identifier", required=False, choices=[("", "None"), *IdentifierKind.choices]
    )
    identifier_value = forms.CharField(label="Identifier value", required=False, max_length=100)
    uprn = forms.CharField(
        label="Address UPRN",
        required=False,
        max_length=20,
        help_text="The address's unique property reference number, from the address look-up.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "inputmode": "numeric"}),
    )
    restricted = forms.BooleanField(label="Restrict this record to an access list", required=False)
    restriction_contact = forms.CharField(label="Whom to ask for access", required=False, max_length=200)
    confirm_new = forms.BooleanField(label="None of these is the person: create a new record", required=False)


class DetailsForm(forms.Form):
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices)
    ethnicity = forms.ChoiceField(
        label="Self-defined ethnicity", required=False, choices=[("", "Not recorded"), *ethnicity_choices()]
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    restricted = forms.BooleanField(label="Restrict this record to an access list", required=False)
    restriction_contact = forms.CharField(label="Whom to ask for access", required=False, max_length=200)


class NameForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of name", choices=NameKind.choices, initial=NameKind.ALIAS)
    given_names = forms.CharField(label="Given names", required=False, max_length=200)
    family_name = forms.CharField(label="Family name", required=False, max_length=200)


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.CharField(
        label="Another date of birth", max_length=20, help_text="For example 1980-02-01."
    )
    source = forms.CharField(label="Source", required=False, max_length=200)


class IdentifierForm(forms.Form):
    kind = forms.ChoiceField(label="Identifier", choices=IdentifierKind.choices)
    value = forms.CharField(label="Value", max_length=100)


class AddressForm(forms.Form):
    uprn = forms.CharField(label="Address UPRN", max_length=20)
    role = forms.ChoiceField(label="Link", choices=AddressRole.choices)
    valid_from = forms.DateField(label="From", required=False, help_text="YYYY-MM-DD")
    valid_to = forms.DateField(label="To", required=False, help_text="YYYY-MM-DD")


class VehicleForm(forms.Form):
    vrm = forms.CharField(label="Registration mark", max_length=16, help_text="For example AB12 CDE.")
    role = forms.ChoiceField(
        label="Link",
        choices=[
            (role.value, role.label)
            for role in (LinkRole.KEEPER, LinkRole.OWNER, LinkRole.DRIVER, LinkRole.USER)
        ],
    )
    make = forms.CharField(label="Make", required=False, max_length=60)
    model = forms.CharField(label="Model", required=False, max_length=60)
    colour = forms.CharField(label="Colour", required=False, max_length=40)


class MarkerForm(forms.Form):
    kind = forms.ChoiceField(label="Warning marker", choices=marker_choices)
    source = forms.CharField(label="Source", max_length=200, help_text="Where the information comes from.")
    details = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    valid_from = forms.DateField(label="From", required=False, help_text="YYYY-MM-DD; today if blank")


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label="Record to keep", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why these are the same person",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with the merge in the access log. At least a sentence.",
    )

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["survivor"].choices = choices  # type: ignore[attr-defined]


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label="Why the merge was wrong",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="At least a sentence.",
    )


class DismissForm(forms.Form):
    note = forms.CharField(
        label="Why they are different people",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="At least a sentence.",
    )
