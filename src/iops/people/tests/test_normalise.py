"""Normalised forms: the text rules every key and comparison starts from (no database needed)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from iops.people.matching.normalise import (
    NameForm,
    deletions,
    family_tokens,
    fold,
    parse_query_name,
    trigram_similarity,
)

letters = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=14)


@given(st.text(max_size=40))
def test_fold_gives_lower_case_ascii_words_and_is_idempotent(text: str) -> None:
    folded = fold(text)
    assert all(char in string.ascii_lowercase + " " for char in folded)
    assert "  " not in folded and folded == folded.strip()
    assert fold(folded) == folded


@given(st.text(alphabet=string.ascii_letters + " -'", max_size=30))
def test_case_hyphens_and_apostrophes_do_not_change_the_words(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower())
    assert fold(text.replace("-", " ")).split() == fold(text).split()


def test_accents_and_other_scripts_fold_to_latin() -> None:
    assert fold("Zoë Łukasz Wiśniewski") == "zoe lukasz wisniewski"
    assert fold("Siobhán Ó Súilleabháin") == "siobhan o suilleabhain"
    assert fold("Дмитрий") == "dmitriy"
    assert fold("Ξενοφών") == "xenofon"
    assert fold("محمد") == "mhmd"
    assert fold("Müller") == fold("Muller")


def test_irish_and_scottish_prefixes_meet() -> None:
    assert family_tokens("O'Brien") == family_tokens("O Brien") == family_tokens("OBrien") == ("obrien",)
    assert (
        family_tokens("McDonald")
        == family_tokens("MacDonald")
        == family_tokens("Mc Donald")
        == ("macdonald",)
    )
    assert family_tokens("Ó Súilleabháin") == ("osuilleabhain",)


def test_double_barrelled_names_keep_parts_and_the_whole() -> None:
    form = NameForm.from_parts("Mary", "Smith-Jones")
    assert form.family_forms() == ("smithjones", "smith", "jones")
    assert NameForm.from_parts("Ahmed", "al-Hassan").family_forms() == ("alhassan", "hassan")


@given(letters, letters)
def test_name_forms_round_trip_through_the_index_encoding(given_name: str, family: str) -> None:
    form = NameForm.from_parts(given_name, family)
    assert NameForm.decode(form.encode()) == form


def test_query_names_are_read_as_people_type_them() -> None:
    assert parse_query_name("William Smith").form == NameForm(("william",), ("smith",))
    assert parse_query_name("Smith, William Henry").form == NameForm(("william", "henry"), ("smith",))
    assert parse_query_name("SMITH William").form == NameForm(("william",), ("smith",))
    assert parse_query_name("Sean O Brien").form == NameForm(("sean",), ("obrien",))
    assert parse_query_name("Ahmed al Hassan").form == NameForm(("ahmed",), ("al", "hassan"))
    single = parse_query_name("Smith")
    assert single.single and single.form.family == ("smith",)


def test_a_stray_space_is_also_read_joined() -> None:
    readings = {reading.form for reading in parse_query_name("Lucy Cla rke").readings()}
    assert NameForm(("lucy",), ("clarke",)) in readings


def _one_slip(word: str, data: st.DataObject) -> str:
    index = data.draw(st.integers(0, len(word) - 1))
    kind = data.draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
    letter = data.draw(st.sampled_from(string.ascii_lowercase))
    if kind == "delete" and len(word) > 1:
        return word[:index] + word[index + 1 :]
    if kind == "insert":
        return word[:index] + letter + word[index:]
    if kind == "swap" and index + 1 < len(word):
        return word[:index] + word[index + 1] + word[index] + word[index + 2 :]
    return word[:index] + letter + word[index + 1 :]


@given(letters, st.data())
def test_words_one_slip_apart_share_a_deletion_key(word: str, data: st.DataObject) -> None:
    # The property the df/dg search keys rely on to find a missing, extra, changed or swapped letter.
    other = _one_slip(word, data)
    assert (deletions(word) | {word}) & (deletions(other) | {other})


@given(
    st.text(alphabet=string.ascii_lowercase + " ", max_size=20),
    st.text(alphabet=string.ascii_lowercase + " ", max_size=20),
)
def test_trigram_similarity_is_symmetric_and_bounded(first: str, second: str) -> None:
    assert trigram_similarity(first, second) == trigram_similarity(second, first)
    assert 0.0 <= trigram_similarity(first, second) <= 1.0
    if first.strip():
        assert trigram_similarity(first, first) == 1.0
