"""ASGI entry point, served by uvicorn: async views on the event loop, the rest in a thread pool.

Django's own ASGI handler starts a thread for every request to a synchronous view and, because a
database connection belongs to a thread, opens (or borrows from a pool) a connection for every
request too. That is the right shape for a long-lived server-sent event stream, an async view
that waits on the event loop and holds no connection, and the wrong one for a short request such
as taking a call, which must be cheap. So requests whose view is async go to the ASGI handler;
the rest go to Django's WSGI handler run by a fixed pool of threads (``platform.wsgi_threads``),
each keeping its connection open between requests (``CONN_MAX_AGE``). See
docs/adr/0006-serving-requests.md.
"""

from __future__ import annotations

import gc
import os
from functools import lru_cache
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iops.settings")

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, get_resolver

from iops.platform.wsgi_threads import ThreadedWSGI

streaming = get_asgi_application()
threaded = ThreadedWSGI(get_wsgi_application(), threads=settings.IOPS_WEB_THREADS)

# Garbage collection: what is loaded by now lives as long as the process, so the collector stops
# looking at it (freeze), and it runs its young generations less often. The URL configuration is
# loaded first (else the first request would), so every view module is in what is frozen. The
# caches a search warms hold only plain tuples, which the collector stops tracking; see ADR 6.
get_resolver(settings.ROOT_URLCONF).url_patterns  # noqa: B018 - imported for its side effect
gc.collect()
gc.freeze()
gc.set_threshold(*settings.IOPS_GC_THRESHOLDS)


@lru_cache(maxsize=8192)
def is_async_view(urlconf: str, path: str) -> bool:
    """Whether the view at ``path`` is a coroutine function (remembered per URL configuration)."""
    try:
        match = get_resolver(urlconf).resolve(path)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not is_async_view(settings.ROOT_URLCONF, scope["path"]):
        await threaded(scope, receive, send)
    else:
        await streaming(scope, receive, send)
