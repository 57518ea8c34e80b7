"""Whatever a client sends, the people API answers with results or a clear error, never a 500.

Third-party clients send what they send: stray control characters, other scripts, numbers where
text belongs, enormous values. Each answer here is either a success in the documented shape or a
4xx JSON error naming the field at fault, and a refused create writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iops.accounts.models import User
from iops.people.models import Nominal
from iops.people.tests.factories import person
from iops.people.tests.test_api import SEARCH, bearer

pytestmark = pytest.mark.django_db

# Text a client might send: any Unicode (surrogates cannot travel in a URL or JSON document).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
plausible = st.sampled_from(
    ["Smith", "O'Neill", "Zoë", "Ó Súilleabháin", "Smi\u0000th", "1980", "1980-02-30", "-", ""]
)
field_value = st.one_of(any_text, plausible)


def _assert_clear(response: Any) -> dict[str, Any]:
    assert response.status_code < 500, response.content[:500]
    body = response.json()
    if response.status_code >= 400:
        assert body.get("message") or body.get("detail"), body
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.fixed_dictionaries(
        {"purpose": st.one_of(st.just("Test: robustness"), any_text)},
        optional={
            "name": field_value,
            "date_of_birth": field_value,
            "identifier": field_value,
            "vrm": field_value,
            "address": field_value,
            "limit": st.one_of(any_text, st.integers(-5, 10_000).map(str)),
        },
    )
)
def test_any_search_gets_results_or_a_clear_error(handler: User, params: dict[str, str]) -> None:
    person("William", "Smith", "1980-01-02")
    body = _assert_clear(Client().get(SEARCH, params, **bearer(handler)))
    if "results" in body:
        assert body["count"] == len(body["results"])


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "given_names": st.one_of(field_value, json_value),
            "family_name": st.one_of(field_value, json_value),
            "date_of_birth": st.one_of(field_value, json_value),
            "gender": st.one_of(field_value, json_value),
            "ethnicity": st.one_of(field_value, json_value),
            "names": json_value,
            "identifiers": json_value,
            "markers": json_value,
            "addresses": json_value,
        },
    )
)
def test_any_create_makes_a_person_or_a_clear_error_and_nothing_half_written(
    investigator: User, payload: dict[str, Any]
) -> None:
    before = Nominal.objects.count()
    response = Client().post(
        "/api/v1/people", json.dumps(payload), content_type="application/json", **bearer(investigator)
    )
    body = _assert_clear(response)
    if response.status_code == 201:
        assert Nominal.objects.count() == before + 1 and body["id"]
    else:
        assert Nominal.objects.count() == before
