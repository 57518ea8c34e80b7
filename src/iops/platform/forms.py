"""GOV.UK Design System form rendering for Django forms.

``{{ form }}`` and ``{{ field.as_field_group }}`` render with GOV.UK markup: a label tied to its
input, hint, error message with a visually hidden "Error:" prefix, and the error class on the group.
Pages put ``{% govuk_error_summary form %}`` at the top so keyboard and screen-reader users land on
the errors first (WCAG 2.2: 3.3.1 error identification, 2.4.3 focus order).
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    """Renders with the project's template engine, so form templates share its builtins."""

    form_template_name = "platform/forms/form.html"
    field_template_name = "platform/forms/field.html"


def widget_kind(field: forms.BoundField) -> str:
    """Which GOV.UK component renders this field."""
    widget = field.field.widget
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


def input_classes(field: forms.BoundField) -> str:
    kind = widget_kind(field)
    base = {
        "input": "govuk-input",
        "select": "govuk-select",
        "textarea": "govuk-textarea",
        "file": "govuk-file-upload",
        "checkbox": "govuk-checkboxes__input",
    }.get(kind, "")
    classes = [base] if base else []
    extra = field.field.widget.attrs.get("class")
    if extra:
        classes.append(extra)
    if field.errors and base:
        classes.append(f"{base}--error")
    return " ".join(classes)
