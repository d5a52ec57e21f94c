"""The one error the test PostgreSQL harness raises."""

from __future__ import annotations


class PostgresError(RuntimeError):
    """The test PostgreSQL server could not be found, started or used."""
