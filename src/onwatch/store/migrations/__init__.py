"""Alembic migrations of the onwatch schema, applied at start by :mod:`onwatch.store.database`."""
