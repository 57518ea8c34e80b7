"""The synthetic force: a registry of demo-data steps that each app contributes.

An app adds to the demo force by defining steps in its ``demo.py``::

    @demo_step("people", order=300)
    def people(context: DemoContext) -> None:
        ...

``iops demo-data`` discovers every app's ``demo`` module and runs the steps in order, sharing one
seeded random generator and one Faker (``en_GB``), so the same ``--seed`` builds the same force.
Every name, address and event is synthetic.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSize:
    """How big a demo force is. Apps scale their own volumes from these figures."""

    name: str
    districts: int
    neighbourhoods_per_district: int
    beats_per_neighbourhood: int
    addresses: int
    users_per_role: int
    persons: int
    incidents_per_day: int
    crimes: int
    days: int


SIZES = {
    "small": DemoSize("small", 3, 3, 2, 1_500, 2, 1_000, 120, 600, 28),
    "medium": DemoSize("medium", 6, 4, 3, 12_000, 4, 20_000, 400, 6_000, 56),
    "large": DemoSize("large", 10, 5, 4, 60_000, 8, 200_000, 1_200, 40_000, 91),
}


@dataclass
class DemoContext:
    """What a demo step gets: the size, a seeded generator, Faker, and what earlier steps made."""

    size: DemoSize
    seed: int
    random: random.Random
    faker: Faker
    # Steps leave things here for later steps (e.g. "users_by_role", "addresses").
    made: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, number: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + number


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoContext], None]


_steps: dict[str, DemoStep] = {}


def demo_step(
    name: str, *, order: int
) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    """Register a demo-data step. Lower ``order`` runs first (geo 100, accounts 200, people 300...)."""

    def register(function: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        _steps[name] = DemoStep(name=name, order=order, run=function)
        return function

    return register


def registered_steps() -> list[DemoStep]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))


def make_context(size: str = "small", seed: int = 2019) -> DemoContext:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    return DemoContext(size=SIZES[size], seed=seed, random=random.Random(seed), faker=faker)


def build_demo_force(
    size: str = "small", seed: int = 2019, *, progress: Callable[[str], None] | None = None
) -> DemoContext:
    """Run every registered step. Each step runs in its own transaction and is idempotent per seed."""
    from django.db import transaction

    context = make_context(size, seed)
    for step in registered_steps():
        if progress:
            progress(f"demo data: {step.name}...")
        with transaction.atomic():
            step.run(context)
    return context
