"""Platform: base models, events, demo-data registry, the UI shell and health checks."""
