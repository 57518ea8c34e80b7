"""Folding addresses for search: whatever the case, punctuation or street-word form a call handler
types, the words compared are the same as the stored ones."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iops.geo.addressing import (
    fold,
    full_address,
    is_postcode_prefix,
    normalise_postcode,
    postcode_key,
    query_terms,
    search_text,
    search_words,
    word_needles,
)

# Latin letters (with accents), digits, punctuation and spaces: what British addresses are written in.
words = st.text(alphabet=st.characters(max_codepoint=0x024F, categories=["L", "Nd", "P", "Zs"]), max_size=40)


@given(words)
def test_folding_is_idempotent_and_ignores_case(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold(text.upper()) == fold(text.lower()) == fold(text)


@given(words)
def test_folded_text_is_plain_lower_case_words(text: str) -> None:
    folded = fold(text)
    assert all(part.isascii() and part.isalnum() and part == part.lower() for part in folded.split())
    assert "  " not in folded


@given(st.sampled_from(["-", ".", ",", "/", "  ", ". ", " - "]))
def test_punctuation_does_not_change_the_words(mark: str) -> None:
    assert search_words(f"St{mark}Mary's{mark}Road") == search_words("st marys road")


def test_accents_are_folded() -> None:
    assert fold("Café Crème, Chênée") == "cafe creme chenee"
    assert fold("Straße Łódź Ørsted") == "strasse lodz orsted"


def test_street_words_fold_to_one_form() -> None:
    assert search_words("12 High Street") == search_words("12 high st.") == ["12", "high", "st"]
    assert search_words("Station Road") == search_words("Station Rd") == ["station", "rd"]


def test_flat_words_are_dropped_and_house_letters_split() -> None:
    assert search_words("Flat 3, 12 High Street") == search_words("3 12 High St") == ["3", "12", "high", "st"]
    assert search_words("Apartment 2, 12A Mill Lane") == ["2", "12", "a", "mill", "ln"]


def test_stored_text_holds_the_postcode_with_and_without_its_space() -> None:
    text = search_text(sub_building="Flat 3", building_number="12", street="High Street", postcode="dm12ab")
    assert text == " 3 12 high st dm1 2ab dm12ab "


def test_full_address_leaves_out_empty_parts() -> None:
    assert (
        full_address(
            sub_building="Flat 3",
            building_number="12",
            street="High Street",
            town="Fallowmere",
            postcode="DM1 2AB",
        )
        == "Flat 3, 12 High Street, Fallowmere, DM1 2AB"
    )
    assert full_address(building_name="Mill Farm", street="Larkenwick Lane") == "Mill Farm, Larkenwick Lane"


def test_postcodes_are_recognised_with_or_without_the_space() -> None:
    assert normalise_postcode("dm12ab") == normalise_postcode(" DM1 2AB ") == "DM1 2AB"
    assert normalise_postcode("SW1A1AA") == "SW1A 1AA"
    assert normalise_postcode("12 High St") is None
    assert postcode_key("dm1 2ab") == "DM12AB"
    assert is_postcode_prefix("DM1") and is_postcode_prefix("dm1 2") and is_postcode_prefix("DM12A")
    assert (
        not is_postcode_prefix("12 high")
        and not is_postcode_prefix("high")
        and not is_postcode_prefix("DM1 2AB x")
    )


def test_numbers_typed_before_the_last_word_are_whole_words() -> None:
    assert word_needles(query_terms("12 high")) == [[" 12 "], [" high"]]
    # The last word is still being typed: "12" could become "120", "stre" could become "street".
    assert word_needles(query_terms("high 12")) == [[" high"], [" 12"]]
    assert word_needles(query_terms("high stre"))[1] == [" st ", " stre"]
