"""Run benchmarks: ``python -m bench`` runs every module in bench/, ``python -m bench NAME...`` some.

A benchmark is a module here (not starting with ``_``) with a ``main()`` that prints its figures and
returns True (PASS) or False (FAIL); a main returning None counts as PASS. The exit status is 1 if
any benchmark failed or raised, so ``make bench`` can gate on it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(HERE)])
        if not module.name.startswith("_") and not module.ispkg
    )


def run(names: list[str]) -> int:
    known = available()
    unknown = [name for name in names if name not in known]
    if unknown:
        print(
            f"bench: no benchmark called {', '.join(unknown)}; there are: {', '.join(known)}", file=sys.stderr
        )
        return 64
    chosen = names or known
    outcomes: dict[str, str] = {}
    for name in chosen:
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(f"bench.{name}")
            passed = module.main()
            outcomes[name] = "FAIL" if passed is False else "PASS"
        except Exception:  # one broken benchmark must not stop the others
            traceback.print_exc()
            outcomes[name] = "ERROR"
        print(f"== {name}: {outcomes[name]} ({time.monotonic() - started:.0f} s)\n", flush=True)
    if len(chosen) > 1:
        print("summary: " + ", ".join(f"{name} {outcome}" for name, outcome in outcomes.items()))
    return 0 if all(outcome == "PASS" for outcome in outcomes.values()) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(run(sys.argv[1:]))
