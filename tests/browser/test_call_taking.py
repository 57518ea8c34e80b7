"""A call handler takes a 999 call: the caller's handset position arrives as an AML message at an
address where a person with a warning marker lives; the marker shows without any search; THRIVE
and an emergency grade open the incident with its 15-minute clock.

Stable hooks other teams' tests may rely on (keep them when changing the pages):

New call, ``/incidents/new/`` (``?connected_at=<ISO time>`` passes the telephone system's
connection time):
  labels      "999 emergency" (and the other channels), "Opening category", "Qualifiers"
              (checkboxes labelled with qualifier names, e.g. "Domestic abuse"), and these, each
              shown with " (optional)" after it: "Caller's name", "Caller's phone number",
              "Caller's relationship to what happened", "What the caller said", "People named in
              the call", "AML message", "Find an address", "Location as described", "Summary for
              officers", "Threat", "Harm", "Risk", "Investigation", "Vulnerability", "Engagement"
              (THRIVE: optional until a grade is chosen); grade radios "Emergency (attend within
              15 min urban, 20 min rural)", "Priority (attend within 60 min)", "Scheduled (no
              attendance target)", "Resolution without deployment (no attendance target)", "Not
              graded yet"
  buttons     "Create incident" (test id create-incident), "Record call only" (record-call-only),
              "Link this call to incident <reference>"
  test ids    call-taking-form, keyboard-help, answered-at, channel, location-used, aml-result,
              aml-position, aml-radius, aml-refused, address-results, chosen-address,
              location-map, map-point, qualifiers, duplicates-panel, duplicate (data-incident-id),
              thrive, grade, risk-panel, risk-people, risk-person (data-nominal-id), risk-marker,
              risk-history, risk-history-item, risk-named, risk-named-match
Incident, ``/incidents/<id>/``:
  test ids    incident-reference, incident-status, incident-category, incident-qualifiers,
              incident-location, incident-grade, attendance-clock (data-due-at, ISO time, while
              running), incident-crime-related, incident-calls, incident-call, call-answer-time,
              thrive-versions, thrive-version, grade-history, incident-log, log-entry, log-form,
              thrive-form, grade-form, crime-related-form, close-form, eido-form, risk-panel
  buttons     "Save THRIVE", "Set grade" / "Re-grade", "Add to log", "Flag as crime-related",
              "Close incident", "Export as EIDO"
Open incidents, ``/incidents/``: test ids incident-filters, incidents-table, incident-row
(data-incident-id), incidents-none.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from iops.audit.models import AuditEntry
from iops.incidents.models import Call, Incident
from iops.incidents.tests.factories import (
    THRIVE_ANSWERS,
    aml_message,
    beat,
    resident_with_marker,
    searchable_address,
)
from tests.browser.conftest import sign_in

RISK_PURPOSE = "Call taking: risk at location"


@pytest.fixture
def scene(make_user: Any) -> dict[str, Any]:
    area = beat()
    address = searchable_address(area)
    person = resident_with_marker(address, given="Jordan", family="Blakeley", marker="violence")
    make_user("handler1", "call_handler", first_name="Priya", last_name="Shah")
    return {"address": address, "person": person}


def _fill_thrive(page: Any) -> None:
    for part, answer in THRIVE_ANSWERS.items():
        # Optional on this page (a call may be recorded ungraded); a grade needs all six.
        page.get_by_label(f"{part.capitalize()} (optional)", exact=True).fill(answer)


def test_a_999_call_with_aml_at_a_marked_address_becomes_an_emergency_incident(
    page: Any, scene: dict[str, Any]
) -> None:
    address = scene["address"]
    sign_in(page, "handler1")
    page.goto("/incidents/new/")

    # Keyboard-first: the page opens on the channel, 999 already chosen; the answer time is taken.
    expect(page.get_by_label("999 emergency")).to_be_focused()
    expect(page.get_by_test_id("answered-at")).to_contain_text("Answered at")
    # Enter in a one-line box moves on and never sends the form.
    page.get_by_label("Caller's name").fill("Alex Morgan")
    page.get_by_label("Caller's name").press("Enter")
    expect(page.get_by_label("Caller's phone number")).to_be_focused()
    assert "/incidents/new/" in page.url
    page.keyboard.type("07700 900123")
    page.get_by_label("What the caller said").fill("My ex-partner is outside, shouting that he will hurt me")

    # The handset's position: read as it is pasted, shown with its radius.
    page.get_by_label("AML message").fill(aml_message(address.latitude, address.longitude, 25))
    expect(page.get_by_test_id("aml-radius")).to_have_text("25 m")
    expect(page.get_by_test_id("location-used")).to_contain_text("caller's handset")

    # Without any search, the person living there and their red marker appear.
    risk = page.get_by_test_id("risk-panel")
    expect(risk.get_by_test_id("risk-person")).to_contain_text(re.compile("Jordan Blakeley", re.IGNORECASE))
    expect(risk.get_by_test_id("risk-marker")).to_have_text("Violence")
    expect(risk.get_by_test_id("risk-marker")).to_have_class(re.compile("govuk-tag--red"))

    page.get_by_label("Opening category").select_option(label="Domestic incident (no crime disclosed)")
    page.get_by_label("Domestic abuse").check()
    _fill_thrive(page)
    page.get_by_label("Emergency (attend within 15 min urban, 20 min rural)").check()
    page.get_by_role("button", name="Create incident").click()

    # The incident page: emergency, domestic abuse, and a 15-minute clock counting down.
    expect(page.get_by_test_id("incident-grade")).to_have_text("Emergency")
    expect(page.get_by_test_id("incident-qualifiers")).to_contain_text("Domestic abuse")
    expect(page.get_by_test_id("attendance-clock")).to_have_text(re.compile(r"^1[45]:\d\d left$"))
    expect(page.get_by_test_id("incident-calls")).to_contain_text("Alex Morgan")
    expect(page.get_by_test_id("risk-panel").get_by_test_id("risk-marker")).to_have_text("Violence")

    incident = Incident.objects.get()
    assert page.url.endswith(f"/incidents/{incident.pk}/")
    assert (incident.grade, incident.qualifiers, incident.location_source) == (
        "emergency",
        ["DOMESTIC"],
        "aml",
    )
    call = Call.objects.get()
    assert call.radius_m == 25 and call.answered_at is not None
    # The risk reads were each written to the access log with the call-taking purpose.
    logged = set(AuditEntry.objects.filter(purpose=RISK_PURPOSE).values_list("operation", flat=True))
    assert {"people.at_address", "incidents.history_at_location"} <= logged


def test_the_address_is_found_from_the_keyboard_and_a_grade_without_thrive_is_refused(
    page: Any, scene: dict[str, Any]
) -> None:
    sign_in(page, "handler1")
    page.goto("/incidents/new/")
    search = page.get_by_label("Find an address")
    search.focus()
    page.keyboard.type("12 High St")
    option = page.get_by_role("option", name=re.compile("12 High Street"))
    expect(option).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("chosen-address")).to_contain_text("12 High Street")
    expect(page.get_by_test_id("risk-marker")).to_have_text("Violence")

    page.get_by_label("Opening category").select_option(label="Concern for safety")
    page.get_by_label("Emergency (attend within 15 min urban, 20 min rural)").check()
    page.get_by_role("button", name="Create incident").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Complete the THRIVE assessment (all six parts) before setting a grade.")
    # The refused form keeps the address and the risk panel, and nothing was written.
    expect(page.get_by_test_id("chosen-address")).to_contain_text("12 High Street")
    expect(page.get_by_test_id("risk-marker")).to_have_text("Violence")
    assert not Incident.objects.exists()
    assert not Call.objects.exists()
