"""Duties: opened with an owner and a clock, ended only by discharge or a reasoned cancel,
never deleted, and escalated by the sweeper when overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from iops.audit.models import AuditEntry
from iops.duties import services
from iops.duties.choices import DutyStatus, EscalationLevel, Risk
from iops.duties.kinds import DutyKind, register_kind
from iops.duties.models import Duty, DutyEvent, DutySnapshot
from iops.duties.tests.factories import TeamFactory, make_duty, make_user
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db

RECORD_ONLY = register_kind(
    DutyKind(
        code="test_record_only",
        label="Record-only test duty",
        due_after=timedelta(hours=24),
        manual_discharge=False,
    )
)


@pytest.fixture
def team_with_supervisor():
    team = TeamFactory()
    supervisor = make_user("sgt", "supervisor", team=team)
    team.supervisor = supervisor
    team.save()
    officer = make_user("pc", "response_officer", team=team)
    return team, supervisor, officer


def test_a_duty_needs_an_owner() -> None:
    with pytest.raises(ValidationFailed) as error:
        services.duty_open(kind="task", title="x")
    assert error.value.field == "owner"
    assert not Duty.objects.exists()


def test_open_records_the_clock_and_the_history(team_with_supervisor) -> None:
    _team, _sgt, officer = team_with_supervisor
    duty = make_duty(owner_user=officer, hours=24, risk=Risk.HIGH)
    assert duty.status == DutyStatus.OPEN
    assert duty.due_at - duty.opened_at == timedelta(hours=24)
    assert duty.risk_rank == 0
    assert list(duty.events.values_list("kind", flat=True)) == ["opened"]


def test_a_duty_cannot_be_deleted(team_with_supervisor) -> None:
    _team, _sgt, officer = team_with_supervisor
    duty = make_duty(owner_user=officer)
    with pytest.raises(PermissionRefused):
        duty.delete()
    with pytest.raises(PermissionRefused):
        Duty.objects.filter(pk=duty.pk).delete()
    with (
        pytest.raises(DatabaseError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM duties_duty WHERE id = %s", [duty.pk])
    assert Duty.objects.filter(pk=duty.pk).exists()


def test_cancel_needs_a_reason_and_the_right_role(team_with_supervisor) -> None:
    _team, supervisor, officer = team_with_supervisor
    duty = make_duty(owner_user=officer)
    with pytest.raises(PermissionRefused):
        services.duty_cancel(duty=duty, acting_user=officer, reason="Not needed any more, victim withdrew")
    with pytest.raises(ValidationFailed) as error:
        services.duty_cancel(duty=duty, acting_user=supervisor, reason="  ")
    assert error.value.field == "reason"
    duty.refresh_from_db()
    assert duty.status == DutyStatus.OPEN
    services.duty_cancel(
        duty=duty, acting_user=supervisor, reason="Duplicate of another duty on the same incident"
    )
    duty.refresh_from_db()
    assert duty.status == DutyStatus.CANCELLED
    assert duty.cancelled_by == supervisor
    assert duty.cancel_reason.startswith("Duplicate")
    assert AuditEntry.objects.filter(operation="duties.cancel", record_id=str(duty.pk)).count() == 1


def test_discharge_by_hand_only_where_the_kind_allows(team_with_supervisor) -> None:
    _team, supervisor, officer = team_with_supervisor
    record_only = make_duty(owner_user=officer, kind=RECORD_ONLY.code)
    with pytest.raises(PermissionRefused, match="by the record"):
        services.duty_discharge(duty=record_only, acting_user=supervisor, note="done")
    task = make_duty(owner_user=officer)
    services.duty_discharge(duty=task, acting_user=officer, note="Viewed the footage, nothing of use")
    task.refresh_from_db()
    assert (task.status, task.discharged_by, task.discharge_note) == (
        DutyStatus.DISCHARGED,
        officer,
        "Viewed the footage, nothing of use",
    )


def test_closing_twice_is_a_clear_conflict(team_with_supervisor) -> None:
    _team, supervisor, officer = team_with_supervisor
    duty = make_duty(owner_user=officer)
    stale = Duty.objects.get(pk=duty.pk)
    services.duty_discharge(duty=duty, acting_user=officer, note="done it")
    with pytest.raises(Conflict, match="already discharged"):
        services.duty_cancel(duty=stale, acting_user=supervisor, reason="Someone else will deal with it")


def test_domain_discharge_ends_only_matching_open_duties(team_with_supervisor) -> None:
    team, _sgt, officer = team_with_supervisor
    subject = team  # any record can be a duty's subject
    wanted = make_duty(owner_user=officer, kind=RECORD_ONLY.code, subject=subject)
    other_kind = make_duty(owner_user=officer, kind="task", subject=subject)
    done = services.duties_discharge_for(
        subject=subject, kinds=[RECORD_ONLY.code], acting_user=officer, note="Crime recorded"
    )
    assert [d.pk for d in done] == [wanted.pk]
    other_kind.refresh_from_db()
    assert other_kind.status == DutyStatus.OPEN


def test_sweep_escalates_overdue_to_supervisor_then_command(team_with_supervisor) -> None:
    _team, supervisor, officer = team_with_supervisor
    duty = make_duty(owner_user=officer, hours=24)
    not_yet = make_duty(owner_user=officer, hours=48)
    at_due = duty.due_at + timedelta(minutes=1)

    first = services.duties_sweep(now=at_due)
    duty.refresh_from_db()
    assert (first.to_supervisor, first.to_command) == (1, 0)
    assert duty.escalation_level == EscalationLevel.SUPERVISOR
    assert duty.escalated_to == supervisor
    assert services.duties_sweep(now=at_due).escalated == 0  # idempotent

    later = services.duties_sweep(now=duty.escalate_at + timedelta(minutes=1))
    duty.refresh_from_db()
    assert later.to_command == 1
    assert duty.escalation_level == EscalationLevel.COMMAND
    assert list(duty.events.filter(kind="escalated").values_list("detail__level", flat=True)) == [1, 2]
    not_yet.refresh_from_db()
    assert not_yet.escalation_level == EscalationLevel.NONE


def test_a_long_overdue_duty_goes_through_both_steps_in_one_sweep(team_with_supervisor) -> None:
    _team, _sgt, officer = team_with_supervisor
    duty = make_duty(owner_user=officer, hours=1)
    services.duties_sweep(now=duty.due_at + timedelta(days=3))
    duty.refresh_from_db()
    assert duty.escalation_level == EscalationLevel.COMMAND
    assert duty.events.filter(kind="escalated").count() == 2


def test_without_a_supervisor_it_goes_straight_to_command() -> None:
    lonely = make_user("pc2", "response_officer", team=TeamFactory())
    duty = make_duty(owner_user=lonely, hours=1)
    services.duties_sweep(now=duty.due_at + timedelta(minutes=5))
    duty.refresh_from_db()
    assert duty.escalation_level == EscalationLevel.COMMAND
    assert "no supervisor" in duty.events.get(kind="escalated").note


def test_sweep_command_with_at(team_with_supervisor, capsys: pytest.CaptureFixture[str]) -> None:
    _team, _sgt, officer = team_with_supervisor
    duty = make_duty(owner_user=officer, hours=2)
    call_command("duties_sweep", at=(duty.due_at + timedelta(hours=1)).isoformat())
    assert "1 escalation(s) (1 to supervisors, 0 to command)" in capsys.readouterr().out


def test_sweep_command_refuses_a_bad_time() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO 8601 time"):
        call_command("duties_sweep", at="next tuesday")


def test_reassign_keeps_the_clock(team_with_supervisor) -> None:
    team, supervisor, officer = team_with_supervisor
    other = make_user("pc3", "response_officer", team=team)
    duty = make_duty(owner_user=officer)
    due = duty.due_at
    with pytest.raises(PermissionRefused):
        services.duty_reassign(duty=duty, acting_user=officer, owner_user=other)
    services.duty_reassign(duty=duty, acting_user=supervisor, owner_user=other, note="Officer on leave")
    duty.refresh_from_db()
    assert (duty.owner_user, duty.due_at) == (other, due)
    assert duty.events.filter(kind="reassigned").exists()


def test_snapshot_counts_open_overdue_and_closed(team_with_supervisor) -> None:
    team, _sgt, officer = team_with_supervisor
    now = timezone.now()
    make_duty(owner_user=officer, owner_team=team, opened_ago=30, hours=10)  # overdue
    make_duty(owner_user=officer, owner_team=team, opened_ago=1, hours=48)  # open, in time
    done = make_duty(owner_user=officer, owner_team=team, opened_ago=2, hours=48)
    services.duty_discharge(duty=done, acting_user=officer, note="done")
    services.duties_snapshot(day=timezone.localdate(now))
    row = DutySnapshot.objects.get(kind="task", team=team)
    assert (row.open_count, row.overdue_count, row.closed_count) == (2, 1, 1)


def test_snapshot_counts_a_duty_no_team_owns_for_its_owners_team(team_with_supervisor) -> None:
    team, _sgt, officer = team_with_supervisor
    loner = make_user("loner", "investigator")
    make_duty(owner_user=officer, opened_ago=1, hours=48)
    make_duty(owner_user=loner, opened_ago=1, hours=48)
    services.duties_snapshot(day=timezone.localdate())
    assert DutySnapshot.objects.get(kind="task", team=team).open_count == 1
    assert DutySnapshot.objects.get(kind="task", team=None).open_count == 1


def test_events_are_kept_for_every_step(team_with_supervisor) -> None:
    _team, supervisor, officer = team_with_supervisor
    duty = make_duty(owner_user=officer, hours=1, opened_ago=2)
    services.duties_sweep()
    services.duty_cancel(
        duty=duty, acting_user=supervisor, reason="Incident was a duplicate; see the other one"
    )
    assert list(DutyEvent.objects.filter(duty=duty).values_list("kind", flat=True)) == [
        "opened",
        "escalated",
        "cancelled",
    ]
