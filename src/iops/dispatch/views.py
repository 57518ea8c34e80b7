"""Pages for dispatch: the live board and its fragments, its assign and stand-down actions, a unit's
own page (status buttons and position for its crew), and the figures for command.

The board is a normal page that works without JavaScript (actions are forms that come back to it);
``dispatch/board.mjs`` makes it live: it listens to ``/api/v1/events`` and refetches the incidents
or units fragment when an event says they changed, and submits the actions without leaving the page
(asking for JSON with ``Accept: application/json``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from iops.dispatch import figures, selectors, services
from iops.dispatch.choices import UnitStatus
from iops.dispatch.forms import AssignForm, FiguresForm, PositionForm, StatusForm
from iops.dispatch.models import Assignment, Unit
from iops.incidents.models import Incident
from iops.platform.errors import DomainError, ValidationFailed


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _district(request: HttpRequest) -> int | None:
    value = request.GET.get("district", "")
    return int(value) if value.isdigit() else None


def _board_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    board = selectors.board(request.user, now=now, district_id=_district(request))  # type: ignore[arg-type]
    return {
        "board": board,
        "now": now,
        "page_title": "Live board",
        "tile_url": settings.IOPS_TILE_URL,
        "tile_attribution": settings.IOPS_TILE_ATTRIBUTION,
        "can_assign": request.user.has_perm("dispatch.assign_unit"),
        "district": _district(request),
        **extra,
    }


@login_required
@permission_required("dispatch.view_board", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "dispatch/board.html", _board_context(request))


@login_required
@permission_required("dispatch.view_board", raise_exception=True)
def board_incidents(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = selectors.board_incidents(request.user, now=now, district_id=_district(request))  # type: ignore[arg-type]
    return render(
        request,
        "dispatch/_incidents.html",
        {"incidents": rows, "now": now, "can_assign": request.user.has_perm("dispatch.assign_unit")},
    )


@login_required
@permission_required("dispatch.view_board", raise_exception=True)
def board_units(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    units, off_duty = selectors.board_units(request.user)  # type: ignore[arg-type]
    return render(request, "dispatch/_units.html", {"units": units, "off_duty": off_duty, "now": now})


def _action_result(request: HttpRequest, error: DomainError | None, success: str) -> HttpResponse:
    """The outcome of a board action: JSON for the live board, else back to the board page."""
    if _wants_json(request):
        if error is not None:
            return JsonResponse(error.as_dict(), status=error.status)
        return JsonResponse({"message": success})
    if error is not None:
        context = _board_context(request, action_error=error.message)
        return render(request, "dispatch/board.html", context, status=error.status)
    messages.success(request, success)
    return redirect("dispatch:board")


@require_POST
@login_required
@permission_required("dispatch.assign_unit", raise_exception=True)
def assign(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise Http404("There is no such incident.")
    form = AssignForm(request.POST)
    error: DomainError | None = None
    success = ""
    unit = Unit.objects.filter(pk=form.cleaned_data["unit"]).first() if form.is_valid() else None
    if unit is None:
        error = ValidationFailed("Choose a unit to assign.", field="unit")
    else:
        try:
            services.assignment_create(acting_user=request.user, incident=incident, unit=unit)  # type: ignore[arg-type]
            success = f"{unit.call_sign} assigned to incident {incident.reference}."
        except DomainError as refused:
            error = refused
    return _action_result(request, error, success)


@require_POST
@login_required
@permission_required("dispatch.view_board", raise_exception=True)
def clear(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = Assignment.objects.select_related("unit", "incident").filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404("There is no such assignment.")
    error: DomainError | None = None
    try:
        services.assignment_clear(acting_user=request.user, assignment=assignment)  # type: ignore[arg-type]
    except DomainError as refused:
        error = refused
    return _action_result(
        request,
        error,
        f"{assignment.unit.call_sign} stood down from incident {assignment.incident.reference}.",
    )


# --- a unit's own page -------------------------------------------------------------------------------


@login_required
def my_unit(request: HttpRequest) -> HttpResponse:
    units = selectors.units_crewed_by(request.user)  # type: ignore[arg-type]
    if len(units) == 1:
        return redirect("dispatch:unit", unit_id=units[0].pk)
    return render(request, "dispatch/my_unit.html", {"units": units, "page_title": "Your unit"})


def _next_statuses(unit: Unit, has_assignment: bool) -> list[tuple[str, str]]:
    allowed = services.TRANSITIONS.get(unit.status, frozenset())
    order = [status for status in UnitStatus.values if status in allowed]
    return [
        (status, UnitStatus(status).label)
        for status in order
        if status not in services.ASSIGNMENT_STEPS or has_assignment
    ]


@login_required
def unit_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.units_for_board().filter(pk=unit_id).first()
    if unit is None:
        raise Http404("There is no such unit.")
    user: Any = request.user
    crew = unit.crew.filter(pk=user.pk).exists()
    if not crew and not user.has_perm("dispatch.view_unit"):
        raise PermissionDenied
    can_report = crew or user.has_perm("dispatch.update_unit_status")
    status_form = StatusForm()
    position_form = PositionForm()
    status = 200
    if request.method == "POST":
        if not can_report:
            raise PermissionDenied
        try:
            if "latitude" in request.POST:
                position_form = PositionForm(request.POST)
                if position_form.is_valid():
                    services.unit_update_position(acting_user=user, unit=unit, **position_form.cleaned_data)
                    messages.success(request, "Position sent.")
                    return redirect("dispatch:unit", unit_id=unit.pk)
            else:
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    services.unit_set_status(
                        acting_user=user,
                        unit=unit,
                        status=status_form.cleaned_data["status"],
                        note=status_form.cleaned_data["note"],
                    )
                    messages.success(
                        request, f"{unit.call_sign} is now {UnitStatus(unit.status).label.lower()}."
                    )
                    return redirect("dispatch:unit", unit_id=unit.pk)
        except DomainError as refused:
            target = position_form if "latitude" in request.POST else status_form
            field = refused.field if refused.field in target.fields else None
            target.add_error(field, refused.message)
        status = 400
    active = getattr(unit, "active_assignments", [])
    assignment = active[0] if active else None
    return render(
        request,
        "dispatch/unit.html",
        {
            "unit": unit,
            "assignment": assignment,
            "can_report": can_report,
            "skill_names": selectors.BoardUnit(unit=unit, assignment=assignment).skill_names,
            "next_statuses": _next_statuses(unit, assignment is not None),
            "status_form": status_form,
            "position_form": position_form,
            "now": timezone.now(),
            "page_title": f"Unit {unit.call_sign}",
        },
        status=status,
    )


# --- figures -------------------------------------------------------------------------------------


@login_required
@permission_required("dispatch.view_figures", raise_exception=True)
def figures_page(request: HttpRequest) -> HttpResponse:
    form = FiguresForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "page_title": "Calls and attendance"}
    chosen = None
    if not request.GET:
        chosen = figures.figure_range(bucket="hour")
    elif form.is_valid():
        try:
            chosen = figures.figure_range(
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                bucket=form.cleaned_data["bucket"] or "hour",
            )
        except ValidationFailed as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
    if chosen is None:
        return render(request, "dispatch/figures.html", context, status=400)
    user: Any = request.user
    calls = figures.call_answer_figures(user, chosen)
    attendance = figures.attendance_figures(user, chosen)
    label = "%d %b %H:%M" if chosen.bucket == "hour" else "%a %d %b"
    chart = {
        "labels": [timezone.localtime(period.start).strftime(label) for period in calls.periods],
        "calls": {
            "percent": [period.percent_within_target for period in calls.periods],
            "answered": [period.answered for period in calls.periods],
            "aim": calls.aim_percent,
        },
        "attendance": {
            name: [period.by_grade[code].percent_met for period in attendance.periods]
            for code, name in attendance.grades
        },
    }
    attendance_rows = [
        {"start": period.start, "cells": [period.by_grade[code] for code, _ in attendance.grades]}
        for period in attendance.periods
    ]
    context.update(
        {
            "range": chosen,
            "calls": calls,
            "attendance": attendance,
            "attendance_rows": attendance_rows,
            "attendance_totals": [(name, attendance.totals[code]) for code, name in attendance.grades],
            "chart": chart,
            "label_format": label,
        }
    )
    return render(request, "dispatch/figures.html", context)
