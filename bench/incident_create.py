"""Creating incidents from calls through the API: p99 < 100 ms at >= 200 per second from 50 clients.

DESIGN section 8. A throwaway database on the ``DATABASE_URL`` server gets the migrations, the demo
geography and users; then ``iops run`` serves it as it would on this machine (its web workers,
``IOPS_WEB_WORKERS``, default twice the cores; no worker, no demo), and 50 concurrent clients POST
``/api/v1/incidents`` with an inline 999 call (a raw AML message), opening category, qualifiers,
THRIVE and a grade, as a call handler's bearer token, in one request each.

The load generator is this process: plain asyncio sockets speaking HTTP/1.1 with keep-alive (no
client library, so it costs the server's two cores little). It runs open loop: the 50 clients
between them send at the target rate, each request at its scheduled time, and a request's latency
counts from that scheduled time, so a slow server cannot hide its queue by slowing the clients
(no coordinated omission). After a warm-up, it measures for ``IOPS_BENCH_SECONDS`` (default 30),
then runs the 50 clients flat out for 10 s to show the server's capacity, for information.

Prints throughput, p50/p95/p99, errors, the server set-up and the machine, and PASS or FAIL; the
database is dropped afterwards. Run ``python -m bench incident_create``. Environment: IOPS_BENCH_RATE
(200), IOPS_BENCH_CLIENTS (50), IOPS_BENCH_SECONDS (30), IOPS_WEB_WORKERS (twice the cores), IOPS_WEB_THREADS (4), IOPS_BENCH_KEEP=1.

Helpers here (a scratch ``iops run`` server, the HTTP client, percentiles) are shared with
``board_stream``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._people import print_machine, run_in_scratch_database, setup_django  # noqa: E402

DATABASE = "iops_bench_incidents"
TARGET_P99_MS = 100.0
TARGET_RATE = 200.0
RATE = float(os.environ.get("IOPS_BENCH_RATE", str(TARGET_RATE)))
CLIENTS = int(os.environ.get("IOPS_BENCH_CLIENTS", "50"))
SECONDS = float(os.environ.get("IOPS_BENCH_SECONDS", "30"))
WARM_UP_SECONDS = 5.0
CAPACITY_SECONDS = 10.0
PAYLOADS = 3000


# --- shared: a scratch server, an HTTP client, figures -------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_workers() -> int:
    from iops.cli import DEFAULT_WEB_WORKERS

    return int(os.environ.get("IOPS_WEB_WORKERS", str(DEFAULT_WEB_WORKERS)))


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int


@contextmanager
def iops_server(*, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``iops run`` on a free loopback port (no demo data, no worker)."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "iops"),
        "run",
        "--no-demo",
        "--no-worker",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(web_workers()),
    ]
    env = {**os.environ, "IOPS_LOG_LEVEL": "WARNING", **(extra_env or {})}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if json.load(response).get("ready"):
                        break
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"iops run exited: {process.stderr.read() if process.stderr else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError("iops run was not ready within 120 s")
            time.sleep(0.2)
        yield Server("127.0.0.1", port, process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: enough of the protocol for JSON requests and answers."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self.open()
        assert self.reader is not None and self.writer is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        length = 0
        close = False
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        answer = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU time used so far by the server's processes and by PostgreSQL's backends for this database."""
    import psutil
    from django.db import connection

    def used(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return 0.0

    root = psutil.Process(server_pid)
    app = used(root) + sum(used(child) for child in root.children(recursive=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    database = sum(used(psutil.Process(pid)) for pid in backends if psutil.pid_exists(pid))
    return app, database


def cpu_ticks() -> tuple[int, int]:
    """Total and stolen CPU ticks of the machine so far (Linux /proc/stat; zeros elsewhere). Time
    stolen by the host from a virtual machine makes figures worse through no fault of the code."""
    try:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(values[:8]), values[7] if len(values) > 7 else 0


def stolen_line(before: tuple[int, int], after: tuple[int, int]) -> str:
    total = after[0] - before[0]
    return f"{(after[1] - before[1]) / total * 100:.1f}%" if total > 0 else "unknown"


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the calls -----------------------------------------------------------------------------------


def _payloads(count: int) -> list[dict[str, Any]]:
    """Distinct inline-call incidents at demo addresses: AML position, category, THRIVE, grade."""
    from iops.dispatch.synthetic import THRIVE, aml_message, near, pick_incident
    from iops.geo.models import Address

    rng = random.Random(2019)
    places = list(Address.objects.values_list("latitude", "longitude")[:5000])
    now = datetime.now(UTC)
    made = []
    for number in range(count):
        planned = pick_incident(rng)
        lat, lon = near(rng, *rng.choice(places), 30)
        graded = number % 5 != 4  # most are graded at once; some wait for the incident page
        made.append(
            {
                "call": {
                    "channel": "999",
                    "caller_name": f"Synthetic Caller {number}",
                    "caller_phone": "07700 900" + f"{number % 1000:03d}",
                    "what_was_said": "Synthetic benchmark call.",
                    "aml_message": aml_message(rng, lat, lon, now - timedelta(seconds=20)),
                },
                "opening_category": planned.category,
                "qualifiers": list(planned.qualifiers),
                "summary": "Synthetic benchmark incident.",
                "thrive": THRIVE if graded else None,
                "grade": planned.grade if graded else "",
            }
        )
    return made


def _prepare() -> tuple[str, list[bytes], int]:
    """Demo geography and users, a call handler's token, and the request bodies."""
    from django.db import transaction

    from iops.accounts.services import token_create, user_create
    from iops.incidents.models import Incident
    from iops.platform.demo import make_context, registered_steps

    context = make_context("small", seed=2019)
    for step in registered_steps():
        if step.name in ("geo", "accounts"):
            with transaction.atomic():
                step.run(context)
    handler = user_create(acting_user=None, username="bench_handler", password=None, roles=["call_handler"])
    token = token_create(acting_user=None, user=handler, name="bench")[1]
    bodies = [json.dumps(payload).encode() for payload in _payloads(PAYLOADS)]
    return token, bodies, Incident.objects.count()


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    service_ms: list[float] = field(default_factory=list)
    scheduled: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    completed: int = 0

    def record(self, status: int, scheduled: float, sent: float, done: float, answer: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 201:
            self.completed += 1
            self.latencies_ms.append((done - scheduled) * 1000)
            self.service_ms.append((done - sent) * 1000)
            self.scheduled.append(scheduled)
        elif len(self.failures) < 5:
            self.failures.append(f"{status}: {answer[:200]!r}")

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 201)


async def _client(
    index: int,
    host: str,
    port: int,
    headers: dict[str, str],
    bodies: list[bytes],
    *,
    start: float,
    stop: float,
    interval: float | None,
    results: Results | None,
) -> None:
    connection = HttpConnection(host, port)
    await connection.open()
    loop = asyncio.get_running_loop()
    # Clients are staggered evenly, so together they send at a steady rate.
    scheduled = start + (interval * index / CLIENTS if interval else 0.0)
    number = index
    try:
        # Stop at the end of the phase even if behind schedule: a slow server must not make it run on.
        while scheduled < stop and loop.time() < stop:
            now = loop.time()
            if interval and scheduled > now:
                await asyncio.sleep(scheduled - now)
            sent = loop.time()
            if not interval:
                scheduled = sent
            try:
                status, answer = await connection.request(
                    "POST", "/api/v1/incidents", headers, bodies[number % len(bodies)]
                )
            except (OSError, asyncio.IncompleteReadError) as error:
                status, answer = 599, str(error).encode()
                connection.close()
            done = loop.time()
            if results is not None:
                results.record(status, scheduled, sent, done, answer)
            number += CLIENTS
            scheduled = scheduled + interval if interval else done
    finally:
        connection.close()


async def _phase(
    host: str, port: int, token: str, bodies: list[bytes], seconds: float, rate: float | None, measure: bool
) -> tuple[Results, float]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    results = Results()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    stop = start + seconds
    interval = CLIENTS / rate if rate else None
    await asyncio.gather(
        *(
            _client(
                index,
                host,
                port,
                headers,
                bodies,
                start=start,
                stop=stop,
                interval=interval,
                results=results if measure else None,
            )
            for index in range(CLIENTS)
        )
    )
    return results, loop.time() - start


def _late_by_second(results: Results) -> str:
    """Where the slow requests fell: spread over the run (queueing) or bunched (a stall)."""
    if not results.scheduled:
        return ""
    first = min(results.scheduled)
    seconds: dict[int, int] = {}
    for scheduled, latency in zip(results.scheduled, results.latencies_ms, strict=True):
        if latency > TARGET_P99_MS:
            second = int(scheduled - first)
            seconds[second] = seconds.get(second, 0) + 1
    return ", ".join(f"{second}: {count}" for second, count in sorted(seconds.items()))


def inner() -> int:
    setup_django()
    from django.db import connection

    print(f"incident_create: POST /api/v1/incidents with an inline 999 call, {CLIENTS} clients", flush=True)
    started = time.monotonic()
    token, bodies, before = _prepare()
    connection.close()
    print(
        f"  set-up: migrations, demo geography and users, {len(bodies)} distinct calls ({time.monotonic() - started:.0f} s)"
    )
    print_machine(lambda line: print(f"  {line}"))
    pool = os.environ.get("IOPS_DB_POOL", "0")
    with iops_server(extra_env={"IOPS_DB_POOL": pool}) as server:
        host, port = server.host, server.port
        print(
            f"  server: iops run on {host}:{port}, {web_workers()} uvicorn workers, no background worker, "
            f"{os.environ.get('IOPS_WEB_THREADS', '4')} threads each with its own connection"
            + (", psycopg pool (IOPS_DB_POOL=1)" if pool == "1" else "")
        )
        load_before = load_line()
        warm_up, _ = asyncio.run(_phase(host, port, token, bodies, WARM_UP_SECONDS, RATE, measure=True))
        cpu_before, ticks_before = cpu_seconds(server.pid), cpu_ticks()
        results, _elapsed = asyncio.run(_phase(host, port, token, bodies, SECONDS, RATE, measure=True))
        cpu_after, ticks_after = cpu_seconds(server.pid), cpu_ticks()
        load_during = load_line()
        capacity, capacity_elapsed = asyncio.run(
            _phase(host, port, token, bodies, CAPACITY_SECONDS, None, measure=True)
        )
    from iops.incidents.models import Incident

    made = Incident.objects.count() - before
    throughput = results.completed / SECONDS
    p50, p95, p99 = (percentile(results.latencies_ms, f) for f in (0.50, 0.95, 0.99))
    s50, s99 = (percentile(results.service_ms, f) for f in (0.50, 0.99))
    passed = results.errors == 0 and throughput >= TARGET_RATE and p99 < TARGET_P99_MS
    print(
        f"  load average before {load_before}, after the measured run {load_during} (1, 5, 15 min); "
        f"CPU time stolen by the host during it: {stolen_line(ticks_before, ticks_after)}"
    )
    print(
        f"  offered {RATE:.0f}/s open loop for {SECONDS:.0f} s (after {WARM_UP_SECONDS:.0f} s warm-up): "
        f"{results.completed} incidents created, {throughput:.1f}/s, errors {results.errors}"
        + (f" {results.statuses}" if results.errors else "")
    )
    for failure in results.failures:
        print(f"    e.g. {failure}")
    print(
        f"  latency from scheduled send: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(results.latencies_ms, default=float('nan')):.1f} ms "
        f"(server time alone p50 {s50:.1f} ms, p99 {s99:.1f} ms)"
    )
    late = _late_by_second(results)
    if late:
        print(f"  over {TARGET_P99_MS:.0f} ms, by second of the run (second: how many): {late}")
    if capacity.completed:
        print(
            f"  capacity (for information): {CLIENTS} clients flat out for {CAPACITY_SECONDS:.0f} s: "
            f"{capacity.completed / capacity_elapsed:.0f}/s, p50 {percentile(capacity.latencies_ms, 0.5):.0f} ms, "
            f"p99 {percentile(capacity.latencies_ms, 0.99):.0f} ms, errors {capacity.errors}"
        )
    if results.completed:
        app = (cpu_after[0] - cpu_before[0]) / results.completed * 1000
        database = (cpu_after[1] - cpu_before[1]) / results.completed * 1000
        print(
            f"  CPU per incident: web server {app:.1f} ms + PostgreSQL {database:.1f} ms, so at most "
            f"{2000 / (app + database):.0f}/s on two otherwise idle cores of this machine"
        )
    answered = warm_up.completed + results.completed + capacity.completed
    print(f"  check: {answered} answered 201, {made} incidents in the database")
    passed = passed and made == answered
    print(
        f"  target p99 < {TARGET_P99_MS:.0f} ms at >= {TARGET_RATE:.0f}/s with no errors: "
        f"{'PASS' if passed else 'FAIL'}",
        flush=True,
    )
    return 0 if passed else 1


def main() -> bool:
    return run_in_scratch_database(Path(__file__).resolve(), DATABASE) == 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        sys.exit(inner())
    sys.exit(0 if main() else 1)
