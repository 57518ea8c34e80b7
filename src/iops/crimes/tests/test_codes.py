"""The crime code lists: classification, publication to police.uk, outcomes and special codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from iops.crimes import codes
from iops.crimes.codes import (
    RecordingCodeKind,
    UnknownOffenceCode,
    UnknownOutcomeType,
    load_offences,
    load_outcome_types,
    load_police_uk_categories,
)
from iops.incidents.codes import CodeListError, UnknownCode
from iops.platform.errors import ValidationFailed

# The 14 categories of data.police.uk, by API slug and name.
POLICE_UK_CATEGORIES = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "other-crime": "Other crime",
}


@pytest.fixture(autouse=True)
def _fresh_lists() -> Iterator[None]:
    codes.reload()
    yield
    codes.reload()


def test_the_police_uk_categories_are_exactly_the_fourteen() -> None:
    assert dict(codes.police_uk_categories().choices()) == POLICE_UK_CATEGORIES


def test_every_offence_maps_to_one_of_the_fourteen_categories() -> None:
    fourteen = list(codes.police_uk_categories())

    for offence in codes.offences():
        assert offence.police_uk_category in fourteen, offence.code
        assert codes.police_uk_category(offence.code) == offence.police_uk_category


def test_every_crime_category_has_offences_and_anti_social_behaviour_has_none() -> None:
    used = {offence.police_uk_category.slug for offence in codes.offences()}

    assert used == set(POLICE_UK_CATEGORIES) - {"anti-social-behaviour"}


def test_offence_codes_are_unique() -> None:
    listed = codes.offences().codes()

    assert len(set(listed)) == len(listed) > 100


@pytest.mark.parametrize(
    ("code", "description", "category"),
    [
        ("1", "Murder", "violent-crime"),
        ("4.1", "Manslaughter", "violent-crime"),
        ("8N", "Assault with injury", "violent-crime"),
        ("105A", "Assault without injury", "violent-crime"),
        ("8Q", "Stalking", "violent-crime"),
        ("8R", "Malicious communications", "violent-crime"),
        ("19C", "Rape of a female aged 16 and over", "violent-crime"),
        ("34B", "Robbery of personal property", "robbery"),
        ("28E", "Burglary - residential", "burglary"),
        ("30C", "Burglary - business and community", "burglary"),
        ("48", "Theft or unauthorised taking of a motor vehicle", "vehicle-crime"),
        ("45", "Theft from a vehicle", "vehicle-crime"),
        ("39", "Theft from the person", "theft-from-the-person"),
        ("44", "Theft or unauthorised taking of a pedal cycle", "bicycle-theft"),
        ("46", "Shoplifting", "shoplifting"),
        ("49", "Other theft", "other-theft"),
        ("56B", "Arson not endangering life", "criminal-damage-arson"),
        ("58A", "Criminal damage to a dwelling", "criminal-damage-arson"),
        ("92A", "Trafficking in controlled drugs", "drugs"),
        ("92D", "Possession of controlled drugs (excluding cannabis)", "drugs"),
        ("10D", "Possession of article with blade or point", "possession-of-weapons"),
        ("9A", "Public fear, alarm or distress", "public-order"),
        ("802", "Dangerous driving", "other-crime"),
        ("83", "Bail offences", "other-crime"),
    ],
)
def test_common_offences_are_classified_and_published_under_the_right_category(
    code: str, description: str, category: str
) -> None:
    offence = codes.offence(code)

    assert offence.description == description
    assert offence.police_uk_category.slug == category


def test_an_offence_code_is_found_whatever_its_case_and_spacing() -> None:
    assert codes.offence(" 8n ") == codes.offence("8N")


@pytest.mark.parametrize("code", ["8Z", "", "4/1", "008/01", "murder"])
def test_an_unknown_offence_code_is_refused_clearly(code: str) -> None:
    with pytest.raises(UnknownOffenceCode) as raised:
        codes.offence(code)

    error = raised.value
    assert isinstance(error, KeyError) and isinstance(error, ValidationFailed)
    assert str(error) == f"{code!r} is not a known Home Office offence code"
    assert error.as_dict()["field"] == "offence_code"
    assert error.as_dict()["code"] == "unknown_offence_code"


def test_the_police_uk_category_of_an_unknown_offence_is_refused_too() -> None:
    with pytest.raises(UnknownOffenceCode):
        codes.police_uk_category("8Z")


def test_every_outcome_type_maps_to_a_police_uk_outcome() -> None:
    published = list(codes.police_uk_outcomes())
    types = list(codes.outcome_types())

    assert [outcome.number for outcome in types] == [*range(1, 19), 20, 21, 22]
    assert all(outcome.police_uk_outcome in published for outcome in types)


@pytest.mark.parametrize(
    ("number", "police_uk"),
    [
        (1, "Suspect charged"),
        (3, "Offender given a caution"),
        (4, "Suspect charged as part of another case"),
        (6, "Offender given a penalty notice"),
        (8, "Local resolution"),
        (15, "Unable to prosecute suspect"),
        (16, "Unable to prosecute suspect"),
        (18, "Investigation complete; no suspect identified"),
        (20, "Action to be taken by another organisation"),
        (21, "Further investigation is not in the public interest"),
    ],
)
def test_outcome_types_show_as_the_expected_police_uk_outcome(number: int, police_uk: str) -> None:
    assert codes.outcome_type(number).police_uk_outcome.name == police_uk


@pytest.mark.parametrize("number", [0, 19, 23, -1, True, "18", 18.0])
def test_an_unknown_outcome_type_is_refused_clearly(number: object) -> None:
    with pytest.raises(UnknownOutcomeType) as raised:
        codes.outcome_type(number)  # type: ignore[arg-type]

    assert isinstance(raised.value, UnknownCode) and isinstance(raised.value, KeyError)
    assert raised.value.as_dict()["field"] == "outcome_type"


def test_n100_is_a_classification_and_the_cancellation_grounds_are_listed() -> None:
    n100 = codes.recording_code("n100")

    assert n100.kind is RecordingCodeKind.CLASSIFICATION
    assert "rape" in n100.name.lower()
    cancellations = [
        code.code for code in codes.recording_codes() if code.kind is RecordingCodeKind.CANCELLATION
    ]
    assert cancellations == ["C1", "C2", "C3", "C4"]


@pytest.mark.parametrize(
    "loader",
    [
        codes.police_uk_categories,
        codes.offences,
        codes.police_uk_outcomes,
        codes.outcome_types,
        codes.recording_codes,
    ],
    ids=lambda loader: loader.__name__,
)
def test_every_list_names_its_source(loader: object) -> None:
    assert "Source:" in loader().source  # type: ignore[operator]


SOURCE = "# Source: a test list\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("8N,Assault,Violence,violence\n", "line 3: police_uk 'violence' is not a police.uk crime category"),
        (
            "8N,Assault,Violence,violent-crime\n8n,Again,Violence,violent-crime\n",
            "line 4: code '8N' appears more than once",
        ),
        ("8NN,Assault,Violence,violent-crime\n", "line 3: code '8NN' is not a Home Office offence code"),
        ("8N,Assault,,violent-crime\n", "line 3: group is empty"),
        ("8N,Assault,Violence,\n", "line 3: police_uk is empty"),
    ],
)
def test_an_offence_file_that_breaks_a_rule_is_refused_naming_the_line(
    tmp_path: Path, rows: str, problem: str
) -> None:
    path = write(tmp_path, "offences.csv", SOURCE + "code,description,group,police_uk\n" + rows)

    with pytest.raises(CodeListError, match=re.escape(problem)):
        load_offences(path, codes.police_uk_categories())


def test_an_outcome_file_must_map_to_published_outcomes(tmp_path: Path) -> None:
    path = write(tmp_path, "outcome_types.csv", SOURCE + "number,name,police_uk\n1,Charge,convicted\n")

    with pytest.raises(
        CodeListError, match=re.escape("line 3: police_uk 'convicted' is not a police.uk outcome")
    ):
        load_outcome_types(path, codes.police_uk_outcomes())


def test_a_category_slug_must_look_like_a_police_uk_slug(tmp_path: Path) -> None:
    path = write(tmp_path, "police_uk_categories.csv", SOURCE + "slug,name\nViolent Crime,Violence\n")

    with pytest.raises(CodeListError, match="must be lower-case words joined by hyphens"):
        load_police_uk_categories(path)


def test_a_force_can_add_detailed_offence_codes_in_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "offences.csv",
        SOURCE
        + "code,description,group,police_uk\n"
        + "8N,Assault with injury,Violence with injury,violent-crime\n"
        + "008/10,Assault occasioning actual bodily harm,Violence with injury,violent-crime\n",
    )
    monkeypatch.setenv("IOPS_CODE_LISTS_DIR", str(tmp_path))
    codes.reload()

    assert codes.police_uk_category("008/10").name == "Violence and sexual offences"
    assert len(codes.offences()) == 2
    # The force replaced only the offences; the outcome types still come from iOPS.
    assert codes.outcome_type(1).name == "Charge or summons"
