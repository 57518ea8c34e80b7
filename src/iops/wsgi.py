"""WSGI entry point, for servers that speak WSGI only (no live streams)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iops.settings")

application = get_wsgi_application()
