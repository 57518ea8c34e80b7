"""The JSON API: one django-ninja instance at /api/v1 that mounts every app's router."""
