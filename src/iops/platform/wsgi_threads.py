"""Django's WSGI handler run by a fixed pool of threads, under the ASGI server (uvicorn).

The request body is read on the event loop, the whole of Django's work (middleware, view, and
closing the response, which is when Django hands back the thread's database connection) is one
task for a pool thread, and an ordinary response comes back as bytes that the event loop sends.
One hand-over each way per request. A streaming response (a file, an export) is sent chunk by
chunk from the thread as it is produced.

This replaced a2wsgi, which hands every message across (reading the body, starting the response,
each chunk, the end) with the thread waiting on the event loop each time: those hand-overs cost
about a fifth of a web process's CPU on the control room's busiest request. See
docs/adr/0006-serving-requests.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Coroutine[Any, Any, None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A body larger than this goes to a temporary file rather than memory (Django's own upload limit).
SPOOL_BYTES = 2_621_440


class _Disconnected(Exception):
    """The client went away before sending the whole request."""


def _latin1(value: str) -> str:
    """A WSGI "bytes as latin-1" string from a decoded ASGI string."""
    return value.encode("utf-8").decode("latin-1")


def environ_for(scope: dict[str, Any], body: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP request (PEP 3333)."""
    script_name = _latin1(scope.get("root_path", ""))
    path_info = _latin1(scope["path"])
    if script_name and path_info.startswith(script_name):
        path_info = path_info[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 0),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


async def read_body(receive: Receive) -> IO[bytes]:
    """The whole request body: in memory, or in a temporary file once it is large."""
    chunks: list[bytes] = []
    size = 0
    spooled: IO[bytes] | None = None
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if spooled is not None:
                spooled.close()
            raise _Disconnected
        chunk = message.get("body", b"")
        if chunk:
            if spooled is not None:
                spooled.write(chunk)
            else:
                chunks.append(chunk)
                size += len(chunk)
                if size > SPOOL_BYTES:
                    spooled = tempfile.TemporaryFile()  # noqa: SIM115 (returned open, closed by the caller)
                    spooled.write(b"".join(chunks))
                    chunks = []
        if not message.get("more_body", False):
            break
    if spooled is not None:
        spooled.seek(0)
        return spooled
    return io.BytesIO(chunks[0] if len(chunks) == 1 else b"".join(chunks))


class ThreadedWSGI:
    """An ASGI application serving HTTP requests with a WSGI application in ``threads`` threads."""

    def __init__(self, app: WSGIApp, *, threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="iops-web")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"ThreadedWSGI serves HTTP only, not {scope['type']}")
        try:
            body = await read_body(receive)
        except _Disconnected:
            return
        loop = asyncio.get_running_loop()
        # Each request starts from the event loop's context, not what the thread's last one left.
        context = contextvars.copy_context()
        try:
            answer = await loop.run_in_executor(
                self.executor, context.run, self._respond, environ_for(scope, body), loop, send
            )
        finally:
            body.close()
        if answer is not None:
            status, headers, content = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})

    def _respond(
        self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop, send: Send
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """In a pool thread: the whole response, or None if it was streamed from here already."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and started and started[2]:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [
                int(status.split(" ", 1)[0]),
                [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
                False,
            ]
            return _no_write

        def deliver(message: Message) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        iterable = self.app(environ, start_response)
        try:
            if not getattr(iterable, "streaming", False):
                content = b"".join(iterable)
                return started[0], started[1], content
            for chunk in iterable:
                if not started[2]:
                    started[2] = True
                    deliver({"type": "http.response.start", "status": started[0], "headers": started[1]})
                if chunk:
                    deliver({"type": "http.response.body", "body": chunk, "more_body": True})
            if not started[2]:
                deliver({"type": "http.response.start", "status": started[0], "headers": started[1]})
            deliver({"type": "http.response.body", "body": b""})
            return None
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()  # in this thread: Django's request_finished tidies this thread's connection


def _no_write(data: bytes) -> None:
    raise NotImplementedError("write() of PEP 3333 is not supported; return an iterable")
