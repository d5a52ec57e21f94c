"""``INSERT ... ON CONFLICT DO NOTHING`` for whichever backend a connection uses."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(
    connection: Connection, table: Table, conflict_columns: Sequence[str]
) -> Insert:
    """An insert that skips rows whose ``conflict_columns`` already exist."""
    columns = list(conflict_columns)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)
    return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
