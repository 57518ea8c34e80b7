"""Sub-commands that later apps add to ``iops``. Each function takes argparse's sub-parser
collection and adds its parsers; handlers set Django up through ``iops.cli.setup_django``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def _duties(sub: Any) -> None:
    def sweep(args: argparse.Namespace) -> None:
        from iops.cli import _call, setup_django

        setup_django()
        _call("duties_sweep", at=args.at or "")

    duties = sub.add_parser("duties", help="duties with clocks")
    duties_sub = duties.add_subparsers(dest="duties_command", metavar="ACTION", required=True)
    sweep_parser = duties_sub.add_parser(
        "sweep", help="escalate overdue duties now (or as if at --at ISO-TIME)"
    )
    sweep_parser.add_argument(
        "--at", default="", help="e.g. 2026-11-23T09:00 (local time unless an offset is given)"
    )
    sweep_parser.set_defaults(handler=sweep)


def _simulate(sub: Any) -> None:
    def simulate(args: argparse.Namespace) -> None:
        from iops.cli import _call, setup_django

        setup_django()
        _call(
            "simulate",
            rate=args.rate,
            duration=args.duration,
            units_move=args.units_move,
            speed=args.speed,
            seed=args.seed,
        )

    parser = sub.add_parser(
        "simulate", help="feed synthetic calls and unit movements so the live board can be watched working"
    )
    parser.add_argument("--rate", type=float, default=6.0, help="calls per minute (default 6, at most 600)")
    parser.add_argument(
        "--duration", type=float, default=600.0, help="seconds to run (default 600, at most 86400)"
    )
    parser.add_argument(
        "--units-move", action="store_true", help="units drive to incidents, reporting their positions"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="run travel and time at scene this many times faster (1-60)"
    )
    parser.add_argument("--seed", type=int, default=None, help="the same seed gives the same calls")
    parser.set_defaults(handler=simulate)


EXTENSIONS: list[Callable[[Any], None]] = [_duties, _simulate]
