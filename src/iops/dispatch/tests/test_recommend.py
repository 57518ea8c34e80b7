"""Recommendations: available units with the skills an incident needs, soonest to arrive first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from iops.dispatch import selectors, services
from iops.dispatch.choices import Skill, UnitStatus
from iops.dispatch.recommend import ROAD_FACTOR, SPEED_KMH, estimate, needed_skills, rank
from iops.dispatch.tests import factories
from iops.geo.geometry import haversine_m
from iops.platform.errors import PermissionRefused, ValidationFailed


@dataclass
class FakeUnit:
    """A unit as ``rank`` sees it (only these attributes), so the ranking is tested without a database."""

    pk: int
    call_sign: str
    latitude: float | None
    longitude: float | None
    unit_type: str = "response"
    skills: list[str] = field(default_factory=list)
    status: str = UnitStatus.AVAILABLE
    position_at: datetime | None = None


def _now() -> datetime:
    return timezone.now()


def test_the_estimate_is_road_distance_at_the_unit_types_speed_plus_time_to_get_moving() -> None:
    straight = haversine_m(53.47, -2.25, 53.48, -2.25)
    found = estimate("response", 53.47, -2.25, 53.48, -2.25)
    assert found.distance_m == pytest.approx(straight * ROAD_FACTOR)
    assert found.eta_seconds == round(45 + straight * ROAD_FACTOR / (SPEED_KMH["response"] / 3.6))
    assert estimate("roads", 53.47, -2.25, 53.48, -2.25).eta_seconds < found.eta_seconds


def test_units_are_ranked_by_time_to_arrive_not_by_distance_alone() -> None:
    now = _now()
    near_on_foot = FakeUnit(1, "NM-N01", 53.472, -2.25, unit_type="neighbourhood", position_at=now)
    further_by_car = FakeUnit(2, "NM-R21", 53.480, -2.25, unit_type="response", position_at=now)
    furthest = FakeUnit(3, "NM-R22", 53.520, -2.25, position_at=now)
    ranked = rank([furthest, near_on_foot, further_by_car], latitude=53.47, longitude=-2.25, now=now)
    assert [r.unit.call_sign for r in ranked] == ["NM-N01", "NM-R21", "NM-R22"]
    ranked = rank([furthest, further_by_car], latitude=53.47, longitude=-2.25, now=now)
    assert [r.unit.call_sign for r in ranked] == ["NM-R21", "NM-R22"]
    assert ranked[0].eta_minutes is not None and ranked[0].distance_km is not None


def test_only_available_units_with_every_needed_skill_are_recommended() -> None:
    now = _now()
    units = [
        FakeUnit(
            1, "AR-1", 53.50, -2.25, unit_type="armed_response", skills=["firearms", "taser"], position_at=now
        ),
        FakeUnit(2, "NM-R21", 53.471, -2.25, skills=["taser"], position_at=now),
        FakeUnit(3, "AR-2", 53.471, -2.25, skills=["firearms"], status=UnitStatus.ASSIGNED, position_at=now),
    ]
    ranked = rank(units, latitude=53.47, longitude=-2.25, skills=["firearms"], now=now)
    assert [r.unit.call_sign for r in ranked] == ["AR-1"]


def test_stale_and_unknown_positions_come_after_current_ones() -> None:
    now = _now()
    units = [
        FakeUnit(1, "NM-R01", None, None),
        FakeUnit(2, "NM-R02", 53.4701, -2.25, position_at=now - timedelta(hours=2)),
        FakeUnit(3, "NM-R03", 53.55, -2.25, position_at=now),
    ]
    ranked = rank(units, latitude=53.47, longitude=-2.25, now=now)
    assert [(r.unit.call_sign, r.position_stale, r.eta_seconds is None) for r in ranked] == [
        ("NM-R03", False, False),
        ("NM-R02", True, False),
        ("NM-R01", False, True),
    ]


def test_needed_skills_come_from_qualifiers_and_category() -> None:
    assert needed_skills("CR-VIOL", ["DOMESTIC", "FIREARMS"]) == (Skill.FIREARMS,)
    assert needed_skills("CR-WEAP", ["KNIFE"]) == (Skill.TASER,)
    assert needed_skills("TRN-RTC-SERIOUS", []) == (Skill.COLLISION,)
    assert needed_skills("ASB-NUIS", ["DOMESTIC"]) == ()


@pytest.mark.django_db
def test_an_incidents_recommendations_use_its_needs_unless_the_dispatcher_overrides_them() -> None:
    dispatcher = factories.user("dispatcher", "dispatcher")
    handler = factories.user("handler", "call_handler")
    incident = factories.incident(handler, qualifiers=["FIREARMS"])
    factories.unit("AR-1", unit_type="armed_response", skills=["firearms"], at=(53.55, -2.25))
    factories.unit("NM-R21", at=(53.471, -2.25))
    busy = factories.unit("NM-R22", at=(53.4705, -2.25))
    services.unit_set_status(acting_user=dispatcher, unit=busy, status=UnitStatus.REFRESHMENT)
    found = selectors.recommendations_for(dispatcher, incident)
    assert found.needed_skills == ("firearms",)
    assert [r.unit.call_sign for r in found.units] == ["AR-1"]
    everyone = selectors.recommendations_for(dispatcher, incident, skills=[])
    assert [r.unit.call_sign for r in everyone.units] == ["NM-R21", "AR-1"]
    with pytest.raises(ValidationFailed) as error:
        selectors.recommendations_for(dispatcher, incident, skills=["flying"])
    assert error.value.field == "skills"
    with pytest.raises(PermissionRefused):
        selectors.recommendations_for(factories.user("pc", "response_officer"), incident)
