"""Start-up time: from a stopped state, how long until ``iops run`` answers ``/readyz`` as ready.

Target (issue 2): under 20 s on the embedded PostgreSQL. Measured twice on a private data folder:
the very first start (initdb, migrations, demo data) for information, then a start from a stopped
state (server and database stopped, data present), which is the figure with the target.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_SECONDS = 20.0
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(json.load(response).get("ready"))
    except OSError:
        return False


def time_start(data_dir: Path, *, demo: bool, limit: float = 600) -> float:
    """Seconds from launching ``iops run`` to the first ready answer; the server is then stopped."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "IOPS_EMBEDDED_DATABASE"}
    }
    env["IOPS_DATA_DIR"] = str(data_dir)
    command = [str(ROOT / ".venv" / "bin" / "iops"), "run", "--port", str(port), "--no-worker"]
    if not demo:
        command.append("--no-demo")
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not _ready(port):
            if process.poll() is not None:
                raise RuntimeError(
                    f"iops run exited early: {process.stderr.read() if process.stderr else ''}"
                )
            if time.monotonic() - started > limit:
                raise RuntimeError("iops run was not ready in time")
            time.sleep(0.1)
        return time.monotonic() - started
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> bool:
    folder = Path(tempfile.mkdtemp(prefix="iops-bench-startup-"))
    try:
        first = time_start(folder, demo=True)
        time.sleep(1)  # let the embedded server finish stopping
        again = time_start(folder, demo=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    passed = again < TARGET_SECONDS
    print("startup: iops run until /readyz is ready (embedded PostgreSQL)")
    print(f"  first start (initdb, migrations, small demo force): {first:6.1f} s  (for information)")
    print(
        f"  start from a stopped state:                         {again:6.1f} s  target < {TARGET_SECONDS:.0f} s  "
        f"{'PASS' if passed else 'FAIL'}"
    )
    return passed


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
