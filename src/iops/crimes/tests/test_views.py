"""Crime pages: who may see them, what they show, and forms that put refusals on the right field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from iops.accounts.choices import Role
from iops.audit.models import AuditEntry
from iops.crimes import services
from iops.crimes.models import Crime, NonCrimeRationale
from iops.crimes.tests.factories import crime_incident, person, person_user
from iops.duties.models import Duty

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_crime_related_incident_page_leads_to_the_recording_decision(
    handler, investigator, registrar
) -> None:
    incident = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=3))
    record_link = f'href="/crimes/new/?incident={incident.pk}"'
    rationale_link = f'href="/crimes/registrar/incidents/{incident.pk}/rationale/"'

    seen_by_investigator = signed_in(investigator).get(f"/incidents/{incident.pk}/").content.decode()
    assert record_link in seen_by_investigator and rationale_link not in seen_by_investigator

    seen_by_registrar = signed_in(registrar).get(f"/incidents/{incident.pk}/").content.decode()
    assert rationale_link in seen_by_registrar


def test_record_a_crime_from_an_incident_prefilled(handler, investigator) -> None:
    incident = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=3))
    victim = person("Ola", "Nowak")
    client = signed_in(investigator)

    page = client.get("/crimes/new/", {"incident": incident.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert incident.reference in html and local(incident.opened_at) in html and "12 High Street" in html

    refused = client.post(
        "/crimes/new/",
        {
            "incident": incident.pk,
            "offence_code": "28E",
            "committed_from": local(incident.opened_at),
            "victim": "P9999999",
        },
    )
    assert refused.status_code == 400 and "There is no person P9999999" in refused.content.decode()
    assert not Crime.objects.exists()

    done = client.post(
        "/crimes/new/",
        {
            "incident": incident.pk,
            "offence_code": "28E",
            "committed_from": local(incident.opened_at - timedelta(hours=1)),
            "victim": victim.reference,
            "location_text": "12 High Street",
            "victim_update_interval_days": "14",
        },
    )
    crime = Crime.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/crimes/{crime.pk}/"
    assert (
        Duty.objects.get(subject_id=str(incident.pk), kind="crime_recording_decision").status == "discharged"
    )
    shown = client.get(done["Location"]).content.decode()
    for text in (
        crime.number,
        "Burglary",
        "Within 24 hours",
        "Ola NOWAK",
        "Referral to victim services"[:20],
    ):
        assert text in shown, text


def test_a_second_victim_in_one_incident_is_refused_on_the_victim_field(handler, investigator) -> None:
    incident = crime_incident(handler)
    victim = person("Kim", "Lee")
    services.crime_record(
        acting_user=investigator,
        offence_code="8N",
        incidents=[incident],
        committed_from=incident.opened_at,
        victims=[victim],
    )
    response = signed_in(investigator).post(
        "/crimes/new/",
        {
            "incident": incident.pk,
            "offence_code": "105A",
            "committed_from": local(incident.opened_at),
            "victim": victim.reference,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "principal crime rules" in html and 'id="id_victim-error"' in html
    assert Crime.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.CALL_HANDLER, 403), (Role.DATA_PROTECTION_OFFICER, 403), (Role.INVESTIGATOR, 200)],
)
def test_the_crime_page_permission_matrix(handler, investigator, role, status) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="49",
        incidents=[crime_incident(handler)],
        committed_from=timezone.now(),
    )
    client = signed_in(person_user(f"u_{role}", role)) if role else Client()
    response = client.get(f"/crimes/{crime.pk}/")
    assert response.status_code == status
    if status == 200:
        entry = AuditEntry.objects.filter(operation="crimes.view", record_id=str(crime.pk)).latest("id")
        assert entry.action == "consultation" and entry.purpose == "Crime investigation"


def test_a_restricted_crime_says_whom_to_ask_and_breaking_the_glass_is_logged(handler, investigator) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="19C",
        incidents=[crime_incident(handler, category="CR-SEX")],
        committed_from=timezone.now() - timedelta(hours=1),
        restricted=True,
        restriction_contact="DI Rape Investigation Team",
    )
    other = signed_in(person_user("dc2", Role.INVESTIGATOR))
    refused = other.get(f"/crimes/{crime.pk}/")
    assert refused.status_code == 403 and "DI Rape Investigation Team" in refused.content.decode()
    assert crime.number not in refused.content.decode()
    broken = other.post(
        f"/crimes/{crime.pk}/", {"break_glass_reason": "Suspect arrested on my shift tonight"}
    )
    assert broken.status_code == 200 and crime.number in broken.content.decode()
    assert AuditEntry.objects.filter(record_id=str(crime.pk), break_glass=True).exists()
    # The recorder is on the access list; the crime stays off others' lists.
    assert signed_in(investigator).get(f"/crimes/{crime.pk}/").status_code == 200
    assert crime.number not in other.get("/crimes/", {"scope": "all"}).content.decode()


def test_forms_on_the_crime_page(handler, investigator, registrar) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="49",
        incidents=[crime_incident(handler)],
        committed_from=timezone.now(),
    )
    client = signed_in(investigator)
    bad = client.post(
        f"/crimes/{crime.pk}/reclassify/", {"reclassify-offence_code": "46", "reclassify-reason": ""}
    )
    assert bad.status_code == 400 and 'id="id_reclassify-reason-error"' in bad.content.decode()
    good = client.post(
        f"/crimes/{crime.pk}/reclassify/",
        {"reclassify-offence_code": "46", "reclassify-reason": "From a shop"},
    )
    assert good.status_code == 302
    crime.refresh_from_db()
    assert crime.police_uk_category == "shoplifting"
    assert (
        client.post(
            f"/crimes/{crime.pk}/cancel/", {"cancel-code": "C4", "cancel-reason": "x" * 30}
        ).status_code
        == 403
    )

    registrar_page = signed_in(registrar).post(
        f"/crimes/{crime.pk}/cancel/",
        {"cancel-code": "C4", "cancel-reason": "Recorded in error: the shop withdrew it"},
    )
    assert registrar_page.status_code == 302
    crime.refresh_from_db()
    assert crime.state == "cancelled"


def test_the_registrar_page_lists_and_a_rationale_removes_an_incident(
    handler, registrar, investigator
) -> None:
    waiting = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=40))
    client = signed_in(registrar)

    page = client.get("/crimes/registrar/")
    html = page.content.decode()
    assert page.status_code == 200 and waiting.reference in html and "Overdue" in html
    assert "1 day 16 h" in html
    assert signed_in(investigator).get("/crimes/registrar/").status_code == 403

    short = client.post(f"/crimes/registrar/incidents/{waiting.pk}/rationale/", {"rationale": "no"})
    assert short.status_code == 400 and 'id="id_rationale-error"' in short.content.decode()
    done = client.post(
        f"/crimes/registrar/incidents/{waiting.pk}/rationale/",
        {"rationale": "The caller found the purse in her car: nothing was stolen."},
    )
    assert done.status_code == 302 and NonCrimeRationale.objects.filter(incident=waiting).exists()
    after = client.get("/crimes/registrar/").content.decode()
    assert f'data-incident="{waiting.pk}"' not in after and "No crime-related incidents are waiting" in after


def test_home_panels_show_real_work(handler, investigator, registrar) -> None:
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="28E",
        incidents=[crime_incident(handler)],
        committed_from=timezone.now(),
        allocated_officer=investigator,
    )
    waiting = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=5))
    mine = signed_in(investigator).get("/").content.decode()
    assert "Crimes allocated to you" in mine and crime.number in mine
    theirs = signed_in(registrar).get("/").content.decode()
    assert f"Incident {waiting.reference}" in theirs and "1 awaiting a decision" in theirs
