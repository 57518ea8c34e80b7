"""Pages for crimes: record a crime (from an incident, prefilled), one crime with its forms, the
investigator's list, and the force crime registrar's audit of undecided crime-related incidents
with the recording-compliance figure.

Views shape requests and responses only: writes go through ``crimes.services``, reads of personal
data through ``crimes.access`` (logged with a purpose). A service's refusal lands on the form field
it names; a refusal of permission is a 403 page, a missing record a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from iops.audit.access import RestrictedRecord
from iops.crimes import access, codes, forms, selectors, services
from iops.crimes.choices import CrimeState, PartyRole
from iops.crimes.duty_kinds import VICTIMS_CODE_KINDS
from iops.crimes.models import Crime, InvestigationAction
from iops.duties.choices import DutyStatus
from iops.incidents import codes as incident_codes
from iops.incidents.access import access_incident
from iops.incidents.models import Incident
from iops.platform.errors import DomainError, NotFound, PermissionRefused

VIEW_PURPOSE = "Crime investigation"
LIST_PURPOSE = "Crimes allocated to me"
REGISTRAR_PURPOSE = "Crime recording audit"
RECORD_PURPOSE = "Crime recording decision"
PAGE_SIZE = 50


def _refuse(error: DomainError) -> None:
    """Turn a refusal that is not about a field into the right error page."""
    if isinstance(error, NotFound):
        raise Http404(error.message) from error
    if isinstance(error, PermissionRefused) and not isinstance(error, RestrictedRecord):
        raise PermissionDenied(error.message) from error


def incident_url(incident_id: int) -> str | None:
    try:
        return reverse("incidents:detail", args=[incident_id])
    except NoReverseMatch:
        return None


# --- the investigator's list -----------------------------------------------------------------------


@login_required
@permission_required("crimes.view_crime", raise_exception=True)
def crime_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    scope = request.GET.get("scope", "mine")
    if scope == "all":
        queryset = selectors.crime_list(user, selectors.CrimeFilter(number=request.GET.get("number", "")))
        heading = "All crimes"
    else:
        scope = "mine"
        queryset = selectors.crimes_allocated_to(user)
        heading = "Crimes allocated to you"
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    access.access_crimes_listed(
        user, list(page.object_list), purpose=LIST_PURPOSE if scope == "mine" else VIEW_PURPOSE
    )
    return render(
        request,
        "crimes/list.html",
        {
            "page": page,
            "scope": scope,
            "heading": heading,
            "page_title": heading,
            "now": timezone.now(),
            "categories": dict(codes.police_uk_categories().choices()),
            "can_record": user.has_perm(services.RECORD),
        },
    )


# --- recording a crime -----------------------------------------------------------------------------


def _incident_for(request: HttpRequest, value: Any, purpose: str) -> Incident | None:
    """The incident a decision is about, read through the incidents app's access helper (logged)."""
    if value in (None, ""):
        return None
    try:
        return access_incident(request.user, value, purpose=purpose)
    except DomainError as error:
        _refuse(error)
        raise PermissionDenied(error.message) from error


@login_required
@permission_required(services.RECORD, raise_exception=True)
def record(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        form = forms.RecordCrimeForm(request.POST)
        incident = _incident_for(request, request.POST.get("incident"), RECORD_PURPOSE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                crime = services.crime_record(
                    acting_user=user,
                    offence_code=data["offence_code"],
                    committed_from=data["committed_from"],
                    committed_to=data["committed_to"],
                    incidents=[incident] if incident else [],
                    reported_at=data["reported_at"],
                    victims=data["victim"],
                    suspects=data["suspects"],
                    witnesses=data["witnesses"],
                    location_text=data["location_text"],
                    modus_operandi=data["modus_operandi"],
                    additional_offence_codes=data["additional_offence_codes"],
                    allocated_officer=data["allocated_officer"],
                    victim_update_interval_days=data["victim_update_interval_days"],
                )
            except DomainError as error:
                _refuse(error)
                forms.apply_error(form, error)
            else:
                messages.success(request, f"Crime {crime.number} recorded.")
                return redirect("crimes:detail", pk=crime.pk)
    else:
        incident = _incident_for(request, request.GET.get("incident"), RECORD_PURPOSE)
        initial: dict[str, Any] = {"victim_update_interval_days": 28}
        if incident is not None:
            initial.update(
                incident=incident.pk,
                committed_from=timezone.localtime(incident.opened_at),
                location_text=incident.location_text,
            )
        form = forms.RecordCrimeForm(initial=initial)
    existing = list(selectors.crimes_for_incident(incident)) if incident else []
    return render(
        request,
        "crimes/record.html",
        {
            "form": form,
            "incident": incident,
            "incident_url": incident_url(incident.pk) if incident else None,
            "category": incident_codes.opening_category(incident.opening_category) if incident else None,
            "existing": existing,
            "page_title": "Record a crime",
        },
        status=400 if form.is_bound else 200,
    )


# --- one crime ---------------------------------------------------------------------------------------


ACTIONS: dict[str, type[Any]] = {
    "reclassify": forms.ReclassifyForm,
    "outcome": forms.OutcomeForm,
    "party": forms.PartyForm,
    "allocate": forms.AllocateForm,
    "action": forms.ActionForm,
    "result": forms.ActionDoneForm,
    "review": forms.ReviewForm,
    "contact": forms.VictimContactForm,
    "transfer": forms.TransferForm,
    "cancel": forms.CancelCrimeForm,
}


def _crime_page(
    request: HttpRequest, pk: int, bound: dict[str, Any] | None = None, break_glass_reason: str | None = None
) -> HttpResponse:
    user: Any = request.user
    purpose = request.GET.get("purpose") or VIEW_PURPOSE
    try:
        crime = access.access_crime(user, pk, purpose=purpose, break_glass_reason=break_glass_reason)
    except RestrictedRecord as error:
        return render(
            request,
            "crimes/restricted.html",
            {
                "message": error.message,
                "pk": pk,
                "page_title": "Restricted crime",
                "tried": break_glass_reason,
            },
            status=403,
        )
    except DomainError as error:
        if break_glass_reason is not None and error.field == "break_glass_reason":
            return render(
                request,
                "crimes/restricted.html",
                {
                    "message": error.message,
                    "pk": pk,
                    "page_title": "Restricted crime",
                    "tried": break_glass_reason,
                },
                status=400,
            )
        _refuse(error)
        raise
    now = timezone.now()
    live = crime.state == CrimeState.RECORDED
    duties = list(selectors.crime_duties(crime))
    incidents = list(
        Incident.objects.filter(pk__in=crime.incident_links.values("incident_id")).order_by("opened_at")
    )
    offence = codes.offence(crime.offence_code) if crime.offence_code in codes.offences() else None
    has_victim = crime.parties.filter(role=PartyRole.VICTIM).exists()
    forms_by_action = {name: form_class(prefix=name) for name, form_class in ACTIONS.items()}
    forms_by_action.update(bound or {})
    context = {
        "crime": crime,
        "live": live,
        "offence": offence,
        "category": codes.police_uk_categories().get(crime.police_uk_category)
        if crime.police_uk_category in codes.police_uk_categories()
        else None,
        "outcome": codes.outcome_type(crime.outcome_type) if crime.outcome_type is not None else None,
        "additional": [selectors.crime_offence_label(code) for code in crime.additional_offence_codes],
        "parties": selectors.crime_parties(crime),
        "incidents": [(incident, incident_url(incident.pk)) for incident in incidents],
        "victim_duties": [duty for duty in duties if duty.kind in VICTIMS_CODE_KINDS],
        "actions": list(
            crime.actions.select_related("owner_user", "owner_team").order_by("status", "due_at")
        ),
        "reviews": list(crime.reviews.select_related("reviewer")),
        "history": selectors.crime_history(crime),
        "grouped": list(Crime.objects.filter(principal_crime=crime).order_by("recorded_at")),
        "recorded_within_24h": crime.recorded_at - crime.reported_at <= selectors.RECORDING_WINDOW,
        "recording_hours": round((crime.recorded_at - crime.reported_at).total_seconds() / 3600, 1),
        "now": now,
        "page_title": f"Crime {crime.number}",
        "purpose": purpose,
        "forms": forms_by_action,
        "open_form": next(iter(bound or {}), ""),
        "has_victim": has_victim,
        "open_status": DutyStatus.OPEN,
        "can": {
            "reclassify": live and user.has_perm("crimes.reclassify_crime"),
            "outcome": live and user.has_perm("crimes.set_crime_outcome"),
            "party": live and user.has_perm("crimes.change_crime"),
            "allocate": live and user.has_perm("crimes.allocate_crime"),
            "action": live and user.has_perm("crimes.manage_investigation_actions"),
            "review": user.has_perm("crimes.review_crime") and crime.allocated_officer_id != user.pk,
            "contact": live and has_victim and user.has_perm("crimes.record_victim_contact"),
            "transfer": live and user.has_perm("crimes.transfer_crime"),
            "cancel": live and user.has_perm("crimes.cancel_crime"),
        },
    }
    return render(request, "crimes/detail.html", context, status=400 if bound else 200)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One crime. A POST carries a break-glass reason for a restricted crime (kept out of URLs)."""
    reason = request.POST.get("break_glass_reason") if request.method == "POST" else None
    return _crime_page(request, pk, break_glass_reason=reason or None)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    user: Any = request.user
    try:
        crime = access.access_crime(user, pk, purpose=request.POST.get("purpose") or VIEW_PURPOSE)
    except DomainError as error:
        _refuse(error)
        raise PermissionDenied(error.message) from error
    form = ACTIONS[action](request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = _perform(user, crime, action, data)
        except DomainError as error:
            _refuse(error)
            forms.apply_error(form, error)
        else:
            messages.success(request, done)
            return redirect("crimes:detail", pk=crime.pk)
    return _crime_page(request, pk, bound={action: form})


def _perform(user: Any, crime: Crime, action: str, data: dict[str, Any]) -> str:
    """Call the service an action's form asks for; the message to show when it is done."""
    if action == "reclassify":
        services.crime_reclassify(
            acting_user=user, crime=crime, offence_code=data["offence_code"], reason=data["reason"]
        )
        return f"Reclassified as {selectors.crime_offence_label(data['offence_code'])}."
    if action == "outcome":
        services.crime_outcome_set(
            acting_user=user, crime=crime, outcome_type=data["outcome_type"], reason=data["reason"]
        )
        return "Outcome recorded; the crime is finalised."
    if action == "party":
        services.crime_party_add(acting_user=user, crime=crime, nominal=data["person"], role=data["role"])
        return f"{PartyRole(data['role']).label} added."
    if action == "allocate":
        services.crime_allocate(acting_user=user, crime=crime, officer=data["officer"])
        return f"Allocated to {data['officer']}."
    if action == "action":
        services.investigation_action_add(
            acting_user=user,
            crime=crime,
            description=data["description"],
            due_at=data["due_at"],
            owner_user=data["owner"],
        )
        return "Action set: it is on the owner's duties until its result is recorded."
    if action == "result":
        item = InvestigationAction.objects.filter(crime=crime, pk=data["action"]).first()
        if item is None:
            raise NotFound("There is no such action on this crime.", field="result")
        services.investigation_action_complete(acting_user=user, action=item, result=data["result"])
        return "Action done."
    if action == "review":
        services.supervisor_review_record(
            acting_user=user, crime=crime, review=data["review"], directions=data["directions"]
        )
        return "Review recorded."
    if action == "contact":
        services.victim_contact_record(
            acting_user=user,
            crime=crime,
            obligation=data["obligation"],
            note=data["note"],
            consent=data["consent"],
            next_update_interval_days=data["next_update_interval_days"],
        )
        return "Contact with the victim recorded."
    if action == "transfer":
        services.crime_transfer(
            acting_user=user, crime=crime, to_force=data["to_force"], reason=data["reason"]
        )
        return f"Crime {crime.number} transferred to {data['to_force']}."
    services.crime_cancel(acting_user=user, crime=crime, code=data["code"], reason=data["reason"])
    return f"Crime {crime.number} cancelled ({data['code']})."


# --- the registrar ------------------------------------------------------------------------------------


@login_required
@permission_required(selectors.AUDIT_PERMISSION, raise_exception=True)
def registrar(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    filter_form = forms.RegistrarFilterForm(request.GET or None)
    filters = filter_form.filters() if filter_form.is_bound else selectors.UnresolvedFilter()
    try:
        number = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        number = 1
    rows, total = access.access_unresolved_incidents(
        user, filters, purpose=REGISTRAR_PURPOSE, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, now=now
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    compliance = selectors.recording_compliance(now=now)
    summary = selectors.unresolved_summary(now=now)
    return render(
        request,
        "crimes/registrar.html",
        {
            "rows": [
                {
                    "incident": row,
                    "url": incident_url(row.pk),
                    "category": incident_codes.opening_category(row.opening_category).name
                    if row.opening_category in incident_codes.opening_categories()
                    else row.opening_category,
                    "age": selectors.age_text(now - row.opened_at),
                    "overdue": row.decision_status == DutyStatus.OPEN and row.decision_due_at <= now,
                    "escalated": row.decision_status == DutyStatus.OPEN
                    and (row.decision_escalation or 0) > 0,
                    "no_duty": row.decision_status != DutyStatus.OPEN,
                }
                for row in rows
            ],
            "total": total,
            "summary": summary,
            "oldest_age": selectors.age_text(summary.oldest_age) if summary.oldest_age else "",
            "filter_form": filter_form,
            "page_number": number,
            "pages": pages,
            "previous_query": urlencode({**query, "page": number - 1}) if number > 1 else None,
            "next_query": urlencode({**query, "page": number + 1}) if number < pages else None,
            "compliance": compliance,
            "weeks": list(reversed(compliance.weeks)),
            "can_rationale": user.has_perm("crimes.record_noncrime_rationale"),
            "can_record": user.has_perm(services.RECORD),
            "now": now,
            "page_title": "Crime recording: incidents awaiting a decision",
        },
    )


@login_required
def rationale(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("crimes.record_noncrime_rationale"):
        raise PermissionDenied(
            "Only a supervisor or the force crime registrar may record that an incident is not a crime."
        )
    incident = _incident_for(request, pk, REGISTRAR_PURPOSE)
    assert incident is not None
    if request.method == "POST":
        form = forms.RationaleForm(request.POST)
        if form.is_valid():
            try:
                services.non_crime_rationale_record(
                    acting_user=user,
                    incident=incident,
                    rationale=form.cleaned_data["rationale"],
                    n100_reason=form.cleaned_data["n100_reason"],
                )
            except DomainError as error:
                _refuse(error)
                forms.apply_error(form, error)
            else:
                messages.success(request, f"Non-crime rationale recorded for incident {incident.reference}.")
                return redirect("crimes:registrar")
    else:
        form = forms.RationaleForm()
    return render(
        request,
        "crimes/rationale.html",
        {
            "form": form,
            "incident": incident,
            "incident_url": incident_url(incident.pk),
            "category": incident_codes.opening_category(incident.opening_category),
            "page_title": f"Non-crime rationale: incident {incident.reference}",
        },
        status=400 if form.is_bound else 200,
    )
