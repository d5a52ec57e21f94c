"""Rollups: per-monitor counts and latency histograms for a minute or an hour.

A :class:`Rollup` is a plain value that adds check results and merges with
other rollups exactly, so an hour is the same whether built from its results
or from its sixty minutes. The writer keeps the stored rollups current as
results arrive (late ones included); queries read them instead of raw results.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping

from onwatch.probes.base import CheckResult
from onwatch.store.histogram import LogHistogram

ROLLUP_COLUMNS = (
    "total",
    "good",
    "failures",
    "latency_sum_us",
    "latency_hist",
    "first_byte_hist",
)
"""The value columns every rollup table has, in :meth:`Rollup.values` order."""

MINUTE = 60
HOUR = 3600


def bucket_start(unix_seconds: float, period: int) -> int:
    """The Unix second at which the ``period``-second bucket holding a time starts."""
    return int(unix_seconds // period) * period


@dataclass(slots=True)  # the writer keeps one per monitor and open period
class Rollup:
    """Counts, failures by class and latency histograms of one period."""

    total: int = 0
    good: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latency_sum_us: int = 0  # integers add up exactly in any merge order
    latency: LogHistogram = field(default_factory=LogHistogram)
    first_byte: LogHistogram = field(default_factory=LogHistogram)

    def add(self, result: CheckResult) -> None:
        self.total += 1
        if result.ok:
            self.good += 1
        elif result.failure is not None:
            self.failures[result.failure.value] += 1
        if result.total_ms is not None:
            self.latency.add(result.total_ms)
            self.latency_sum_us += round(result.total_ms * 1000)
        if result.first_byte_ms is not None:
            self.first_byte.add(result.first_byte_ms)

    def merge(self, other: Rollup) -> None:
        self.total += other.total
        self.good += other.good
        if other.failures:  # mostly empty; Counter.update costs even then
            self.failures.update(other.failures)
        self.latency_sum_us += other.latency_sum_us
        self.latency.merge(other.latency)
        self.first_byte.merge(other.first_byte)

    @property
    def mean_ms(self) -> float | None:
        """Mean total latency of the checks that measured one."""
        count = self.latency.count
        return self.latency_sum_us / 1000 / count if count else None

    @property
    def availability(self) -> float | None:
        """Share of good checks, or ``None`` when there were none."""
        return self.good / self.total if self.total else None

    def values(self) -> tuple[Any, ...]:
        """Column values for a rollup table in :data:`ROLLUP_COLUMNS` order (no key columns)."""
        failures = json.dumps(dict(sorted(self.failures.items()))) if self.failures else "{}"
        return (
            self.total,
            self.good,
            failures,
            self.latency_sum_us,
            self.latency.to_bytes(),
            self.first_byte.to_bytes(),
        )

    def to_row(self) -> dict[str, Any]:
        """Column values for a rollup table by name (no key columns)."""
        return dict(zip(ROLLUP_COLUMNS, self.values(), strict=True))

    @classmethod
    def from_row(cls, row: RowMapping) -> Rollup:
        return cls.from_values([row[column] for column in ROLLUP_COLUMNS])

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Rollup:
        """A rollup from its column values in :data:`ROLLUP_COLUMNS` order."""
        total, good, failures, latency_sum_us, latency, first_byte = values
        return cls(
            total=total,
            good=good,
            failures=Counter(json.loads(failures)) if failures != "{}" else Counter(),
            latency_sum_us=latency_sum_us,
            latency=LogHistogram.from_bytes(latency),
            first_byte=LogHistogram.from_bytes(first_byte),
        )
