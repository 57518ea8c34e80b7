"""Forms for acting on a duty."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from iops.accounts.models import Team, User


class DischargeForm(forms.Form):
    note = forms.CharField(
        label="How was it done?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is kept on the duty's record.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is this duty no longer needed?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A cancelled duty stays on record with your name and this reason.",
    )


class ReassignForm(forms.Form):
    owner = forms.CharField(
        label="Give to (username or staff or collar number)", required=False, max_length=150
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="Keep the person's own team",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_owner(self) -> User | None:
        value = self.cleaned_data["owner"].strip()
        if not value:
            return None
        user = User.objects.filter(
            Q(username__iexact=value) | Q(collar_number__iexact=value), is_active=True
        ).first()
        if user is None:
            raise forms.ValidationError(f"There is no active user with username or number '{value}'.")
        return user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("owner") and not cleaned.get("team") and not self.errors:
            raise forms.ValidationError("Choose a person or a team to give the duty to.")
        return cleaned
