"""Forms for the board's actions, a unit's own page, and the figures page."""

from __future__ import annotations

from django import forms

from iops.dispatch.figures import BUCKETS


class AssignForm(forms.Form):
    unit = forms.IntegerField(min_value=1)


class StatusForm(forms.Form):
    status = forms.CharField(max_length=16)
    note = forms.CharField(label="Note (optional)", required=False, max_length=400)


class PositionForm(forms.Form):
    latitude = forms.FloatField(label="Latitude", min_value=-90, max_value=90, help_text="e.g. 53.4809")
    longitude = forms.FloatField(label="Longitude", min_value=-180, max_value=180, help_text="e.g. -2.2374")


class FiguresForm(forms.Form):
    start = forms.DateField(
        label="From",
        required=False,
        help_text="For example, 21/11/2026",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    end = forms.DateField(
        label="To (inclusive)",
        required=False,
        help_text="For example, 22/11/2026",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    bucket = forms.ChoiceField(
        label="Count per",
        choices=[(bucket, bucket.capitalize()) for bucket in BUCKETS],
        initial="hour",
        required=False,
    )
