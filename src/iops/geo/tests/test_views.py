"""The address look-up page and the type-ahead fragment other screens include."""

from __future__ import annotations

import pytest
from django.test import Client

from iops.accounts.choices import Role
from iops.accounts.tests.factories import UserFactory
from iops.geo.models import Address

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client) -> Client:
    client.force_login(UserFactory(roles=[Role.CALL_HANDLER]))
    return client


def test_the_fragment_lists_matches_with_uprn_and_position(signed_in: Client, gazetteer: None) -> None:
    response = signed_in.get("/geo/addresses/matches/", {"q": "12 high st"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, for htmx to swap in
    assert "FLAT 3, 12 HIGH STREET, WESTMERE, DM1 2AB" in html
    assert 'data-uprn="900000000002"' in html
    assert "UPRN 900000000001 · 52.61000, -0.89000" in html
    assert "Westmere south" in html  # the beat
    assert "2 addresses found for “12 high st”" in html


def test_the_fragment_says_when_nothing_matches_or_too_little_is_typed(
    signed_in: Client, gazetteer: None
) -> None:
    assert "No address matches" in signed_in.get("/geo/addresses/matches/", {"q": "zzqx"}).content.decode()
    assert "at least two letters" in signed_in.get("/geo/addresses/matches/", {"q": "1"}).content.decode()


def test_the_page_works_without_javascript(signed_in: Client, gazetteer: None) -> None:
    response = signed_in.get("/geo/addresses/", {"q": "dm2 5hy"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Find an address" in html and "MILL FARM, FEN LANE" in html
    assert 'hx-get="/geo/addresses/matches/"' in html


def test_an_address_page_shows_its_areas(signed_in: Client, gazetteer: None) -> None:
    address = Address.objects.get(uprn=900000000005)
    html = signed_in.get(f"/geo/addresses/{address.pk}/").content.decode()
    assert "MILL FARM, FEN LANE, UPPER SALLOWBY, EASTHOLT, DM2 5HY" in html
    assert "Eastholt north (EN1B), rural" in html
    missing = signed_in.get("/geo/addresses/987654321/")
    assert missing.status_code == 404 and "Address not found" in missing.content.decode()


def test_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/geo/addresses/matches/", {"q": "high"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
