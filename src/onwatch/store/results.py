"""Check results as table rows, and reading the latest ones back.

:data:`RESULT_COLUMNS` is the one place that lists how a
:class:`~onwatch.probes.base.CheckResult` maps onto ``check_results``: the
writer's hot path and every reader use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.tables import check_results, monitors

RESULT_COLUMNS = (
    "monitor_id",
    "started_at",
    "ok",
    "failure",
    "total_ms",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "transfer_ms",
    "status_code",
    "bytes_read",
    "detail",
    "location",
)


def result_values(result: CheckResult, monitor_id: int) -> tuple[Any, ...]:
    """The ``check_results`` row of one result, in :data:`RESULT_COLUMNS` order."""
    return (
        monitor_id,
        round(result.started_at * 1000),
        result.ok,
        result.failure.value if result.failure else None,
        result.total_ms,
        result.dns_ms,
        result.connect_ms,
        result.tls_ms,
        result.first_byte_ms,
        result.transfer_ms,
        result.status_code,
        result.bytes_read,
        result.detail,
        result.location,
    )


def result_from_row(name: str, row: Sequence[Any]) -> CheckResult:
    """A stored ``check_results`` row (selected in :data:`RESULT_COLUMNS` order) as a result."""
    values = dict(zip(RESULT_COLUMNS, row, strict=True))
    failure = values["failure"]
    return CheckResult(
        monitor=name,
        started_at=values["started_at"] / 1000,
        ok=bool(values["ok"]),
        failure=FailureClass(failure) if failure else None,
        **{
            column: values[column]
            for column in RESULT_COLUMNS
            if column not in ("monitor_id", "started_at", "ok", "failure")
        },
    )


def latest_results(connection: Connection, names: Sequence[str]) -> dict[str, CheckResult]:
    """The most recent stored result of each named monitor that has one."""
    newest = (
        select(check_results.c.monitor_id, func.max(check_results.c.started_at).label("at"))
        .join(monitors, monitors.c.id == check_results.c.monitor_id)
        .where(monitors.c.name.in_(names))
        .group_by(check_results.c.monitor_id)
        .subquery()
    )
    query = (
        select(monitors.c.name, *(check_results.c[column] for column in RESULT_COLUMNS))
        .join(monitors, monitors.c.id == check_results.c.monitor_id)
        .join(
            newest,
            (newest.c.monitor_id == check_results.c.monitor_id)
            & (newest.c.at == check_results.c.started_at),
        )
    )
    return {row[0]: result_from_row(row[0], row[1:]) for row in connection.execute(query)}
