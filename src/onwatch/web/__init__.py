"""The web side of onwatch: JSON API, dashboard, health and metrics, in one FastAPI app."""
