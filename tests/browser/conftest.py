"""Browser tests: Playwright driving Debian's Chromium against iOPS served by uvicorn in-process.

The server runs in a thread of the test process, so it uses the test database; tests that use it
are transactional (their writes are committed, so the server sees them). Playwright never
downloads a browser: it drives /usr/bin/chromium (installed by ``scripts/setup --test``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("IOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Playwright's sync API keeps an event loop in the test thread; Django's ORM refuses to run
# beside one unless told it is safe. It is here: tests and the loop never share a connection.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_url(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """iOPS served over HTTP on a free loopback port, for the whole test session."""
    import uvicorn
    from django.conf import settings

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with django_db_blocker.unblock():
        port = _free_port()
        config = uvicorn.Config(
            "iops.asgi:application", host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 20 s")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; run scripts/setup --test (it installs Debian's chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server_url: str, transactional_db: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=server_url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(transactional_db: Any) -> Any:
    """Create a user with roles, for signing in as in a browser."""
    from iops.accounts.services import user_create

    def make(username: str, *roles: str, **fields: Any) -> Any:
        return user_create(
            acting_user=None, username=username, password=PASSWORD, roles=list(roles), **fields
        )

    return make


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
