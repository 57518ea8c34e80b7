"""``simulate --rate 6 --duration 600 --units-move``: feed synthetic calls and unit movements through
the services so the live board can be watched working (see ``iops.dispatch.simulation``)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.dispatch.simulation import MAX_DURATION, MAX_RATE, Tally, simulate


class Command(BaseCommand):
    help = "Feed synthetic calls, incidents, assignments and unit movements at a chosen rate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rate", type=float, default=6.0, help="calls per minute (default 6)")
        parser.add_argument("--duration", type=float, default=600.0, help="seconds to run (default 600)")
        parser.add_argument(
            "--units-move", action="store_true", help="units drive to incidents, reporting positions"
        )
        parser.add_argument(
            "--speed", type=float, default=1.0, help="run travel and time at scene faster (1-60)"
        )
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["rate"] <= MAX_RATE:
            raise CommandError(f"--rate must be above 0 and at most {MAX_RATE:.0f} calls a minute.")
        if not 0 < options["duration"] <= MAX_DURATION:
            raise CommandError(f"--duration must be above 0 and at most {MAX_DURATION:.0f} seconds.")
        stop = threading.Event()

        def ask_to_stop(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGTERM, ask_to_stop)

        def report(tally: Tally) -> None:
            self.stdout.write(
                f"  {tally.calls} calls, {tally.assignments} assignments, {tally.arrivals} arrivals, "
                f"{tally.closed} closed, {tally.moves} position reports"
            )

        self.stdout.write(
            f"Simulating {options['rate']:g} calls a minute for {options['duration']:g} s"
            f"{' with moving units' if options['units_move'] else ''} (Ctrl-C stops)."
        )
        try:
            tally = simulate(
                rate=options["rate"],
                duration=options["duration"],
                move_units=options["units_move"],
                speed=options["speed"],
                seed=options["seed"],
                stop=stop,
                progress=report,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        report(tally)
        self.stdout.write("Simulation stopped.")
