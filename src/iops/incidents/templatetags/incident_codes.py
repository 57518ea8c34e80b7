"""Template filters that show incident codes by name: categories, qualifiers, grades, results."""

from __future__ import annotations

from django import template

from iops.incidents import codes

register = template.Library()


@register.filter
def category_name(code: str) -> str:
    return codes.opening_category(code).name if code in codes.opening_categories() else code


@register.filter
def qualifier_name(code: str) -> str:
    return codes.qualifier(code).name if code in codes.qualifiers() else code


@register.filter
def grade_name(code: str) -> str:
    return codes.grade(code).name if code in codes.grades() else code


@register.filter
def result_name(code: str) -> str:
    return codes.closing_result(code).name if code in codes.closing_results() else code
