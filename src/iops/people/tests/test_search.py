"""The search finds a person under the spellings people actually use, and says why it matched.

Each test records the person as a force would, with others who share parts of the name, then
searches as someone who heard the name differently would, through the selector the page and the
API use (permission, purpose, log).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iops.accounts.models import User
from iops.audit.models import AuditEntry
from iops.people.matching.normalise import NameForm, parse_query_name
from iops.people.matching.scoring import Candidate, SearchQuery, rank
from iops.people.models import Nominal
from iops.people.selectors import SearchResult, nominal_search
from iops.people.tests.factories import person

pytestmark = pytest.mark.django_db


def _search(user: User, name: str, date_of_birth: str = "", **criteria: Any) -> list[SearchResult]:
    return nominal_search(
        user=user, purpose="Test: checking the caller", name=name, date_of_birth=date_of_birth, **criteria
    ).results


def _top(results: list[SearchResult], nominal: Nominal, within: int = 1) -> SearchResult:
    ids = [result.nominal_id for result in results[:within]]
    assert nominal.pk in ids, f"{nominal.reference} not in the top {within}: {[r.names for r in results]}"
    return next(result for result in results if result.nominal_id == nominal.pk)


@pytest.fixture
def crowd(db: Any) -> None:
    """People who share family names and forenames with the ones the tests look for."""
    for given_name, family in [
        ("Robert", "Smith"),
        ("Wilma", "Smith"),
        ("Mohan", "Khan"),
        ("Sian", "Murphy"),
        ("Nina", "Murphy"),
        ("Wojciech", "Nowicki"),
        ("Mary", "Jones"),
        ("Mary", "Smith"),
        ("Philip", "Jenkins"),
        ("Anna", "Thompson"),
    ]:
        person(given_name, family, "1975-06-15")


def test_nickname_finds_the_full_name_and_the_reverse(handler: User, crowd: None) -> None:
    william = person("William", "Smith", "1980-03-14")
    found = _top(_search(handler, "Bill Smith"), william)
    assert "given name Bill: nickname or short form of William" in found.matched_on
    bill = person("Bill", "Cartwright", "1966-01-02")
    assert _top(_search(handler, "William Cartwright"), bill)


@pytest.mark.parametrize("recorded", ["Mohammed", "Muhammad", "Mohamed"])
@pytest.mark.parametrize("searched", ["Mohammed", "Muhammad", "Mohamed"])
def test_transliterations_of_one_name_meet(handler: User, crowd: None, recorded: str, searched: str) -> None:
    target = person(recorded, "Khan", "1990-07-01")
    found = _top(_search(handler, f"{searched} Khan"), target)
    if recorded != searched:
        assert any("spelling of Muhammad" in reason for reason in found.matched_on)


@pytest.mark.parametrize(
    ("recorded", "searched"), [("Siobhan", "Shevaun"), ("Niamh", "Neve"), ("Neve", "Niamh")]
)
def test_irish_spellings(handler: User, crowd: None, recorded: str, searched: str) -> None:
    target = person(recorded, "Murphy", "1988-11-23")
    found = _top(_search(handler, f"{searched} Murphy"), target)
    assert any("Irish spelling" in reason for reason in found.matched_on)


def test_polish_diminutive_in_its_english_spelling(handler: User, crowd: None) -> None:
    target = person("Wojciech", "Kowalski", "1979-04-30")
    found = _top(_search(handler, "Voytek Kowalski"), target)
    assert any("Polish diminutive of Wojciech" in reason for reason in found.matched_on)
    assert _top(_search(handler, "Wojciech Kowalsky"), target)


@pytest.mark.parametrize("searched", ["Jones-Smith", "Smith Jones", "Smithjones", "Jones"])
def test_double_barrelled_family_names_in_any_form(handler: User, crowd: None, searched: str) -> None:
    target = person("Mary", "Smith-Jones", "1970-10-10")
    assert _top(_search(handler, f"Mary {searched}"), target, within=3)


def test_given_and_family_names_swapped(handler: User, crowd: None) -> None:
    target = person("Thompson", "Anna", "1983-02-02")  # recorded the wrong way round
    found = _top(_search(handler, "Anna Thompson", "1983-02-02"), target)
    assert "given and family names swapped" in found.matched_on


@pytest.mark.parametrize(
    ("searched", "reason"),
    [
        ("Philip Jenkns", "one letter missing"),
        ("Phillip Jenkins", "letter doubled"),
        ("Philip Jenkinns", "letter doubled"),
        ("Philip Jeknins", "two letters transposed"),
    ],
)
def test_a_missing_or_doubled_letter(handler: User, crowd: None, searched: str, reason: str) -> None:
    target = person("Philip", "Jenkins", "1961-09-09")
    found = _top(_search(handler, searched, "1961-09-09"), target)
    assert any(reason in text for text in found.matched_on), found.matched_on


def test_date_of_birth_with_day_and_month_swapped(handler: User, crowd: None) -> None:
    target = person("Mary", "Smith", "1984-03-07")
    found = _top(_search(handler, "Mary Smith", "1984-07-03"), target)
    assert "date of birth day/month swapped" in found.matched_on


def test_an_alias_finds_the_person_and_says_so(handler: User, crowd: None) -> None:
    target = person("Jane", "Doe", "1990-01-01", aliases=(("alias", "Jade", "Delaney"),))
    found = _top(_search(handler, "Jade Delaney"), target)
    assert "matched on alias name" in found.matched_on


def test_identifier_and_date_alone(handler: User) -> None:
    from iops.people.services import IdentifierInput

    target = person("Carl", "Brook", "1971-05-05", identifiers=[IdentifierInput("pnc_id", "2001/0012345X")])
    found = _top(_search(handler, "", identifier="2001 0012345x"), target)
    assert "identifier matches" in found.matched_on
    assert _top(_search(handler, "", "1971-05-05"), target)


def test_every_search_is_logged_with_its_purpose_and_the_ids_shown(handler: User, crowd: None) -> None:
    target = person("Eve", "Holt", "1992-12-12")
    results = _search(handler, "Eve Holt")
    entry = AuditEntry.objects.filter(operation="people.search").latest("id")
    assert entry.actor_id == handler.pk
    assert entry.purpose == "Test: checking the caller"
    assert entry.detail["criteria"] == {"name": "Eve Holt"}
    assert entry.detail["ids"] == [result.nominal_id for result in results]
    assert target.pk in entry.detail["ids"]


# --- ranking properties --------------------------------------------------------------------------

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words, words, words, words)
def test_scores_are_between_0_and_1_and_an_exact_name_scores_1(
    db: Any, given_name: str, family: str, other_given: str, other_family: str
) -> None:
    query = SearchQuery(name=parse_query_name(f"{given_name} {family}"))
    exact = Candidate(1, [("birth", NameForm.from_parts(given_name, family))], [])
    other = Candidate(2, [("birth", NameForm.from_parts(other_given, other_family))], [])
    ranked = rank(query, [other, exact])
    assert all(0.0 <= item.score <= 1.0 for item in ranked)
    assert ranked[0].nominal_id == 1 or ranked[0].score == ranked[1].score
    assert next(item for item in ranked if item.nominal_id == 1).score == 1.0


def test_initials_both_ways(handler: User, crowd: None) -> None:
    recorded_by_initial = person("J", "Pemberton", "1977-07-07")
    full = person("Jacob", "Pemberton", "1981-01-01")
    person("Harry", "Pemberton", "1981-01-01")
    assert _top(_search(handler, "James Pemberton", "1977-07-07"), recorded_by_initial)
    results = _search(handler, "J Pemberton")
    assert {full.pk, recorded_by_initial.pk} <= {result.nominal_id for result in results[:2]}


def test_what_the_ranking_remembers_is_out_of_the_garbage_collectors_sight(
    handler: User, crowd: None
) -> None:
    """A web process remembers hundreds of thousands of comparisons between searches. If what it
    remembers were objects the garbage collector tracks, every full collection would walk them
    all, and searches caught behind it would wait hundreds of milliseconds (ADR 6)."""
    import gc
    from datetime import date

    from iops.people.matching import dates, normalise, scoring

    _search(handler, "Bill Smyth", "1980-02-01")  # warms every cache the ranking uses
    remembered = [
        scoring.compare_words("bill", "william"),
        scoring.compare_words("smyth", "smith"),
        scoring._given(("bill",), ("william",)),
        scoring._family(("smyth",), ("smith",)),
        normalise._decode("william|smith"),
        dates._compare(date(1980, 2, 1), None, None, date(1980, 1, 2)),
    ]
    # A tuple of tuples may need a second look: the collector lets go of it once its parts are let go.
    gc.collect()
    gc.collect()
    assert [gc.is_tracked(item) for item in remembered] == [False] * len(remembered)
