"""A short account of what a database holds, for ``onwatch db status`` and operators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from onwatch.store.database import Database, check_schema_version
from onwatch.store.queries import stored_range
from onwatch.store.tables import check_results, monitors, rollups_hour, rollups_minute


def _when(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_database(database: Database) -> list[tuple[str, str]]:
    """(label, value) rows: schema revision, row counts, covered time range."""
    rows = [("schema revision", str(check_schema_version(database.engine)))]
    with database.engine.connect() as connection:
        for label, table in (
            ("monitors", monitors),
            ("raw results", check_results),
            ("minute rollups", rollups_minute),
            ("hour rollups", rollups_hour),
        ):
            count = connection.execute(select(func.count()).select_from(table)).scalar() or 0
            rows.append((label, f"{count:,}"))
        covered = stored_range(connection)
    rows.append(
        (
            "rollups cover",
            f"{_when(covered[0])} – {_when(covered[1] + 60)}" if covered else "nothing yet",
        )
    )
    return rows
