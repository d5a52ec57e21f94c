"""Monitor identities: a monitor is its name; the database gives each name a small id.

Ids keep the result and rollup tables compact. A renamed monitor is a new
monitor; a changed one keeps its name and so its history.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, select

from onwatch.store.tables import monitors
from onwatch.store.upsert import insert_ignoring_conflicts


class MonitorIds:
    """Name → id, created on first use and cached (ids never change once given)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def resolve(self, connection: Connection, names: Iterable[str]) -> dict[str, int]:
        """Ids for ``names``, inserting the ones the database has not seen."""
        wanted = set(names)
        missing = wanted - self._ids.keys()
        if missing:
            now_ms = int(time.time() * 1000)
            connection.execute(
                insert_ignoring_conflicts(connection, monitors, ["name"]),
                [{"name": name, "created_at": now_ms} for name in sorted(missing)],
            )
            rows = connection.execute(
                select(monitors.c.name, monitors.c.id).where(monitors.c.name.in_(missing))
            )
            # A rolled-back transaction must call forget(): its new ids never existed.
            self._ids.update({name: int(id_) for name, id_ in rows})
        return {name: self._ids[name] for name in wanted}

    def forget(self) -> None:
        """Drop the cache (after a rolled-back transaction that may have created ids)."""
        self._ids.clear()

    def lookup(self, connection: Connection, name: str) -> int | None:
        """The id of an existing monitor, or ``None``."""
        if name in self._ids:
            return self._ids[name]
        id_ = connection.execute(select(monitors.c.id).where(monitors.c.name == name)).scalar()
        if id_ is not None:
            self._ids[name] = id_
        return id_
