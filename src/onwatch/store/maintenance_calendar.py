"""Which moments are maintenance, answered in memory for every check result.

A :class:`MaintenanceCalendar` is built from the stored windows
(:func:`onwatch.store.maintenance.load_windows`) for a span of time, with every
occurrence worked out once, so the evaluator classifies each result without a
database round trip. It is rebuilt when the table changes
(:func:`~onwatch.store.maintenance.maintenance_version`) or when time leaves
the span it was built for.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from onwatch.store.maintenance import StoredWindow, load_windows, maintenance_version

__all__ = ["MaintenanceCalendar", "load_calendar", "merge_intervals"]


@dataclass(frozen=True)
class _Scheduled:
    window: StoredWindow
    begins: tuple[float, ...]
    ends: tuple[float, ...]

    def holds(self, at: float) -> bool:
        index = bisect_right(self.begins, at) - 1
        return index >= 0 and at < self.ends[index]


def merge_intervals(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, non-overlapping ``(begin, end)`` pieces covering the same time."""
    merged: list[tuple[float, float]] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


class MaintenanceCalendar:
    """The occurrences of a set of windows within ``[since, until)``."""

    def __init__(
        self,
        windows: Iterable[StoredWindow],
        since: float,
        until: float,
        version: tuple[int, ...] = (),
    ) -> None:
        self.since = since
        self.until = until
        self.version = version
        """The :func:`~onwatch.store.maintenance.maintenance_version` it was built at."""
        self._scheduled: list[_Scheduled] = []
        for window in windows:
            intervals = window.intervals(since, until)
            if intervals:
                begins, ends = zip(*intervals, strict=True)
                self._scheduled.append(_Scheduled(window, begins, ends))

    def covers(self, since: float, until: float) -> bool:
        """Whether it was built for a span holding ``[since, until)``."""
        return self.since <= since and until <= self.until

    def windows_at(self, at: float, service: str | None, monitor: str) -> list[StoredWindow]:
        """Windows covering ``monitor`` (of ``service``) in an occurrence at ``at``."""
        return [
            item.window
            for item in self._scheduled
            if item.window.applies_to(service, monitor) and item.holds(at)
        ]

    def reason_at(self, at: float, service: str | None, monitor: str) -> str | None:
        """The reason of the first window covering ``monitor`` at ``at``, else None."""
        windows = self.windows_at(at, service, monitor)
        return windows[0].reason if windows else None

    def reasons_at(self, at: float, service: str | None, monitors: Iterable[str]) -> list[str]:
        """Reasons of every window covering any of ``monitors`` at ``at``, each once, by id."""
        found: dict[int, str] = {}
        for monitor in monitors:
            for window in self.windows_at(at, service, monitor):
                found.setdefault(window.id, window.reason)
        return [found[key] for key in sorted(found)]

    def reasons_in_span(self, service: str | None, monitors: Iterable[str]) -> list[str]:
        """Reasons of every window with an occurrence in the calendar's span covering any of
        ``monitors``, each once, by id: why time was left out of a budget."""
        names = list(monitors)
        found = {
            item.window.id: item.window.reason
            for item in self._scheduled
            if any(item.window.applies_to(service, monitor) for monitor in names)
        }
        return [found[key] for key in sorted(found)]

    def excluded(
        self, service: str | None, monitor: str, since: float, until: float
    ) -> list[tuple[float, float]]:
        """The maintenance time of ``monitor`` within ``[since, until)``, merged and sorted."""
        pieces = []
        for item in self._scheduled:
            if not item.window.applies_to(service, monitor):
                continue
            for begin, end in zip(item.begins, item.ends, strict=True):
                if begin < until and end > since:
                    pieces.append((max(begin, since), min(end, until)))
        return merge_intervals(pieces)


def load_calendar(connection: Connection, since: float, until: float) -> MaintenanceCalendar:
    """The calendar of every stored window over ``[since, until)``, stamped with its version."""
    version = maintenance_version(connection)
    return MaintenanceCalendar(load_windows(connection), since, until, version)
