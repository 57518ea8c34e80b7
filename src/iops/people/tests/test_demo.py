"""The demo step: synthetic people at the demo addresses, deterministic for the seed, quickly."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from iops.geo.models import Address
from iops.geo.tests.factories import AddressFactory
from iops.people.demo import people
from iops.people.models import DuplicateCandidate, Nominal, NominalAddress, NominalName, WarningMarker
from iops.platform.demo import make_context

pytestmark = pytest.mark.django_db


def _names() -> list[tuple[str, str]]:
    return list(NominalName.objects.order_by("nominal_id", "id").values_list("given_names", "family_name"))


def test_demo_people_live_in_households_with_variants_and_markers(db: Any) -> None:
    for _ in range(60):
        AddressFactory()
    context = make_context("small", seed=7)
    context.made["addresses"] = list(Address.objects.values_list("pk", flat=True))
    started = time.monotonic()
    people(context)
    assert time.monotonic() - started < 60
    assert Nominal.objects.count() == context.size.persons == len(context.made["people"])
    shared = NominalAddress.objects.values("address").distinct().count()
    assert shared < context.size.persons / 2  # households share addresses
    assert WarningMarker.objects.exists()
    assert NominalName.objects.exclude(kind="birth").exists()  # aliases, nicknames, maiden names
    assert DuplicateCandidate.objects.exists()
    people(context)  # a second run adds nobody
    assert Nominal.objects.count() == context.size.persons


@pytest.mark.django_db(transaction=True)
def test_same_seed_same_people(transactional_db: Any) -> None:
    for _ in range(20):
        AddressFactory()
    context = make_context("small", seed=11)
    context.made["addresses"] = list(Address.objects.order_by("pk").values_list("pk", flat=True))
    people(context)
    first = _names()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE people_searchentry, people_duplicatecandidate, people_nominallink, people_warningmarker, "
            "people_nominaladdress, people_nominalidentifier, people_nominaldateofbirth, people_nominalname, "
            "people_nominal, people_vehicle CASCADE"
        )
    again = make_context("small", seed=11)
    again.made["addresses"] = context.made["addresses"]
    people(again)
    assert _names() == first
