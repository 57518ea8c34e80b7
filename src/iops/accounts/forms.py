"""Forms for signing in and managing accounts, rendered with GOV.UK markup.

Forms check the shape of what was typed; the rules (unique usernames, password strength, who may
do what) are the services', whose errors the views put back on the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Permission

from iops.accounts.choices import Rank, Role
from iops.accounts.models import District, Team
from iops.accounts.selectors import USER_STATUSES
from iops.accounts.services import clean_totp_code
from iops.platform.errors import DomainError, ValidationFailed


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error next to the field it names, or at the top if the form has no such field."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter your username."},
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # After an error the error summary takes focus (GOV.UK Frontend); an autofocused
            # box would pull it away before a screen reader has read the error.
            self.fields["username"].widget.attrs.pop("autofocus", None)


class TotpCodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Code from your authenticator app")
        kwargs.setdefault("help_text", "The 6-digit code your app shows now, for example 123456.")
        super().__init__(
            max_length=20,
            error_messages={"required": "Enter the 6-digit code from your authenticator app."},
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "spellcheck": "false",
                    "class": "govuk-input--width-10",
                }
            ),
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return clean_totp_code(value)
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from error


class TotpCodeForm(forms.Form):
    code = TotpCodeField()


class TotpRemoveForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="To turn off two-step verification, confirm it is you.",
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _new_password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text="At least 12 characters. A few unrelated words make a strong password.",
        error_messages={"required": f"Enter the {label.lower()}."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        error_messages={"required": "Enter your current password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = _new_password_field("New password")
    confirm_password = forms.CharField(
        label="Type the new password again",
        strip=False,
        error_messages={"required": "Type the new password again."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("confirm_password") != data.get("new_password"):
            self.add_error("confirm_password", "The passwords do not match.")
        return data


class PasswordResetForm(forms.Form):
    password = _new_password_field("New password")
    must_change_password = forms.BooleanField(
        label="Ask them to choose their own password when they next sign in",
        required=False,
        initial=True,
    )


def _team_field() -> forms.ModelChoiceField[Team]:
    return forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="No team", label="Team"
    )


def _district_field() -> forms.ModelChoiceField[District]:
    return forms.ModelChoiceField(
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label="Same as the team's",
        label="District",
        help_text="Leave as it is to use the team's district.",
    )


class UserForm(forms.Form):
    """An account's details and roles: the same fields to create and to edit."""

    first_name = forms.CharField(
        label="First name", max_length=150, error_messages={"required": "Enter their first name."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, error_messages={"required": "Enter their last name."}
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.police.uk."
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    collar_number = forms.CharField(
        label="Staff or collar number",
        max_length=20,
        required=False,
        help_text="Shown beside everything they do, for example 4012 or S1234.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    rank = forms.ChoiceField(label="Rank or grade", choices=Rank.choices, initial=Rank.POLICE_STAFF)
    team = _team_field()
    district = _district_field()
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        required=False,
        help_text="Select every role they need. Each role decides what they can see and do.",
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(UserForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What they type to sign in. Letters, numbers and . @ + - _ only. It cannot be changed later.",
        error_messages={"required": "Enter a username."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = _new_password_field("Initial password")
    must_change_password = forms.BooleanField(
        label="Ask them to choose their own password when they first sign in",
        required=False,
        initial=True,
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "collar_number",
        "rank",
        "team",
        "district",
        "roles",
        "password",
        "must_change_password",
    ]


class UserFilterForm(forms.Form):
    """The user list's filters, read from the query string."""

    q = forms.CharField(
        label="Name, username or collar number",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label="Role", required=False, choices=[("", "Any role"), *Role.choices])
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="Any team", label="Team"
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *USER_STATUSES.items()]
    )


class RolePermissionsForm(forms.Form):
    """One fieldset of checkboxes per app: which of its permissions the role has."""

    def __init__(
        self,
        *args: Any,
        groups: list[tuple[str, str, list[Permission]]],
        initial_names: set[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.app_fields: list[str] = []
        for label, name, permissions in groups:
            field_name = f"app_{label}"
            choices = [(f"{label}.{permission.codename}", permission.name) for permission in permissions]
            self.fields[field_name] = forms.MultipleChoiceField(
                label=name,
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[value for value, _ in choices if value in initial_names],
            )
            self.app_fields.append(field_name)

    def chosen(self) -> set[str]:
        names: set[str] = set()
        for field_name in self.app_fields:
            names.update(self.cleaned_data.get(field_name) or [])
        return names
