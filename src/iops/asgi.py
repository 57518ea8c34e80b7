"""ASGI entry point: pages, the API and server-sent event streams, served by uvicorn."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iops.settings")

application = get_asgi_application()
