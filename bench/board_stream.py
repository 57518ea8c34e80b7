"""Live board updates: with 500 screens connected, a change reaches p95 of them in < 500 ms.

DESIGN section 8. A throwaway database on the ``DATABASE_URL`` server gets the migrations, the demo
geography and users and 20 units; ``iops run`` serves it as on this machine (its web workers,
default twice the cores, each with its one LISTEN connection for the event streams). This process opens 500
event streams (``GET /api/v1/events`` with a dispatcher's bearer token, as 500 boards would), waits
until every one has said ``ready``, then makes changes through the API, one every
``IOPS_BENCH_INTERVAL`` seconds: a unit's status (available <-> refreshment) by
``POST /api/v1/units/{id}/status``. Each change's event carries the unit's id and new version, so
each stream's arrival time of each change is known. Delivery time counts from the moment the change
request was sent (so it includes the API call, the commit, NOTIFY, and the fan-out to every stream);
arrival relative to the API's answer is shown too.

Prints p50/p95/p99 over every delivery, the slowest change's p95, events missed, the set-up and the
machine, and PASS or FAIL; the database is dropped afterwards. The streams are plain asyncio sockets
(HTTP/1.1, chunked), no client library. Run ``python -m bench board_stream``. Environment:
IOPS_BENCH_STREAMS (500), IOPS_BENCH_CHANGES (40), IOPS_BENCH_INTERVAL (0.5), IOPS_WEB_WORKERS (twice the cores).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._people import print_machine, run_in_scratch_database, setup_django  # noqa: E402
from bench.incident_create import HttpConnection, iops_server, load_line, percentile, web_workers  # noqa: E402

DATABASE = "iops_bench_board"
TARGET_P95_MS = 500.0
STREAMS = int(os.environ.get("IOPS_BENCH_STREAMS", "500"))
CHANGES = int(os.environ.get("IOPS_BENCH_CHANGES", "40"))
INTERVAL = float(os.environ.get("IOPS_BENCH_INTERVAL", "0.5"))
UNITS = 20
CONNECT_BATCH = 50
SETTLE_SECONDS = 5.0


@dataclass
class Stream:
    """One board's event stream: when each (unit, version) arrived, and whether it ever resynced."""

    index: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: dict[tuple[int, int], float] = field(default_factory=dict)
    resyncs: int = 0
    failed: str = ""
    writer: asyncio.StreamWriter | None = None

    def on_event(self, name: str, data: str, at: float) -> None:
        if name == "ready":
            self.ready.set()
        elif name == "resync":
            self.resyncs += 1
        elif name == "dispatch.unit_changed":
            payload = json.loads(data)
            self.arrivals.setdefault((payload["id"], payload["version"]), at)


async def _read_stream(stream: Stream, host: str, port: int, token: str) -> None:
    loop = asyncio.get_running_loop()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        stream.writer = writer
        writer.write(
            (
                f"GET /api/v1/events HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            stream.failed = head.split(b"\r\n", 1)[0].decode()
            stream.ready.set()
            return
        pending = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return
            pending += chunk[:-2]
            at = loop.time()
            while b"\n\n" in pending:
                block, _, pending = pending.partition(b"\n\n")
                name, data = "message", []
                for line in block.decode().split("\n"):
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                if data:
                    stream.on_event(name, "\n".join(data), at)
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        stream.failed = stream.failed or f"{type(error).__name__}: {error}"
        stream.ready.set()


def _prepare() -> tuple[str, list[int]]:
    from django.db import transaction

    from iops.accounts.services import token_create, user_create
    from iops.dispatch.services import unit_create
    from iops.platform.demo import make_context, registered_steps

    context = make_context("small", seed=2019)
    for step in registered_steps():
        if step.name in ("geo", "accounts"):
            with transaction.atomic():
                step.run(context)
    dispatcher = user_create(
        acting_user=None, username="bench_dispatcher", password=None, roles=["dispatcher"]
    )
    token = token_create(acting_user=None, user=dispatcher, name="bench")[1]
    units = [
        unit_create(
            acting_user=None,
            call_sign=f"BENCH-{number:02d}",
            unit_type="response",
            status="available",
            latitude=53.48 + number / 1000,
            longitude=-2.24,
        ).pk
        for number in range(UNITS)
    ]
    return token, units


@dataclass
class Change:
    unit: int
    version: int
    sent: float
    answered: float


async def _run(
    host: str, port: int, token: str, units: list[int]
) -> tuple[list[Stream], list[Change], float]:
    loop = asyncio.get_running_loop()
    streams = [Stream(index) for index in range(STREAMS)]
    readers = []
    started = loop.time()
    for first in range(0, STREAMS, CONNECT_BATCH):
        batch = streams[first : first + CONNECT_BATCH]
        readers += [asyncio.create_task(_read_stream(stream, host, port, token)) for stream in batch]
        await asyncio.wait_for(asyncio.gather(*(stream.ready.wait() for stream in batch)), 120)
    connected = loop.time() - started
    await asyncio.sleep(SETTLE_SECONDS)
    api = HttpConnection(host, port)
    await api.open()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    changes = []
    statuses = {unit: "available" for unit in units}
    for number in range(CHANGES):
        unit = units[number % len(units)]
        status = "refreshment" if statuses[unit] == "available" else "available"
        body = json.dumps({"status": status}).encode()
        sent = loop.time()
        code, answer = await api.request("POST", f"/api/v1/units/{unit}/status", headers, body)
        answered = loop.time()
        if code != 200:
            raise RuntimeError(f"status change refused: {code} {answer[:200]!r}")
        statuses[unit] = status
        changes.append(Change(unit, json.loads(answer)["version"], sent, answered))
        await asyncio.sleep(max(0.0, INTERVAL - (loop.time() - sent)))
    await asyncio.sleep(3)  # let the last change arrive everywhere
    api.close()
    for stream in streams:
        if stream.writer is not None:
            stream.writer.close()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return streams, changes, connected


def inner() -> int:
    setup_django()
    from django.db import connection

    print(f"board_stream: {STREAMS} live boards, {CHANGES} unit status changes through the API", flush=True)
    started = time.monotonic()
    token, units = _prepare()
    connection.close()
    print(
        f"  set-up: migrations, demo geography and users, {UNITS} units ({time.monotonic() - started:.0f} s)"
    )
    print_machine(lambda line: print(f"  {line}"))
    with iops_server(extra_env={"IOPS_DB_POOL": os.environ.get("IOPS_DB_POOL", "0")}) as server:
        host, port = server.host, server.port
        print(
            f"  server: iops run on {host}:{port}, {web_workers()} uvicorn workers (one LISTEN connection each), "
            f"database pool {'on' if os.environ.get('IOPS_DB_POOL', '0') == '1' else 'off'}"
        )
        load_before = load_line()
        streams, changes, connected = asyncio.run(_run(host, port, token, units))
        load_after = load_line()
    failed = [stream for stream in streams if stream.failed]
    live = [stream for stream in streams if not stream.failed]
    deliveries: list[float] = []
    from_commit: list[float] = []
    per_change_p95: list[float] = []
    missed = 0
    for change in changes:
        times = []
        for stream in live:
            at = stream.arrivals.get((change.unit, change.version))
            if at is None:
                missed += 1
                continue
            times.append((at - change.sent) * 1000)
            from_commit.append((at - change.answered) * 1000)
        deliveries += times
        if times:
            per_change_p95.append(percentile(times, 0.95))
    p50, p95, p99 = (percentile(deliveries, f) for f in (0.50, 0.95, 0.99))
    c50, c95 = (percentile(from_commit, f) for f in (0.50, 0.95))
    api_ms = [(change.answered - change.sent) * 1000 for change in changes]
    resyncs = sum(stream.resyncs for stream in live)
    passed = not failed and missed == 0 and p95 < TARGET_P95_MS
    print(f"  load average before {load_before}, after {load_after} (1, 5, 15 min)")
    print(
        f"  streams: {len(live)} connected and ready in {connected:.1f} s, {len(failed)} failed"
        + (f" (e.g. {failed[0].failed})" if failed else "")
        + f"; resyncs {resyncs}"
    )
    print(
        f"  changes: {len(changes)}, one every {INTERVAL:g} s; API answered in p50 {percentile(api_ms, 0.5):.0f} ms, "
        f"max {max(api_ms, default=0):.0f} ms"
    )
    print(
        f"  delivery from the change request, over {len(deliveries)} deliveries: p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, p99 {p99:.0f} ms, max {max(deliveries, default=float('nan')):.0f} ms; "
        f"worst change's p95 {max(per_change_p95, default=float('nan')):.0f} ms"
    )
    print(
        f"  arrival relative to the API's answer: p50 {c50:+.0f} ms, p95 {c95:+.0f} ms (negative: boards heard "
        f"of the change before its API call returned); missed {missed}"
    )
    print(
        f"  target p95 < {TARGET_P95_MS:.0f} ms to {STREAMS} boards, none missed: {'PASS' if passed else 'FAIL'}",
        flush=True,
    )
    return 0 if passed else 1


def main() -> bool:
    return run_in_scratch_database(Path(__file__).resolve(), DATABASE) == 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        sys.exit(inner())
    sys.exit(0 if main() else 1)
