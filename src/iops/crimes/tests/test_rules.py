"""Crime Recording Rules the services keep: who may decide no crime, one crime per victim, the
principal crime, N100, transfer, reclassification and outcomes with their history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from iops.accounts.choices import Role
from iops.audit.models import AuditEntry
from iops.crimes import services
from iops.crimes.codes import UnknownOutcomeType
from iops.crimes.errors import CrimeNotLive, OneCrimePerVictim, RationaleNotAuthorised, VictimAlreadyRecorded
from iops.crimes.models import (
    ClassificationChange,
    Crime,
    CrimeParty,
    N100Record,
    NonCrimeRationale,
    OutcomeChange,
)
from iops.crimes.selectors import unresolved_incidents
from iops.crimes.tests.factories import crime_incident, person, person_user
from iops.duties.choices import DutyStatus
from iops.duties.models import Duty
from iops.people.models import NominalLink
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db

RATIONALE = "Caller confirmed the bicycle was borrowed by her son with permission; no offence took place."


def decision(incident: Any) -> Duty:
    return Duty.objects.get(kind="crime_recording_decision", subject_id=str(incident.pk))


def record(user: Any, incident: Any, code: str = "28E", **extra: Any) -> Crime:
    return services.crime_record(
        acting_user=user,
        offence_code=code,
        incidents=[incident],
        committed_from=incident.opened_at - timedelta(hours=1),
        **extra,
    )


# --- non-crime rationale ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (None, False),
        (Role.CALL_HANDLER, False),
        (Role.DISPATCHER, False),
        (Role.RESPONSE_OFFICER, False),
        (Role.INVESTIGATOR, False),
        (Role.DATA_PROTECTION_OFFICER, False),
        (Role.SUPERVISOR, True),
        (Role.CRIME_REGISTRAR, True),
    ],
)
def test_only_supervisors_and_the_registrar_may_record_a_non_crime_rationale(handler, role, allowed) -> None:
    incident = crime_incident(handler)
    user = person_user(f"u_{role or 'none'}", role) if role else None

    if not allowed:
        with pytest.raises(RationaleNotAuthorised):
            services.non_crime_rationale_record(acting_user=user, incident=incident, rationale=RATIONALE)
        assert decision(incident).status == DutyStatus.OPEN
        assert unresolved_incidents().filter(pk=incident.pk).exists()
        return

    services.non_crime_rationale_record(acting_user=user, incident=incident, rationale=RATIONALE)

    duty = decision(incident)
    assert (duty.status, duty.discharged_by) == (DutyStatus.DISCHARGED, user)
    assert NonCrimeRationale.objects.get(incident=incident).decided_by == user
    assert not unresolved_incidents().filter(pk=incident.pk).exists()


def test_a_rationale_needs_real_words_and_a_crime_related_incident(handler, supervisor) -> None:
    incident = crime_incident(handler)
    with pytest.raises(ValidationFailed) as error:
        services.non_crime_rationale_record(acting_user=supervisor, incident=incident, rationale="no crime")
    assert error.value.field == "rationale"

    plain = crime_incident(handler, category="PSW-CONCERN")
    with pytest.raises(ValidationFailed) as error:
        services.non_crime_rationale_record(acting_user=supervisor, incident=plain, rationale=RATIONALE)
    assert error.value.field == "incident"


def test_a_rationale_cannot_follow_a_crime_nor_be_given_twice(handler, supervisor, investigator) -> None:
    recorded, decided = crime_incident(handler), crime_incident(handler)
    crime = record(investigator, recorded)
    services.non_crime_rationale_record(acting_user=supervisor, incident=decided, rationale=RATIONALE)

    with pytest.raises(Conflict, match=crime.number):
        services.non_crime_rationale_record(acting_user=supervisor, incident=recorded, rationale=RATIONALE)
    with pytest.raises(Conflict, match="already has a non-crime rationale"):
        services.non_crime_rationale_record(acting_user=supervisor, incident=decided, rationale=RATIONALE)


def test_rationales_and_history_cannot_be_altered_in_the_database(handler, supervisor) -> None:
    decided = services.non_crime_rationale_record(
        acting_user=supervisor, incident=crime_incident(handler), rationale=RATIONALE
    )
    with (
        pytest.raises(DatabaseError, match="never changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE crimes_noncrimerationale SET rationale = 'x' WHERE id = %s", [decided.pk])
    assert NonCrimeRationale.objects.get(pk=decided.pk).rationale == RATIONALE


# --- one crime per victim -----------------------------------------------------------------------


def test_one_crime_per_victim_two_victims_are_two_crimes(handler, investigator) -> None:
    incident = crime_incident(handler, category="CR-VIOL", summary="Two people punched outside a pub")
    first, second = person("Sam", "Okoro"), person("Jo", "Bell")

    with pytest.raises(OneCrimePerVictim) as error:
        record(investigator, incident, "8N", victims=[first, second])
    assert (error.value.code, error.value.field) == ("one_crime_per_victim", "victims")
    assert not Crime.objects.exists()

    one = record(investigator, incident, "8N", victims=[first])
    two = record(investigator, incident, "105A", victims=[second])

    assert one.number != two.number
    assert two.principal_crime == one and one.is_principal
    with pytest.raises(OneCrimePerVictim) as error:
        services.crime_party_add(acting_user=investigator, crime=one, nominal=second, role="victim")
    assert error.value.field == "role"
    # The database holds the rule too.
    with pytest.raises(DatabaseError), transaction.atomic():
        CrimeParty.objects.create(
            crime=one,
            role="victim",
            link=NominalLink.objects.filter(nominal=second).first(),
            added_at=timezone.now(),
        )


def test_the_same_victim_in_the_same_incident_is_one_crime_under_the_principal_crime_rule(
    handler, investigator
) -> None:
    incident = crime_incident(handler, category="CR-VIOL", summary="Assaulted and phone snatched")
    victim = person("Priya", "Shah")
    crime = record(investigator, incident, "34B", victims=[victim], additional_offence_codes=["8N"])

    with pytest.raises(VictimAlreadyRecorded, match=crime.number) as error:
        record(investigator, incident, "8N", victims=[victim])
    assert error.value.field == "victims"
    assert crime.additional_offence_codes == ["8N"]
    # A new incident against the same person is a new crime.
    assert record(investigator, crime_incident(handler), "28E", victims=[victim]).pk != crime.pk


def test_parties_are_linked_in_the_person_index(handler, investigator) -> None:
    victim, suspect, witness = person("Ada", "Jones"), person("Rob", "Kerr"), person("Li", "Wei")
    crime = record(
        investigator, crime_incident(handler), victims=[victim], suspects=[suspect], witnesses=[witness]
    )

    links = {link.nominal_id: link.role for link in NominalLink.objects.filter(target_id=crime.pk)}
    assert links == {victim.pk: "victim", suspect.pk: "suspect", witness.pk: "witness"}
    assert {party.role for party in crime.parties.all()} == {"victim", "suspect", "witness"}


# --- N100, transfer, reclassification, outcome ------------------------------------------------------


def test_a_rape_report_not_recorded_as_a_crime_leaves_an_n100(handler, supervisor) -> None:
    incident = crime_incident(handler, category="CR-SEX", summary="Third party reports a rape of a friend")

    services.non_crime_rationale_record(
        acting_user=supervisor,
        incident=incident,
        rationale="Reported by a third party; the person named has not been traced to confirm it yet.",
        n100_reason="not_confirmed",
    )

    n100 = N100Record.objects.get(incident=incident)
    assert n100.reference.startswith("N100/") and n100.reason == "not_confirmed"
    assert n100.reported_at == incident.opened_at
    assert decision(incident).status == DutyStatus.DISCHARGED


def test_reclassifying_or_transferring_a_rape_leaves_an_n100(handler, investigator, supervisor) -> None:
    rape = record(investigator, crime_incident(handler, category="CR-SEX"), "19C")
    services.crime_reclassify(
        acting_user=investigator,
        crime=rape,
        offence_code="17A",
        reason="Evidence shows sexual assault, not rape",
    )
    assert list(N100Record.objects.filter(crime=rape).values_list("reason", flat=True)) == ["other_offence"]

    other = record(investigator, crime_incident(handler, category="CR-SEX"), "19F")
    services.crime_transfer(
        acting_user=supervisor,
        crime=other,
        to_force="Northshire Constabulary",
        reason="The offence took place at an address in Northshire; their registrar accepted it.",
    )
    other.refresh_from_db()
    assert (other.state, other.cancellation_code, other.transferred_to_force) == (
        "transferred",
        "C1",
        "Northshire Constabulary",
    )
    assert N100Record.objects.get(crime=other).reason == "other_force"
    disclosure = AuditEntry.objects.get(operation="crimes.transfer", record_id=str(other.pk))
    assert (disclosure.action, disclosure.recipient) == ("disclosure", "Northshire Constabulary")


def test_a_transfer_needs_the_role_a_force_and_a_reason_and_ends_the_crimes_duties(
    handler, investigator, supervisor
) -> None:
    crime = record(investigator, crime_incident(handler), victims=[person()])
    reason = "Happened over the border in Northshire; passed to their crime registrar."
    with pytest.raises(PermissionRefused):
        services.crime_transfer(acting_user=investigator, crime=crime, to_force="Northshire", reason=reason)
    with pytest.raises(ValidationFailed) as error:
        services.crime_transfer(acting_user=supervisor, crime=crime, to_force="", reason=reason)
    assert error.value.field == "to_force"
    with pytest.raises(ValidationFailed) as error:
        services.crime_transfer(acting_user=supervisor, crime=crime, to_force="Northshire", reason="theirs")
    assert error.value.field == "reason"

    services.crime_transfer(acting_user=supervisor, crime=crime, to_force="Northshire", reason=reason)

    victim_duties = Duty.objects.filter(subject_id=str(crime.pk), kind__startswith="victim_")
    assert victim_duties.count() == 4
    assert set(victim_duties.values_list("status", flat=True)) == {DutyStatus.CANCELLED}
    with pytest.raises(CrimeNotLive):
        services.crime_reclassify(
            acting_user=investigator, crime=crime, offence_code="49", reason="Try again"
        )


def test_reclassification_keeps_its_history_and_the_new_police_uk_category(handler, investigator) -> None:
    crime = record(investigator, crime_incident(handler), "49")
    services.crime_reclassify(
        acting_user=investigator, crime=crime, offence_code="46", reason="Taken from a shop while open"
    )
    assert crime.police_uk_category == "shoplifting"
    change = ClassificationChange.objects.get(crime=crime)
    assert (change.from_code, change.to_code, change.from_category, change.to_category) == (
        "49",
        "46",
        "other-theft",
        "shoplifting",
    )
    with pytest.raises(ValidationFailed) as error:
        services.crime_reclassify(
            acting_user=investigator, crime=crime, offence_code="46", reason="Same again"
        )
    assert error.value.field == "offence_code"


def test_an_outcome_maps_to_police_uk_and_finalises_the_crime(handler, investigator) -> None:
    crime = record(investigator, crime_incident(handler))
    with pytest.raises(UnknownOutcomeType) as error:
        services.crime_outcome_set(acting_user=investigator, crime=crime, outcome_type=19)
    assert error.value.field == "outcome_type"

    services.crime_outcome_set(acting_user=investigator, crime=crime, outcome_type="18")

    assert (crime.outcome_type, crime.police_uk_outcome, crime.investigation_status) == (
        18,
        "no-further-action",
        "finalised",
    )
    with pytest.raises(ValidationFailed) as error:
        services.crime_outcome_set(acting_user=investigator, crime=crime, outcome_type=1)
    assert error.value.field == "reason"
    services.crime_outcome_set(
        acting_user=investigator, crime=crime, outcome_type=1, reason="Suspect identified by DNA and charged"
    )
    assert crime.police_uk_outcome == "charged"
    assert list(OutcomeChange.objects.filter(crime=crime).values_list("from_type", "to_type")) == [
        (None, 18),
        (18, 1),
    ]


def test_a_response_officer_may_record_but_not_reclassify_or_set_outcomes(handler, officer) -> None:
    crime = record(officer, crime_incident(handler))
    with pytest.raises(PermissionRefused):
        services.crime_reclassify(
            acting_user=officer, crime=crime, offence_code="49", reason="Not a burglary"
        )
    with pytest.raises(PermissionRefused):
        services.crime_outcome_set(acting_user=officer, crime=crime, outcome_type=18)
    caller = person_user("caller", Role.CALL_HANDLER)
    with pytest.raises(PermissionRefused):
        record(caller, crime_incident(handler))


def test_force_crime_numbers_run_in_sequence_per_year(handler, investigator) -> None:
    numbers = [record(investigator, crime_incident(handler)).number for _ in range(3)]
    year = timezone.localtime().year
    assert numbers == [f"CR/{year}/000001", f"CR/{year}/000002", f"CR/{year}/000003"]


def test_a_crime_is_never_deleted(handler, investigator) -> None:
    crime = record(investigator, crime_incident(handler))
    with (
        pytest.raises(DatabaseError, match="never removed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM crimes_crime WHERE id = %s", [crime.pk])
    assert Crime.objects.filter(pk=crime.pk).exists()
