"""The thread-pool bridge between uvicorn and Django's WSGI handler: what a request and its answer
look like on each side, streamed answers, large bodies, and clients that leave early."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from iops.platform import wsgi_threads
from iops.platform.wsgi_threads import ThreadedWSGI

SCOPE: dict[str, Any] = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/api/v1/caf\u00e9",
    "root_path": "",
    "query_string": b"a=1&b=two",
    "server": ("127.0.0.1", 8000),
    "client": ("10.0.0.9", 51000),
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", b"11"),
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"x-forwarded-for", b"2.2.2.2"),
        (b"cookie", b"a=1"),
        (b"cookie", b"b=2"),
    ],
}


def run_loop(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main()`` on an event loop of its own, in a thread of its own (the test session may
    already have a loop running in this one, as the browser tests' harness does)."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # handed back to the test's thread
            failures.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def serve(
    app: Any, messages: list[dict[str, Any]], scope: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Run one request through the bridge; the messages it sent back."""
    sent: list[dict[str, Any]] = []
    incoming = list(messages)

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:
        await ThreadedWSGI(app, threads=1)(scope or SCOPE, receive, send)

    run_loop(main)
    return sent


def test_a_request_in_several_parts_reaches_the_app_whole_and_its_answer_comes_back() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "application/json"), ("X-Thing", "yes")])
        return [b'{"id":', b" 7}"]

    sent = serve(
        app,
        [
            {"type": "http.request", "body": b'{"a": ', "more_body": True},
            {"type": "http.request", "body": b'"b"}', "more_body": False},
        ],
    )
    assert seen["body"] == b'{"a": "b"}'
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/api/v1/caf\u00e9".encode().decode("latin-1")  # PEP 3333 form
    assert seen["QUERY_STRING"] == "a=1&b=two"
    assert seen["CONTENT_TYPE"] == "application/json" and seen["CONTENT_LENGTH"] == "11"
    assert seen["HTTP_X_FORWARDED_FOR"] == "1.1.1.1,2.2.2.2"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert (seen["REMOTE_ADDR"], seen["SERVER_NAME"], seen["SERVER_PORT"]) == (
        "10.0.0.9",
        "127.0.0.1",
        "8000",
    )
    assert sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"x-thing", b"yes")],
        },
        {"type": "http.response.body", "body": b'{"id": 7}'},
    ]


class Streamed:
    """A streaming answer, as Django's StreamingHttpResponse and FileResponse say they are."""

    streaming = True

    def __init__(self) -> None:
        self.closed_in: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        yield b"first,"
        yield b""
        yield b"second"

    def close(self) -> None:
        self.closed_in = threading.current_thread().name


def test_a_streamed_answer_is_sent_as_it_comes_and_closed_in_the_thread_that_made_it() -> None:
    answer = Streamed()
    made_in: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Streamed:
        made_in.append(threading.current_thread().name)
        start_response("200 OK", [("Content-Type", "text/csv")])
        return answer

    sent = serve(app, [{"type": "http.request", "body": b"", "more_body": False}])
    assert [message["type"] for message in sent] == ["http.response.start"] + ["http.response.body"] * 3
    assert [message.get("body") for message in sent[1:]] == [b"first,", b"second", b""]
    assert [message.get("more_body", False) for message in sent[1:]] == [True, True, False]
    assert answer.closed_in == made_in[0] and made_in[0].startswith("iops-web")


def test_a_large_body_is_spooled_and_read_whole(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsgi_threads, "SPOOL_BYTES", 1000)
    lengths: list[int] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        lengths.append(len(environ["wsgi.input"].read()))
        start_response("200 OK", [])
        return [b"ok"]

    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": True} for _ in range(4)]
    chunks.append({"type": "http.request", "body": b"y" * 10, "more_body": False})
    sent = serve(app, chunks)
    assert lengths == [2410]
    assert sent[-1] == {"type": "http.response.body", "body": b"ok"}


def test_a_client_that_leaves_before_its_body_is_not_served() -> None:
    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        called.append(True)
        start_response("200 OK", [])
        return [b""]

    sent = serve(
        app, [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )
    assert called == [] and sent == []


REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def test_each_request_starts_from_a_clean_context_in_a_reused_thread() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(REQUEST_ID.get())
        REQUEST_ID.set(environ["QUERY_STRING"])
        start_response("204 No Content", [])
        return []

    bridge = ThreadedWSGI(app, threads=1)

    async def twice() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            return None

        for query in (b"first", b"second"):
            await bridge({**SCOPE, "query_string": query}, receive, send)

    run_loop(twice)
    assert seen == ["none", "none"]
