"""Template helpers for GOV.UK Frontend markup: error summary, field rendering, tags, dates."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils import timezone

from iops.platform.forms import input_classes, widget_kind

register = template.Library()


@register.inclusion_tag("platform/forms/error_summary.html")
def govuk_error_summary(*forms_: forms.BaseForm) -> dict[str, Any]:
    """One error summary for one or more forms, each error linking to the field it concerns."""
    errors = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            errors.append({"href": "#main-content", "text": message})
        for field in form:
            for message in field.errors:
                errors.append({"href": f"#{field.id_for_label or field.auto_id}", "text": message})
    return {"errors": errors}


@register.filter
def govuk_kind(field: forms.BoundField) -> str:
    return widget_kind(field)


@register.filter
def govuk_classes(field: forms.BoundField) -> str:
    return input_classes(field)


@register.simple_tag
def govuk_widget(field: forms.BoundField) -> str:
    """The field's input with GOV.UK classes and the hint/error ids in ``aria-describedby``."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    attrs: dict[str, str] = {}
    classes = input_classes(field)
    if classes:
        attrs["class"] = classes
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def local_time(value: Any, fmt: str = "%d %b %Y %H:%M") -> str:
    """A timestamp in the force's local time, in the house format (24-hour clock)."""
    if not value:
        return ""
    return str(timezone.localtime(value).strftime(fmt))
