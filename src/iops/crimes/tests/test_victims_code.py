"""The Victims' Code duties a crime with a victim opens, and the working days their clocks count."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from iops.crimes import services, workdays
from iops.crimes.models import VictimContact
from iops.crimes.tests.factories import crime_incident, person
from iops.duties.choices import DutyStatus
from iops.duties.models import Duty
from iops.incidents.codes import CodeListError
from iops.platform.errors import Conflict, ValidationFailed

LONDON = ZoneInfo("Europe/London")
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31))


# --- working days --------------------------------------------------------------------------------


@given(start=days, count=st.integers(min_value=0, max_value=30))
def test_adding_working_days_lands_on_a_working_day_with_exactly_that_many_in_between(start, count) -> None:
    result = workdays.add_working_days(start, count)

    assert workdays.working_days_between(start, result) == count
    if count:
        assert workdays.is_working_day(result)
        # Nothing earlier would do: the day before has one working day fewer.
        assert workdays.working_days_between(start, result - timedelta(days=1)) == count - 1


@given(start=days, first=st.integers(0, 15), second=st.integers(0, 15))
def test_working_days_add_up(start, first, second) -> None:
    middle = workdays.add_working_days(start, first)
    assert workdays.add_working_days(middle, second) == workdays.add_working_days(start, first + second)


@given(start=days, count=st.integers(1, 10))
def test_two_working_days_never_fall_on_a_weekend_or_bank_holiday(start, count) -> None:
    result = workdays.add_working_days(start, count)
    assert result.weekday() < 5
    assert result not in workdays.holidays(result.year)
    assert (result - start).days >= count


@given(year=st.integers(1900, 2200))
def test_the_standing_rules_give_eight_weekday_holidays(year) -> None:
    holidays = workdays.standing_holidays(year)
    assert len(holidays) == 8
    assert all(day.weekday() < 5 and day.year == year for day in holidays)


def test_the_list_agrees_with_the_standing_rules_but_for_the_one_off_days() -> None:
    one_offs = {
        2020: {date(2020, 5, 8)},  # VE day, in place of 4 May
        2022: {date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)},  # Jubilee; state funeral
        2023: {date(2023, 5, 8)},  # coronation
    }
    moved = {2020: {date(2020, 5, 4)}, 2022: {date(2022, 5, 30)}}
    for year in workdays.listed_years():
        listed, standing = workdays.holidays(year), workdays.standing_holidays(year)
        assert listed - standing == one_offs.get(year, set()), year
        assert standing - listed == moved.get(year, set()), year
    assert min(workdays.listed_years()) <= 2019 and max(workdays.listed_years()) >= 2027


@pytest.mark.parametrize(
    ("reported", "deadline"),
    [
        # Monday morning: 2 working days runs to the end of Wednesday.
        (datetime(2026, 11, 16, 9, 0, tzinfo=LONDON), date(2026, 11, 18)),
        # Friday evening: the weekend does not count.
        (datetime(2026, 11, 20, 23, 30, tzinfo=LONDON), date(2026, 11, 24)),
        # Christmas Eve 2026: 25 Dec and the Boxing Day substitute (28th) do not count.
        (datetime(2026, 12, 24, 10, 0, tzinfo=LONDON), date(2026, 12, 30)),
        # Maundy Thursday 2027: Good Friday and Easter Monday do not count.
        (datetime(2027, 3, 25, 16, 0, tzinfo=LONDON), date(2027, 3, 31)),
    ],
)
def test_the_referral_deadline_is_the_end_of_the_second_working_day(reported, deadline) -> None:
    due = workdays.working_days_deadline(reported, 2)
    assert timezone.localtime(due) == datetime.combine(deadline, time(23, 59, 59), LONDON)


def test_a_holiday_list_on_a_weekend_or_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank_holidays_england_wales.csv"
    path.write_text("# Source: test\ndate,title\n2026-11-21,Saturday\n", encoding="utf-8")
    with pytest.raises(CodeListError, match="line 3: 2026-11-21 is a Saturday"):
        workdays.load_holidays(path)
    path.write_text("# Source: test\ndate,title\n2026-12-25,Xmas\n2026-12-25,Again\n", encoding="utf-8")
    with pytest.raises(CodeListError, match="appears more than once"):
        workdays.load_holidays(path)


# --- the duties ------------------------------------------------------------------------------------


def victim_duties(crime: Any) -> dict[str, Duty]:
    return {
        duty.kind: duty for duty in Duty.objects.filter(subject_id=str(crime.pk), kind__startswith="victim_")
    }


@pytest.mark.django_db
def test_a_crime_with_a_victim_opens_the_victims_code_duties(handler, investigator) -> None:
    reported = datetime(2026, 11, 20, 18, 0, tzinfo=LONDON)  # a Friday evening
    incident = crime_incident(handler, opened_at=reported, qualifiers=("DOMESTIC",))
    crime = services.crime_record(
        acting_user=None,
        offence_code="8N",
        incidents=[incident],
        committed_from=reported - timedelta(hours=1),
        victims=[person()],
        allocated_officer=investigator,
        at=reported + timedelta(hours=3),
    )

    duties = victim_duties(crime)
    assert set(duties) == {
        "victim_written_confirmation",
        "victim_needs_assessment",
        "victim_services_referral",
        "victim_update",
    }
    local = {kind: timezone.localtime(duty.due_at) for kind, duty in duties.items()}
    # 2 working days from Friday evening: the end of Tuesday; 5 from Friday night's recording: Friday.
    assert local["victim_services_referral"] == datetime(2026, 11, 24, 23, 59, 59, tzinfo=LONDON)
    assert local["victim_written_confirmation"] == datetime(2026, 11, 27, 23, 59, 59, tzinfo=LONDON)
    assert duties["victim_update"].due_at == crime.recorded_at + timedelta(days=28)
    assert all(duty.owner_user == investigator for duty in duties.values())
    assert all("domestic_abuse" in duty.tags and duty.risk == "high" for duty in duties.values())


@pytest.mark.django_db
def test_a_crime_without_a_victim_opens_none_until_one_is_added(handler, investigator) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="92D",
        incidents=[crime_incident(handler)],
        committed_from=timezone.now(),
    )
    assert victim_duties(crime) == {}
    services.crime_party_add(acting_user=investigator, crime=crime, nominal=person(), role="victim")
    assert len(victim_duties(crime)) == 4


@pytest.mark.django_db
def test_a_late_recording_opens_the_referral_already_overdue(handler, investigator) -> None:
    reported = timezone.now() - timedelta(days=8)
    incident = crime_incident(handler, opened_at=reported)
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="28E",
        incidents=[incident],
        committed_from=reported,
        victims=[person()],
    )
    referral = victim_duties(crime)["victim_services_referral"]
    assert referral.is_overdue()
    assert referral.due_at == referral.opened_at


@pytest.mark.django_db
def test_the_referral_records_consent_and_updates_repeat_until_the_crime_is_finalised(
    handler, investigator
) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="28E",
        incidents=[crime_incident(handler)],
        committed_from=timezone.now() - timedelta(hours=2),
        victims=[person()],
        victim_update_interval_days=14,
    )
    with pytest.raises(ValidationFailed) as error:
        services.victim_contact_record(
            acting_user=investigator, crime=crime, obligation="victim_services_referral", note="Phoned"
        )
    assert error.value.field == "consent"
    services.victim_contact_record(
        acting_user=investigator,
        crime=crime,
        obligation="victim_services_referral",
        note="Details sent to the victim service",
        consent="given",
    )
    assert victim_duties(crime)["victim_services_referral"].status == DutyStatus.DISCHARGED
    with pytest.raises(Conflict):
        services.victim_contact_record(
            acting_user=investigator,
            crime=crime,
            obligation="victim_services_referral",
            note="Again",
            consent="given",
        )

    services.victim_contact_record(
        acting_user=investigator, crime=crime, obligation="victim_update", note="Told of CCTV enquiries"
    )
    updates = Duty.objects.filter(subject_id=str(crime.pk), kind="victim_update").order_by("opened_at")
    assert [duty.status for duty in updates] == [DutyStatus.DISCHARGED, DutyStatus.OPEN]
    assert updates[1].due_at == updates[1].opened_at + timedelta(days=14)

    services.crime_outcome_set(acting_user=investigator, crime=crime, outcome_type=18)
    services.victim_contact_record(
        acting_user=investigator,
        crime=crime,
        obligation="victim_update",
        note="Told the investigation is complete",
    )
    assert not Duty.objects.filter(
        subject_id=str(crime.pk), kind="victim_update", status=DutyStatus.OPEN
    ).exists()
    assert VictimContact.objects.filter(crime=crime).count() == 3


@settings(max_examples=25, deadline=None)
@given(hour=st.integers(0, 23), day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
def test_the_referral_is_never_due_sooner_than_two_working_days_after_the_report_day(hour, day) -> None:
    reported = datetime.combine(day, datetime.min.time(), LONDON).replace(hour=hour)
    due = timezone.localtime(workdays.working_days_deadline(reported, 2))
    last_day = due.date()
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    assert workdays.working_days_between(day, last_day) == 2
    assert workdays.is_working_day(last_day)
