"""A small server-sent-events client and an in-thread uvicorn server, for tests that need a real
stream: the server runs the project's ASGI application on a free loopback port, and the client
reads events from a plain socket in a thread, so a test can wait for the event it expects."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any


@dataclass
class Event:
    name: str
    data: str
    received_at: float

    def json(self) -> Any:
        return json.loads(self.data)


class StreamClient:
    """Reads one event stream in a background thread; ``next_event`` waits for the next one."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str] | None = None) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.events: queue.Queue[Event] = queue.Queue()
        self.comments = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self._head = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if not self._head.wait(10):
            raise TimeoutError("no response headers within 10 s")

    def _read(self) -> None:
        buffer = b""
        try:
            while b"\r\n\r\n" not in buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode().split("\r\n")
            self.status = int(status_line.split()[1])
            for line in header_lines:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
            self._head.set()
            chunked = self.headers.get("transfer-encoding") == "chunked"
            streaming = self.headers.get("content-type", "").startswith("text/event-stream")
            pending = b""
            while True:
                if chunked:
                    while b"\r\n" not in buffer:
                        more = self.sock.recv(65536)
                        if not more:
                            return
                        buffer += more
                    size_line, _, buffer = buffer.partition(b"\r\n")
                    size = int(size_line.split(b";")[0], 16)
                    while len(buffer) < size + 2:
                        more = self.sock.recv(65536)
                        if not more:
                            return
                        buffer += more
                    piece, buffer = buffer[:size], buffer[size + 2 :]
                    if size == 0:
                        return
                else:
                    piece = buffer or self.sock.recv(65536)
                    buffer = b""
                    if not piece:
                        return
                if not streaming:
                    self.body += piece
                    continue
                pending += piece
                while b"\n\n" in pending:
                    block, _, pending = pending.partition(b"\n\n")
                    self._parse(block.decode())
        except OSError:
            return
        finally:
            self._head.set()

    def _parse(self, block: str) -> None:
        name, data = "message", []
        only_comments = True
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            only_comments = False
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if only_comments:
            self.comments += 1
            return
        if data:
            self.events.put(Event(name, "\n".join(data), time.monotonic()))

    def next_event(self, timeout: float = 5.0, *, skip: tuple[str, ...] = ()) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no event in time")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError("no event in time") from None
            if event.name not in skip:
                return event

    def close(self) -> None:
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server() -> Iterator[str]:
    """The project's ASGI application under uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        "iops.asgi:application",
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
