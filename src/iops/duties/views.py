"""Pages for duties: your duties, a team's queue, the command queue, one duty and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from iops.accounts.models import Team
from iops.duties import selectors, services
from iops.duties.forms import CancelForm, DischargeForm, ReassignForm
from iops.duties.models import Duty
from iops.duties.selectors import duty_visible_to
from iops.platform.errors import DomainError

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = _page(request, selectors.duties_for_user(request.user, now=now))  # type: ignore[arg-type]
    return render(
        request,
        "duties/list.html",
        {
            "page": page,
            "now": now,
            "page_title": "Your duties",
            "heading": "Your duties",
            "empty": "You have no open duties.",
        },
    )


@permission_required("duties.view_team_queue", raise_exception=True)
def team(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    if team.supervisor_id != request.user.pk and not request.user.has_perm("duties.view_backlog"):
        raise PermissionDenied
    now = timezone.now()
    page = _page(request, selectors.team_queue(team, now=now))
    return render(
        request,
        "duties/list.html",
        {
            "page": page,
            "now": now,
            "page_title": f"{team} queue",
            "heading": f"{team}: open duties",
            "empty": "This team has no open duties.",
        },
    )


@permission_required("duties.view_command_queue", raise_exception=True)
def command(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = _page(request, selectors.command_queue(now=now))
    return render(
        request,
        "duties/list.html",
        {
            "page": page,
            "now": now,
            "page_title": "Command queue",
            "heading": "Duties escalated to command",
            "empty": "Nothing has been escalated to command.",
        },
    )


def _get_visible(request: HttpRequest, pk: int) -> Duty:
    duty = (
        Duty.objects.select_related("owner_user", "owner_team", "escalated_to", "subject_type")
        .filter(pk=pk)
        .first()
    )
    if duty is None:
        raise Http404("There is no duty with that reference.")
    if not duty_visible_to(request.user, duty):
        raise PermissionDenied
    return duty


@login_required
def detail(request: HttpRequest, pk: int, *, forms: dict[str, Any] | None = None) -> HttpResponse:
    duty = _get_visible(request, pk)
    user: Any = request.user
    info = duty.kind_info
    context = {
        "duty": duty,
        "info": info,
        "events": duty.events.select_related("actor").all(),
        "now": timezone.now(),
        "page_title": duty.title,
        "can_discharge": duty.is_open
        and info.manual_discharge
        and (user.has_perm(info.discharge_permission) or user.pk == duty.owner_user_id),
        "can_cancel": duty.is_open and user.has_perm(info.cancel_permission),
        "can_reassign": duty.is_open and user.has_perm("duties.reassign_duty"),
        "discharge_form": DischargeForm(),
        "cancel_form": CancelForm(),
        "reassign_form": ReassignForm(),
        **(forms or {}),
    }
    status = 400 if forms else 200
    return render(request, "duties/detail.html", context, status=status)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    duty = _get_visible(request, pk)
    user: Any = request.user
    form: DischargeForm | CancelForm | ReassignForm
    if action == "discharge":
        form = DischargeForm(request.POST)
    elif action == "cancel":
        form = CancelForm(request.POST)
    elif action == "reassign":
        form = ReassignForm(request.POST)
    else:
        raise Http404("Unknown action.")
    if form.is_valid():
        try:
            if isinstance(form, DischargeForm):
                services.duty_discharge(duty=duty, acting_user=user, note=form.cleaned_data["note"])
                messages.success(request, "Duty marked as done.")
            elif isinstance(form, CancelForm):
                services.duty_cancel(duty=duty, acting_user=user, reason=form.cleaned_data["reason"])
                messages.success(request, "Duty cancelled. The reason is kept on its record.")
            else:
                services.duty_reassign(
                    duty=duty,
                    acting_user=user,
                    owner_user=form.cleaned_data["owner"],
                    owner_team=form.cleaned_data["team"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, "Duty reassigned.")
            return redirect("duties:detail", pk=duty.pk)
        except DomainError as error:
            if error.status == 403:
                raise PermissionDenied(error.message) from error
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
    return detail(request, pk, forms={f"{action}_form": form, "open_form": action})
