"""The incident code lists: what a call handler picks from, and what a force may replace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iops.incidents import codes
from iops.incidents.codes import (
    CodeListError,
    CrimeDecision,
    IncidentGroup,
    UnknownCode,
    load_closing_results,
    load_grades,
    load_opening_categories,
    load_qualifiers,
    load_thrive,
)
from iops.platform.errors import ValidationFailed

ALL_LISTS = [
    codes.opening_categories,
    codes.qualifiers,
    codes.closing_results,
    codes.thrive_parts,
    codes.grades,
]


@pytest.fixture(autouse=True)
def _fresh_lists() -> Iterator[None]:
    codes.reload()
    yield
    codes.reload()


@pytest.mark.parametrize("code_list", ALL_LISTS, ids=lambda loader: loader.__name__)
def test_every_list_names_its_source_and_has_unique_codes(code_list: codes.CodeList[object]) -> None:
    listing = code_list()  # type: ignore[operator]

    assert "Source:" in listing.source
    assert len(listing) > 0
    assert len(set(listing.codes())) == len(listing.codes())


def test_every_category_has_a_group_and_every_group_has_categories() -> None:
    categories = list(codes.opening_categories())

    assert all(isinstance(category.group, IncidentGroup) for category in categories)
    assert {category.group for category in categories} == set(IncidentGroup)


def test_crime_categories_and_only_they_open_the_crime_recording_duty() -> None:
    categories = list(codes.opening_categories())
    crime = [category for category in categories if category.group is IncidentGroup.CRIME]
    other = [category for category in categories if category.group is not IncidentGroup.CRIME]

    assert len(crime) >= 10
    assert all(category.crime_related for category in crime)
    assert not any(category.crime_related for category in other)


def test_the_three_nsir_anti_social_behaviour_categories_are_there() -> None:
    asb = [
        category.name
        for category in codes.opening_categories()
        if category.group is IncidentGroup.ANTI_SOCIAL_BEHAVIOUR
    ]

    assert asb == ["ASB - Personal", "ASB - Nuisance", "ASB - Environmental"]


def test_a_category_is_found_by_its_code() -> None:
    category = codes.opening_category("CR-VIOL")

    assert category.name == "Crime - violence against the person"
    assert category.group is IncidentGroup.CRIME
    assert category.crime_related
    assert codes.opening_category("  CR-VIOL ") == category


@pytest.mark.parametrize(
    ("lookup", "code", "message", "field"),
    [
        (codes.opening_category, "CR-NOPE", "'CR-NOPE' is not a known incident category", "opening_code"),
        (codes.qualifier, "", "'' is not a known incident qualifier", "qualifier"),
        (
            codes.closing_result,
            "cr-recorded",
            "'cr-recorded' is not a known closing result",
            "closing_result",
        ),
        (codes.thrive_part, "X", "'X' is not a known THRIVE part", "thrive"),
        (codes.grade, "immediate", "'immediate' is not a known grade", "grade"),
    ],
)
def test_an_unknown_code_is_refused_with_a_clear_domain_error(
    lookup: object, code: str, message: str, field: str
) -> None:
    with pytest.raises(UnknownCode) as raised:
        lookup(code)  # type: ignore[operator]

    error = raised.value
    assert isinstance(error, KeyError) and isinstance(error, ValidationFailed)
    assert str(error) == message
    assert error.as_dict() == {"code": "unknown_code", "message": message, "field": field}


def test_a_code_that_is_not_text_is_refused_not_crashed_on() -> None:
    with pytest.raises(UnknownCode):
        codes.opening_category(None)  # type: ignore[arg-type]


def test_choices_pair_codes_with_names_in_file_order() -> None:
    choices = codes.grades().choices()

    assert choices == [
        ("emergency", "Emergency"),
        ("priority", "Priority"),
        ("scheduled", "Scheduled"),
        ("resolution_without_deployment", "Resolution without deployment"),
    ]
    assert "emergency" in codes.grades() and "immediate" not in codes.grades()


@pytest.mark.parametrize(
    "code",
    [
        "DOMESTIC",
        "CHILD",
        "MENTAL",
        "VULN-ADULT",
        "MISSING",
        "ALCOHOL",
        "DRUGS",
        "FIREARMS",
        "HATE-RACE",
        "HATE-RELIGION",
        "HATE-SEXUAL-ORIENTATION",
        "HATE-DISABILITY",
        "HATE-TRANSGENDER",
    ],
)
def test_the_qualifiers_the_duties_rely_on_exist(code: str) -> None:
    assert codes.qualifier(code).name


def test_closing_results_can_record_a_crime_or_a_reason_not_to() -> None:
    results = codes.closing_results()

    assert codes.closing_result("CRIME-RECORDED").crime_decision is CrimeDecision.RECORDED
    assert codes.closing_result("NO-CRIME-RATIONALE").crime_decision is CrimeDecision.NOT_RECORDED
    assert not codes.closing_result("ADVICE").decides_crime_recording
    assert {result.crime_decision for result in results} == set(CrimeDecision)


def test_thrive_is_the_six_parts_in_order_each_with_a_prompt() -> None:
    parts = list(codes.thrive_parts())

    assert [part.letter for part in parts] == ["T", "H", "R", "I", "V", "E"]
    assert [part.name for part in parts] == [
        "Threat",
        "Harm",
        "Risk",
        "Investigation",
        "Vulnerability",
        "Engagement",
    ]
    assert all(part.prompt.endswith("?") for part in parts)


def test_grades_carry_the_forces_attendance_targets() -> None:
    emergency, priority, scheduled, remote = codes.grades()

    assert emergency.attendance_target(rural=False) == timedelta(minutes=15)
    assert emergency.attendance_target(rural=True) == timedelta(minutes=20)
    assert priority.attendance_target(rural=False) == timedelta(minutes=60)
    assert scheduled.attendance_target(rural=False) is None and scheduled.deploys
    assert remote.attendance_target(rural=True) is None and not remote.deploys


SOURCE = "# Source: a test list\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CATEGORY_HEADER = "code,name,group,crime_related,basis,description\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "A,One,transport,no,,\nA,Two,transport,no,,\n",
            "line 4: code 'A' appears more than once",
        ),
        ("A,One,crime,no,,\n", "line 3: A is in the crime group, so crime_related must be 'yes'"),
        ("A,One,traffic,no,,\n", "line 3: group 'traffic' is not one of crime, anti_social_behaviour"),
        ("A,One,transport,maybe,,\n", "line 3: crime_related must be 'yes' or 'no', not 'maybe'"),
        ("A,One,transport,no,,Fell, hurt\n", "line 3: more cells than columns (an unquoted comma?)"),
        (",One,transport,no,,\n", "line 3: code is empty"),
        ("A,,transport,no,,\n", "line 3: name is empty"),
    ],
)
def test_a_category_file_that_breaks_a_rule_is_refused_naming_the_line(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = write(tmp_path, "opening_categories.csv", SOURCE + CATEGORY_HEADER + body)

    with pytest.raises(CodeListError, match=re.escape(problem)):
        load_opening_categories(path)


def test_a_file_without_a_source_line_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "qualifiers.csv", "# A list\ncode,name,description\nX,Ex,\n")

    with pytest.raises(CodeListError, match="must begin with a '# Source:' line"):
        load_qualifiers(path)


def test_a_file_missing_a_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "qualifiers.csv", SOURCE + "code,description\nX,\n")

    with pytest.raises(CodeListError, match=r"line 2: missing column\(s\) name"):
        load_qualifiers(path)


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CodeListError, match="cannot be read"):
        load_qualifiers(tmp_path / "absent.csv")


def test_closing_results_must_allow_both_crime_decisions(tmp_path: Path) -> None:
    path = write(
        tmp_path, "closing_results.csv", SOURCE + "code,name,crime_decision,description\nA,Advice,none,\n"
    )

    with pytest.raises(CodeListError, match="no result records a crime"):
        load_closing_results(path)


def test_thrive_must_have_all_six_parts(tmp_path: Path) -> None:
    rows = "".join(f"{n},{letter},{letter},Why?\n" for n, letter in enumerate("THRIV", start=1))
    path = write(tmp_path, "thrive.csv", SOURCE + "order,letter,name,prompt\n" + rows)

    with pytest.raises(CodeListError, match="THRIVE part\\(s\\) E missing"):
        load_thrive(path)


def test_a_grade_needs_both_targets_or_neither(tmp_path: Path) -> None:
    header = "order,code,name,deploys,urban_minutes,rural_minutes,target_note\n"
    path = write(tmp_path, "grades.csv", SOURCE + header + "1,emergency,Emergency,yes,15,,\n")

    with pytest.raises(CodeListError, match="line 3: give both urban_minutes and rural_minutes, or neither"):
        load_grades(path)


def test_a_force_replaces_a_list_by_putting_its_file_in_the_code_lists_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "order,code,name,deploys,urban_minutes,rural_minutes,target_note\n"
    write(tmp_path, "grades.csv", SOURCE + header + "1,emergency,Emergency,yes,10,25,Force policy 2025\n")
    monkeypatch.setenv(codes.CODE_LISTS_DIR_VARIABLE, str(tmp_path))
    codes.reload()

    assert codes.grade("emergency").attendance_target(rural=True) == timedelta(minutes=25)
    assert codes.grades().source == "Source: a test list"
    # A list the force did not replace still comes from iOPS.
    assert codes.opening_category("CR-VIOL").crime_related
