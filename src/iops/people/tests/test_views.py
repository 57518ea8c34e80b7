"""People pages as a browser without JavaScript sees them: search, the person page, create with the
duplicate check, edit, the risk fragments, and merging."""

from __future__ import annotations

import pytest

from iops.accounts.models import User
from iops.audit.models import AuditEntry
from iops.geo.tests.factories import AddressFactory
from iops.people import services
from iops.people.models import DuplicateCandidate, Nominal, NominalMerge
from iops.people.tests.conftest import client_for
from iops.people.tests.factories import person

pytestmark = pytest.mark.django_db


def test_search_page_shows_results_with_reasons_and_markers(handler: User) -> None:
    target = person("William", "Tate", "1982-04-04")
    services.marker_add(acting_user=None, nominal=target, kind="weapons", source="Stop search")
    page = client_for(handler).get("/people/", {"purpose": "Caller reports a fight", "name": "Bill Tate"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "William Tate" in html and "nickname or short form of William" in html and "Weapons" in html
    assert f"/people/{target.pk}/?purpose=Caller%20reports%20a%20fight" in html


def test_search_page_puts_errors_on_the_fields(handler: User) -> None:
    client = client_for(handler)
    missing = client.get("/people/", {"purpose": "", "name": "Smith"}).content.decode()
    assert "Give a purpose" in missing and 'href="#id_purpose"' in missing
    bad_date = client.get("/people/", {"purpose": "Test", "name": "Smith", "date_of_birth": "1980-02-31"})
    assert (
        "is not a real date" in bad_date.content.decode()
        and 'href="#id_date_of_birth"' in bad_date.content.decode()
    )


def test_person_page_asks_why_then_shows_markers_before_everything_else(handler: User) -> None:
    target = person("Rose", "Bell", "1970-07-07", aliases=(("maiden", "Rose", "Greene"),))
    services.marker_add(acting_user=None, nominal=target, kind="self_harm", source="Custody")
    client = client_for(handler)
    asked = client.get(f"/people/{target.pk}/")
    assert "Why are you viewing" in asked.content.decode()
    assert not AuditEntry.objects.filter(operation="people.view").exists()
    html = client.get(f"/people/{target.pk}/", {"purpose": "Welfare check"}).content.decode()
    order = [
        "Self-harm",
        ">Linked events</h2>",
        ">Addresses</h2>",
        ">Objects</h2>",
        ">Names</h2>",
        "Rose GREENE",
    ]
    places = [html.index(text) for text in order]
    assert places == sorted(places)


def test_restricted_person_page_says_whom_to_ask_and_offers_break_glass(handler: User) -> None:
    secret = person("Mia", "Frost", restricted=True, restriction_contact="DS Ahmed")
    response = client_for(handler).get(f"/people/{secret.pk}/", {"purpose": "Test"})
    assert response.status_code == 403
    assert "Ask DS Ahmed" in response.content.decode() and "Break the glass" in response.content.decode()


def test_create_shows_possible_duplicates_before_saving(investigator: User) -> None:
    existing = person("Margaret", "Webb", "1948-02-02")
    client = client_for(investigator)
    form = {"given_names": "Peggy", "family_name": "Webb", "date_of_birth": "02/02/1948", "gender": "female"}
    first = client.post("/people/new/", form)
    assert first.status_code == 200 and "may already be recorded" in first.content.decode()
    assert "Margaret Webb" in first.content.decode() and Nominal.objects.count() == 1
    created = client.post("/people/new/", {**form, "confirm_new": "on"})
    assert created.status_code == 302 and Nominal.objects.count() == 2
    assert DuplicateCandidate.objects.filter(first_id=existing.pk).exists()


def test_create_without_any_match_saves_at_once_with_an_address(investigator: User) -> None:
    address = AddressFactory(uprn=900000000777)
    response = client_for(investigator).post(
        "/people/new/",
        {"given_names": "Oisin", "family_name": "Keane", "gender": "male", "uprn": "900000000777"},
    )
    assert response.status_code == 302
    assert Nominal.objects.get().addresses.get().address == address


def test_edit_adds_a_marker_and_an_alias(investigator: User, handler: User) -> None:
    target = person("Glen", "Ward")
    client = client_for(investigator)
    client.post(
        f"/people/{target.pk}/edit/",
        {"action": "marker", "marker-kind": "drugs", "marker-source": "Intel 55"},
    )
    client.post(
        f"/people/{target.pk}/edit/",
        {"action": "name", "name-kind": "alias", "name-given_names": "Glenn", "name-family_name": "Warde"},
    )
    assert list(target.markers.values_list("kind", flat=True)) == ["drugs"]
    assert target.names.count() == 2
    assert client_for(handler).get(f"/people/{target.pk}/edit/").status_code == 403


def test_fragments_for_later_screens(handler: User) -> None:
    address = AddressFactory()
    target = person("Ivy", "Lamb", "1999-09-09", addresses=[services.AddressInput(address.pk)])
    services.marker_add(acting_user=None, nominal=target, kind="sex_offender", source="ViSOR")
    client = client_for(handler)
    summary = client.get(
        f"/people/{target.pk}/summary/", {"purpose": "Incident at the address"}
    ).content.decode()
    assert "Sex offender" in summary and "Ivy LAMB" in summary
    listed = client.get(
        f"/people/at-address/{address.pk}/", {"purpose": "Incident at the address"}
    ).content.decode()
    assert "Ivy LAMB" in listed and "Sex offender" in listed
    refused = client.get(f"/people/at-address/{address.pk}/")
    assert refused.status_code == 400 and "purpose" in refused.content.decode()


def test_merge_page_merges_and_the_merge_can_be_reversed(supervisor: User) -> None:
    keep, absorb = person("Daniel", "Orr", "1981-01-01"), person("Danny", "Orr", "1981-01-01")
    client = client_for(supervisor)
    page = client.get(f"/people/{keep.pk}/merge/{absorb.pk}/")
    assert page.status_code == 200 and "Danny ORR" in page.content.decode()
    done = client.post(
        f"/people/{keep.pk}/merge/{absorb.pk}/",
        {"survivor": str(keep.pk), "reason": "Same custody photograph"},
    )
    merge = NominalMerge.objects.get()
    assert done.status_code == 302 and merge.survivor == keep
    client.post(f"/people/merges/{merge.pk}/", {"reason": "Different people after all: twins"})
    merge.refresh_from_db()
    assert merge.is_reversed


def test_duplicates_page_lists_pairs_for_supervisors_only(supervisor: User, handler: User) -> None:
    person("Susan", "Kerr", "1972-02-02")
    person("Sue", "Kerr", "1972-02-02")
    assert (
        "Sue" in client_for(supervisor).get("/people/duplicates/").content.decode()
        or DuplicateCandidate.objects.exists()
    )
    assert client_for(handler).get("/people/duplicates/").status_code == 403
