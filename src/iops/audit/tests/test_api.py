"""Audit API: the same search as the page, errors as {"code", "message", "field"}, and verify."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client

from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.tests.factories import make_dpo, make_entry, make_entry_at, make_staff

LONDON = ZoneInfo("Europe/London")
ENTRIES = "/api/v1/audit/entries"
VERIFY = "/api/v1/audit/verify"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", [ENTRIES, VERIFY])
def test_anonymous_callers_get_401(url: str) -> None:
    response = _client().get(url, {"purpose": "lawfulness"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [ENTRIES, VERIFY])
def test_other_roles_get_403(url: str) -> None:
    response = _client(make_staff()).get(url, {"purpose": "lawfulness"})
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Your role does not allow this. Ask your supervisor if you need it.",
        "field": None,
    }


@pytest.mark.django_db
def test_the_officer_searches_and_pages_and_each_call_is_logged() -> None:
    dpo = make_dpo()
    for n in range(3):
        make_entry_at(datetime(2025, 3, 27, 10, n, tzinfo=LONDON), actor_username="pc4021", record_id=str(n))
    make_entry_at(
        datetime(2025, 3, 27, 11, 0, tzinfo=LONDON),
        actor_username="pc4021",
        record_id="glass",
        break_glass=True,
        detail={"break_glass_reason": "Threat to life reported"},
    )
    client = _client(dpo)
    first = client.get(
        ENTRIES, {"purpose": "lawfulness", "username": "pc4021", "date_from": "2025-03-27", "limit": 2}
    )
    assert first.status_code == 200
    body = first.json()
    assert [entry["record_id"] for entry in body["entries"]] == ["glass", "2"]
    assert body["entries"][0]["break_glass_reason"] == "Threat to life reported"
    assert body["newer"] is None and body["older"]
    assert (body["matches"], body["matches_capped"]) == (4, False)

    second = client.get(
        ENTRIES, {"purpose": "lawfulness", "username": "pc4021", "after": body["older"], "limit": 2}
    )
    assert [entry["record_id"] for entry in second.json()["entries"]] == ["1", "0"]
    assert second.json()["older"] is None

    only_glass = client.get(ENTRIES, {"purpose": "self_monitoring", "break_glass": "true"}).json()
    assert [entry["record_id"] for entry in only_glass["entries"]] == ["glass"]
    assert AuditEntry.objects.filter(operation="audit.search", actor=dpo).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({}, 400, "purpose_required", "purpose"),
        ({"purpose": "curiosity"}, 400, "invalid", "purpose"),
        ({"purpose": "lawfulness", "date_from": "27/03/2025"}, 422, "invalid", "date_from"),
        (
            {"purpose": "lawfulness", "date_from": "2025-04-02", "date_to": "2025-04-01"},
            400,
            "invalid",
            "date_to",
        ),
        ({"purpose": "lawfulness", "record_id": "7"}, 400, "invalid", "record_type"),
        ({"purpose": "lawfulness", "action": "peek"}, 400, "invalid", "action"),
        ({"purpose": "lawfulness", "after": "yesterday"}, 400, "invalid", "after"),
        ({"purpose": "lawfulness", "limit": 0}, 400, "invalid", "limit"),
        ({"purpose": "lawfulness", "limit": 201}, 400, "invalid", "limit"),
        ({"purpose": "lawfulness", "username": "pc\x004021"}, 400, "invalid", "username"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_field(
    params: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = _client(make_dpo()).get(ENTRIES, params)
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["message"]
    assert not AuditEntry.objects.filter(operation="audit.search").exists()


@pytest.mark.django_db
def test_verify_reports_clean_then_names_an_altered_entry() -> None:
    dpo = make_dpo()
    entries = [make_entry(record_id=str(n)) for n in range(4)]
    client = _client(dpo)
    clean = client.get(VERIFY).json()
    assert clean["clean"] is True and clean["findings"] == []
    assert clean["entries"] == 4

    victim = entries[2]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audit_auditentry SET purpose = 'nothing to see' WHERE id = %s", [victim.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    tampered = client.get(VERIFY).json()
    assert tampered["clean"] is False
    assert [finding["entry_id"] for finding in tampered["findings"]] == [victim.pk]
    assert f"entry {victim.pk} " in tampered["findings"][0]["description"]
    checks = AuditEntry.objects.filter(operation="audit.verify", action=Action.CONSULTATION)
    assert [entry.detail["clean"] for entry in checks.order_by("id")] == [True, False]
