"""Synthetic calls for the demo force and the simulator: what people ring about, how fast 999 calls
are answered, where the caller's handset says they are (an AML message), and how long units take.

Everything here is invented. The mix is shaped like a control room's day (a fifth of incidents
graded emergency, most 999 calls answered in a few seconds with a tail that misses the 10-second
aim) so the board and the figures have something realistic to show.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from iops.incidents.aml import AmlLocation, PositioningMethod, format_aml

# (opening category, qualifier choices, weight). Qualifiers are drawn from the choices at random.
CATEGORIES: list[tuple[str, tuple[tuple[str, ...], ...], int]] = [
    ("CR-VIOL", ((), ("DOMESTIC",), ("DOMESTIC", "CHILD"), ("ALCOHOL",)), 14),
    ("PSW-CONCERN", ((), ("MENTAL",), ("VULN-ADULT",)), 14),
    ("ASB-NUIS", ((), ("ALCOHOL",), ("REPEAT",)), 12),
    ("CR-THEFT", ((),), 8),
    ("CR-BURG-RES", ((), ("REPEAT",)), 6),
    ("PSW-DOMESTIC", (("DOMESTIC",), ("DOMESTIC", "CHILD")), 8),
    ("TRN-RTC-DAMAGE", ((),), 6),
    ("TRN-RTC-INJURY", ((),), 3),
    ("PSW-SUSPICIOUS", ((),), 6),
    ("CR-DAM", ((),), 5),
    ("PSW-MISSING", (("MISSING",), ("MISSING", "CHILD")), 4),
    ("CR-WEAP", (("KNIFE",),), 2),
    ("CR-ROB", ((), ("KNIFE",)), 2),
    ("PSW-ALARM", ((),), 4),
    ("CR-VIOL", (("FIREARMS",),), 1),
    ("TRN-RTC-SERIOUS", ((),), 1),
]
GRADES = [("emergency", 20), ("priority", 40), ("scheduled", 25), ("resolution_without_deployment", 15)]
# Emergencies that must be emergencies, whatever the dice say.
ALWAYS_EMERGENCY = {"FIREARMS", "KNIFE"}

THRIVE = {
    "threat": "Caller describes what is happening now (synthetic).",
    "harm": "Possible harm to the caller or others (synthetic).",
    "risk": "Assessed from the call and the location's history (synthetic).",
    "investigation": "Evidence may be lost without attendance (synthetic).",
    "vulnerability": "Vulnerability considered (synthetic).",
    "engagement": "Caller engaging with the call handler (synthetic).",
}


@dataclass(frozen=True)
class SyntheticIncident:
    category: str
    qualifiers: tuple[str, ...]
    grade: str


def pick_incident(rng: random.Random) -> SyntheticIncident:
    category, choices, _ = rng.choices(CATEGORIES, weights=[weight for _, _, weight in CATEGORIES])[0]
    qualifiers = rng.choice(choices)
    if ALWAYS_EMERGENCY & set(qualifiers) or category == "TRN-RTC-SERIOUS":
        grade = "emergency"
    else:
        grade = rng.choices([g for g, _ in GRADES], weights=[w for _, w in GRADES])[0]
    return SyntheticIncident(category, tuple(qualifiers), grade)


def answer_seconds(rng: random.Random, channel: str) -> float:
    """Seconds from connection to answer: 999 mostly within 10 s (about 88%), 101 in minutes."""
    if channel == "999":
        return round(min(180.0, rng.lognormvariate(math.log(5.0), 0.6)), 1)
    return round(min(1800.0, rng.lognormvariate(math.log(90.0), 0.8)), 1)


def near(rng: random.Random, latitude: float, longitude: float, metres: float) -> tuple[float, float]:
    """A point within about ``metres`` of the given one."""
    distance = metres * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * max(0.2, math.cos(math.radians(latitude))))
    return round(latitude + dlat, 6), round(longitude + dlon, 6)


def aml_message(rng: random.Random, latitude: float, longitude: float, at: datetime) -> str:
    """An AML SMS (ETSI TS 103 625) such as a handset would send with a 999 call, all identities invented."""
    method = rng.choices(
        [PositioningMethod.GNSS, PositioningMethod.WIFI, PositioningMethod.CELL], weights=[7, 2, 1]
    )[0]
    radius = {PositioningMethod.GNSS: rng.randint(5, 40), PositioningMethod.WIFI: rng.randint(20, 80)}.get(
        method, rng.randint(300, 1500)
    )
    location = AmlLocation(
        latitude=Decimal(f"{latitude:.5f}"),
        longitude=Decimal(f"{longitude:.5f}"),
        radius_m=radius,
        positioned_at=at.astimezone(UTC).replace(microsecond=0),
        confidence_percent=68,
        positioning_method=method,
        imsi="23430" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
        imei="35" + "".join(str(rng.randint(0, 9)) for _ in range(13)),
        mcc="234",
        mnc=rng.choice(["10", "15", "20", "30"]),
    )
    return format_aml(location)


def attendance_minutes(rng: random.Random, grade: str) -> float:
    """Minutes from report to first arrival: most within target, some not (so figures show both)."""
    if grade == "emergency":
        return rng.uniform(16, 35) if rng.random() < 0.15 else rng.uniform(5, 14.5)
    return rng.uniform(62, 120) if rng.random() < 0.12 else rng.uniform(12, 58)
