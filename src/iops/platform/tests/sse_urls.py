"""URLs for the live-event tests: a bare stream of the topics asked for, open to anyone.

Only the tests mount this; real streams check who may listen before calling ``event_stream``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from iops.platform.sse import event_stream


async def stream(request: HttpRequest) -> HttpResponse:
    topics = [topic for topic in request.GET.get("topics", "test.ping").split(",") if topic]
    heartbeat = float(request.GET.get("heartbeat", "15"))
    return event_stream(request, topics, heartbeat=heartbeat)


urlpatterns = [path("stream", stream)]
