"""Dates of birth in a search: what may be asked, and how close a recorded date is."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iops.people.matching.dates import (
    DateOfBirthError,
    compare,
    parse_date_of_birth_query,
    swap_day_month,
)

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@given(dates)
def test_iso_and_uk_forms_parse_to_the_same_date(value: date) -> None:
    iso = parse_date_of_birth_query(value.isoformat())
    uk = parse_date_of_birth_query(f"{value:%d/%m/%Y}")
    assert iso is not None and uk is not None
    assert iso.exact == uk.exact == value


@given(dates)
def test_a_recorded_date_with_day_and_month_swapped_is_found_and_said(value: date) -> None:
    swapped = swap_day_month(value)
    query = parse_date_of_birth_query(value.isoformat())
    assert query is not None
    if swapped is None:
        return
    closeness = compare(query, swapped)
    assert closeness.reason == "date of birth day/month swapped"
    assert 0 < closeness.score < compare(query, value).score == 1.0


def test_years_and_ranges() -> None:
    year = parse_date_of_birth_query("1980")
    assert year is not None and not year.is_exact
    assert compare(year, date(1980, 7, 1)).reason == "born in 1980"
    assert compare(year, date(1990, 7, 1)).score == 0
    span = parse_date_of_birth_query("1980-01-01..1985-12-31")
    assert span is not None and compare(span, date(1983, 3, 3)).score == 1.0


def test_one_digit_slips_score_below_exact() -> None:
    query = parse_date_of_birth_query("1980-02-17")
    assert query is not None
    assert compare(query, date(1980, 2, 18)).reason == "date of birth differs by one digit"
    assert compare(query, date(1980, 2, 71 - 60)).score < 1.0


@pytest.mark.parametrize(
    "text", ["1980-13-01", "1980-02-30", "31/31/1980", "yesterday", "80-1-1", "1980..1970"]
)
def test_malformed_dates_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(DateOfBirthError) as error:
        parse_date_of_birth_query(text)
    assert str(error.value)
