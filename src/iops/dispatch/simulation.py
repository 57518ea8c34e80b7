"""The simulator behind ``iops simulate``: a stream of synthetic calls and the units that answer them.

Calls arrive at random (a Poisson stream at the chosen rate per minute), each with an AML position
for a 999 call or a gazetteer address for a 101 call; each becomes an incident, assessed and graded.
A simulated dispatcher sends the recommended unit to each incident that needs one after a short
delay; the unit goes en route, (with ``--units-move``) drives there reporting its position every
few seconds, arrives, deals, clears and the incident is closed. Everything goes through the same
services as people use, as a ``simulator`` account, so the live board shows it as it happens.

The simulator manages only the incidents it made; incidents people take are left to people. It
stops after ``duration`` seconds (at most a day), on Ctrl-C, or when ``stop`` is set. ``speed``
runs the simulated world's clocks (travel, time at scene) faster than real time, for a demo.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from iops.accounts.models import User
from iops.accounts.services import user_create
from iops.dispatch import selectors, services
from iops.dispatch.choices import UnitStatus
from iops.dispatch.models import Assignment, Unit
from iops.dispatch.recommend import SPEED_KMH, estimate, needed_skills
from iops.dispatch.synthetic import THRIVE, aml_message, answer_seconds, near, pick_incident
from iops.geo.geometry import haversine_m
from iops.geo.models import Address
from iops.incidents import codes
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.platform.errors import DomainError

SIMULATOR_USERNAME = "simulator"
MAX_RATE = 600.0
MAX_DURATION = 24 * 3600.0
TICK_SECONDS = 1.0
POSITION_EVERY_SECONDS = 5.0


@dataclass
class Job:
    """One incident the simulator is looking after, and where it is up to."""

    incident_id: int
    grade: str
    latitude: float
    longitude: float
    needs: tuple[str, ...]
    dispatch_at: float
    unit_id: int | None = None
    next_at: float = 0.0
    stage: str = "waiting"
    last_position_at: float = 0.0


@dataclass
class Tally:
    calls: int = 0
    assignments: int = 0
    arrivals: int = 0
    closed: int = 0
    moves: int = 0
    refused: int = 0
    notes: list[str] = field(default_factory=list)


def simulator_user() -> User:
    """The account the simulator acts as (it cannot sign in: it has no password)."""
    existing = User.objects.filter(username=SIMULATOR_USERNAME).first()
    if existing is not None:
        return existing
    return user_create(
        acting_user=None,
        username=SIMULATOR_USERNAME,
        password=None,
        roles=["call_handler", "dispatcher"],
        first_name="Control room",
        last_name="Simulator",
    )


class Simulator:
    def __init__(self, *, rate: float, move_units: bool, speed: float = 1.0, seed: int | None = None) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"the rate must be above 0 and at most {MAX_RATE:.0f} calls a minute")
        if not 1 <= speed <= 60:
            raise ValueError("speed must be between 1 and 60")
        self.rate = rate
        self.move_units = move_units
        self.speed = speed
        self.rng = random.Random(seed)
        self.user = simulator_user()
        self.addresses = list(
            Address.objects.exclude(beat__isnull=True).values_list("pk", "latitude", "longitude")[:20000]
        )
        if not self.addresses:
            raise ValueError("there are no addresses to ring from: run 'iops demo-data' first")
        self.jobs: dict[int, Job] = {}
        self.tally = Tally()
        self.next_call = 0.0

    # --- the world's clock ----------------------------------------------------------------------

    def _later(self, now: float, seconds: float) -> float:
        return now + seconds / self.speed

    # --- calls ---------------------------------------------------------------------------------

    def take_call(self, now: float) -> None:
        planned = pick_incident(self.rng)
        pk, lat, lon = self.rng.choice(self.addresses)
        channel = "999" if planned.grade == "emergency" or self.rng.random() < 0.5 else "101"
        answered = timezone.now()
        connected = answered - timedelta(seconds=answer_seconds(self.rng, channel))
        if channel == "999":
            lat, lon = near(self.rng, lat, lon, 25)
            call = incident_services.call_create(
                acting_user=self.user,
                channel=channel,
                connected_at=connected,
                answered_at=answered,
                aml_message=aml_message(self.rng, lat, lon, connected),
                what_was_said="Simulated call.",
            )
        else:
            call = incident_services.call_create(
                acting_user=self.user,
                channel=channel,
                connected_at=connected,
                answered_at=answered,
                address=Address.objects.get(pk=pk),
                what_was_said="Simulated call.",
            )
        incident = incident_services.incident_create(
            acting_user=self.user,
            opening_category=planned.category,
            qualifiers=list(planned.qualifiers),
            call=call,
            summary="Simulated incident.",
        )
        incident_services.thrive_record(acting_user=self.user, incident=incident, **THRIVE)
        incident_services.incident_grade(acting_user=self.user, incident=incident, grade=planned.grade)
        self.tally.calls += 1
        deploys = codes.grade(planned.grade).deploys and planned.grade in ("emergency", "priority")
        self.jobs[incident.pk] = Job(
            incident_id=incident.pk,
            grade=planned.grade,
            latitude=incident.latitude if incident.latitude is not None else lat,
            longitude=incident.longitude if incident.longitude is not None else lon,
            needs=needed_skills(planned.category, planned.qualifiers),
            dispatch_at=self._later(now, self.rng.uniform(15, 60)) if deploys else math.inf,
            next_at=self._later(now, self.rng.uniform(60, 240)) if not deploys else math.inf,
            stage="waiting" if deploys else "no_deployment",
        )

    # --- units -----------------------------------------------------------------------------------

    def dispatch(self, job: Job, now: float) -> None:
        incident = Incident.objects.get(pk=job.incident_id)
        found = selectors.recommendations_for(self.user, incident, limit=3).units
        if not found and job.needs:
            # Nobody with the skill is free: a real dispatcher would send someone anyway.
            found = selectors.recommendations_for(self.user, incident, skills=[], limit=3).units
        if not found:
            job.dispatch_at = self._later(now, 30)
            return
        unit = Unit.objects.get(pk=found[0].unit.pk)
        try:
            services.assignment_create(acting_user=self.user, incident=incident, unit=unit)
        except DomainError:
            self.tally.refused += 1  # someone (a person at the board) took it first
            job.dispatch_at = self._later(now, 5)
            return
        self.tally.assignments += 1
        job.unit_id = unit.pk
        job.stage = "assigned"
        job.next_at = self._later(now, self.rng.uniform(10, 40))

    def advance(self, job: Job, now: float) -> None:
        if job.stage == "no_deployment":
            self.close(job)
            return
        if job.unit_id is None:
            job.stage, job.dispatch_at = "waiting", now
            return
        unit = Unit.objects.get(pk=job.unit_id)
        if unit.status in (UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY, UnitStatus.REFRESHMENT):
            # A person stood the unit down: this incident needs another.
            job.stage, job.unit_id, job.dispatch_at = "waiting", None, now
            return
        if job.stage == "assigned":
            services.unit_set_status(acting_user=self.user, unit=unit, status=UnitStatus.EN_ROUTE)
            job.stage = "en_route"
            job.last_position_at = now
            if not self.move_units or unit.latitude is None or unit.longitude is None:
                seconds = 240.0
                if unit.latitude is not None and unit.longitude is not None:
                    seconds = float(
                        estimate(
                            unit.unit_type, unit.latitude, unit.longitude, job.latitude, job.longitude
                        ).eta_seconds
                    )
                job.next_at = self._later(now, seconds)
            else:
                job.next_at = now
        elif job.stage == "en_route":
            moving = self.move_units and unit.latitude is not None and unit.longitude is not None
            if moving and not self.drive(job, unit, now):
                return
            services.unit_set_status(acting_user=self.user, unit=unit, status=UnitStatus.AT_SCENE)
            self.tally.arrivals += 1
            job.stage = "at_scene"
            job.next_at = self._later(now, self.rng.uniform(120, 600))
        elif job.stage == "at_scene":
            services.unit_set_status(acting_user=self.user, unit=unit, status=UnitStatus.AVAILABLE)
            self.close(job)

    def drive(self, job: Job, unit: Unit, now: float) -> bool:
        """Move the unit towards the incident; True once it is there."""
        assert unit.latitude is not None and unit.longitude is not None
        real = now - job.last_position_at
        if real < POSITION_EVERY_SECONDS:
            return False
        job.last_position_at = now
        remaining = haversine_m(unit.latitude, unit.longitude, job.latitude, job.longitude)
        step = SPEED_KMH.get(unit.unit_type, 40.0) / 3.6 * real * self.speed
        if remaining <= max(step, 50.0):
            services.unit_update_position(
                acting_user=self.user, unit=unit, latitude=job.latitude, longitude=job.longitude
            )
            self.tally.moves += 1
            return True
        fraction = step / remaining
        services.unit_update_position(
            acting_user=self.user,
            unit=unit,
            latitude=unit.latitude + (job.latitude - unit.latitude) * fraction,
            longitude=unit.longitude + (job.longitude - unit.longitude) * fraction,
        )
        self.tally.moves += 1
        job.next_at = now
        return False

    def close(self, job: Job) -> None:
        incident = Incident.objects.get(pk=job.incident_id)
        if incident.is_open:
            category = codes.opening_category(incident.opening_category)
            incident_services.incident_close(
                acting_user=self.user,
                incident=incident,
                closing_category=incident.opening_category,
                closing_result="RESOLVED-ATTENDED" if job.unit_id else "RESOLVED-NO-DEPLOYMENT",
                crime_report_needed=True if category.crime_related else None,
            )
            self.tally.closed += 1
        self.jobs.pop(job.incident_id, None)

    # --- the loop ---------------------------------------------------------------------------------

    def step(self, now: float) -> None:
        while self.next_call <= now:
            self.take_call(now)
            self.next_call += self.rng.expovariate(self.rate / 60.0)
        for job in list(self.jobs.values()):
            try:
                if job.stage == "waiting" and job.dispatch_at <= now:
                    self.dispatch(job, now)
                elif job.stage != "waiting" and job.next_at <= now:
                    self.advance(job, now)
            except DomainError as refused:
                # A person changed something under us (closed the incident, moved the unit on): let go.
                self.tally.notes = [*self.tally.notes[-19:], refused.message]
                self.jobs.pop(job.incident_id, None)

    def run(
        self,
        duration: float,
        *,
        stop: threading.Event | None = None,
        progress: Callable[[Tally], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Tally:
        if not 0 < duration <= MAX_DURATION:
            raise ValueError(f"the duration must be above 0 and at most {MAX_DURATION:.0f} seconds")
        started = clock()
        self.next_call = started
        last_report = started
        while clock() - started < duration and not (stop is not None and stop.is_set()):
            now = clock()
            close_old_connections()
            self.step(now)
            if progress is not None and now - last_report >= 10:
                progress(self.tally)
                last_report = now
            pause = TICK_SECONDS - (clock() - now)
            if pause > 0:
                if stop is not None:
                    stop.wait(pause)
                else:
                    time.sleep(pause)
        self.wind_down()
        return self.tally

    def wind_down(self) -> None:
        """Stand down the simulator's units and close its incidents, so a stopped run leaves no unit
        tied up and no incident waiting that nobody is looking after."""
        for job in list(self.jobs.values()):
            try:
                if job.unit_id is not None:
                    assignment = Assignment.objects.filter(
                        incident_id=job.incident_id, unit_id=job.unit_id, cleared_at__isnull=True
                    ).first()
                    if assignment is not None:
                        services.assignment_clear(acting_user=self.user, assignment=assignment)
                self.close(job)
            except DomainError as refused:
                self.tally.notes = [*self.tally.notes[-19:], refused.message]
                self.jobs.pop(job.incident_id, None)


def simulate(
    *,
    rate: float,
    duration: float,
    move_units: bool = False,
    speed: float = 1.0,
    seed: int | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[Tally], None] | None = None,
) -> Tally:
    return Simulator(rate=rate, move_units=move_units, speed=speed, seed=seed).run(
        duration, stop=stop, progress=progress
    )
