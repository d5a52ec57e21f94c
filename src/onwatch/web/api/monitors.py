"""``/api/v1/monitors``: the monitors of the running policy, their checks and statistics.

Every route needs a viewer (session or ``Authorization: Bearer ow_...``).
Names come from the policy read at request time (a SIGHUP reload shows at
once); pool backends are monitors too, named ``pool#1``: write ``#`` as ``%23``
in paths (``/api/v1/monitors/api%231/results``), or the client drops the rest
as a fragment. Bad parameters get 422 naming the field, unknown monitors 404.
Database reads run in worker threads; scheduler figures are read on the event
loop that updates them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, WithJsonSchema
from sqlalchemy import Connection, and_, or_, select
from starlette.concurrency import run_in_threadpool

from onwatch.policy.monitors import Pool
from onwatch.pools import judge_pool
from onwatch.probes.base import CheckResult
from onwatch.store.queries import monitor_ids
from onwatch.store.results import RESULT_COLUMNS, latest_results, result_from_row
from onwatch.store.rollups import MINUTE
from onwatch.store.stats import combined_window_stats
from onwatch.store.tables import check_results
from onwatch.web.api.catalogue import Entry, catalogue, unknown_monitor_message
from onwatch.web.api.errors import field_error
from onwatch.web.api.models import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Error,
    Monitor,
    MonitorDetail,
    PoolVerdict,
    Result,
    ResultsPage,
    Schedule,
    Stats,
    Window,
    utc,
)
from onwatch.web.auth import api_principal
from onwatch.web.context import WebContext, context_of

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_LAST_UNIX_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


def _unix_seconds(value: Any) -> Any:
    """``2026-09-21T10:00:00Z`` (no zone: UTC) or Unix seconds → float seconds."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f'"{text}" is not an ISO 8601 time or Unix seconds '
                "(e.g. 2026-09-21T10:00:00Z or 1790000000)"
            ) from None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if not 0 <= seconds <= _LAST_UNIX_SECOND:
        raise ValueError(f'"{text}" is outside 1970-01-01 to 9999-12-31')
    return seconds


Moment = Annotated[
    float | None,
    BeforeValidator(_unix_seconds),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
            "examples": ["2026-09-21T10:00:00Z", 1790000000],
        }
    ),
]

Context = Annotated[WebContext, Depends(context_of)]
MonitorName = Annotated[
    str, Path(description="The monitor's name; for a pool backend write # as %23 (api%231)")
]

router = APIRouter(
    prefix="/api/v1",
    tags=["monitors"],
    dependencies=[Depends(api_principal())],
    responses={
        401: {"model": Error, "description": "No valid session or bearer token"},
        403: {"model": Error, "description": "The role may not read monitors"},
    },
)
_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "No monitor of that name in the running policy"}
}


def _find(context: WebContext, name: str) -> Entry:
    entries = catalogue(context.service.policy)
    if name not in entries:
        raise HTTPException(404, unknown_monitor_message(name, list(entries)))
    return entries[name]


def _read_latest(context: WebContext, names: list[str]) -> dict[str, CheckResult]:
    with context.service.database.engine.connect() as connection:
        return latest_results(connection, names) if names else {}


def _describe(entry: Entry, latest: dict[str, CheckResult]) -> dict[str, Any]:
    config = entry.config
    verdict = None
    if entry.is_pool and isinstance(config, Pool):
        verdict = PoolVerdict.of(judge_pool(config, latest))
    own = None if entry.is_pool else latest.get(entry.name)
    return {
        "name": entry.name,
        "type": entry.type,
        "target": entry.target,
        "service": config.service,
        "interval_seconds": config.interval.total_seconds(),
        "timeout_seconds": config.timeout.total_seconds(),
        "runbook": config.runbook,
        "pool": entry.pool.name if entry.pool else None,
        "backends": entry.backends,
        "latest": Result.of(own) if own else None,
        "pool_status": verdict,
    }


@router.get("/monitors", summary="List the monitors of the running policy")
async def list_monitors(context: Context) -> list[Monitor]:
    """Every monitor, pool and pool backend, with its latest check (pools: their verdict)."""
    entries = catalogue(context.service.policy)
    names = [name for entry in entries.values() for name in entry.stored_names]
    latest = await run_in_threadpool(_read_latest, context, sorted(set(names)))
    return [Monitor(**_describe(entry, latest)) for entry in entries.values()]


@router.get("/monitors/{name}", summary="One monitor", responses=_UNKNOWN)
async def get_monitor(name: MonitorName, context: Context) -> MonitorDetail:
    """A monitor with its latest check and how well this process keeps its schedule."""
    entry = _find(context, name)
    latest = await run_in_threadpool(_read_latest, context, entry.stored_names)
    stats = None if entry.is_pool else context.service.scheduler.stats().get(entry.name)
    schedule = Schedule.of(stats) if stats else None
    return MonitorDetail(**_describe(entry, latest), schedule=schedule)


def _invalid(field: str, message: str, value: Any) -> RequestValidationError:
    return field_error("query", field, message, value)


@dataclass(frozen=True)
class _PageQuery:
    """One page of raw results: ``[since, until)`` in Unix seconds, after ``cursor``."""

    since: float | None
    until: float | None
    cursor: tuple[int, int] | None  # (started_at ms, row id) of the last row already shown
    limit: int


def _read_page(
    context: WebContext, names: list[str], page: _PageQuery
) -> tuple[list[CheckResult], tuple[int, int] | None]:
    with context.service.database.engine.connect() as connection:
        ids = monitor_ids(connection, names)
        return _page(connection, {id_: name for name, id_ in ids.items()}, page)


def _page(
    connection: Connection, names: dict[int, str], page: _PageQuery
) -> tuple[list[CheckResult], tuple[int, int] | None]:
    """The page's results, newest first, and the cursor of the next page (None: last)."""
    if not names:
        return [], None
    started, row_id = check_results.c.started_at, check_results.c.id
    query = select(row_id, *(check_results.c[column] for column in RESULT_COLUMNS)).where(
        check_results.c.monitor_id.in_(list(names))
    )
    if page.since is not None:
        query = query.where(started >= math.ceil(page.since * 1000))
    if page.until is not None:
        query = query.where(started < math.ceil(page.until * 1000))
    if page.cursor is not None:
        at, last = page.cursor
        query = query.where(or_(started < at, and_(started == at, row_id < last)))
    query = query.order_by(started.desc(), row_id.desc()).limit(page.limit + 1)
    rows = connection.execute(query).all()
    results = [result_from_row(names[row[1]], row[1:]) for row in rows[: page.limit]]
    if len(rows) <= page.limit:
        return results, None
    last_row = rows[page.limit - 1]
    return results, (int(last_row[2]), int(last_row[0]))


@router.get(
    "/monitors/{name}/results",
    summary="Stored checks of a monitor, newest first, paged",
    responses=_UNKNOWN,
)
async def get_results(
    name: MonitorName,
    request: Request,
    context: Context,
    since: Annotated[Moment, Query(description="Oldest check start (inclusive)")] = None,
    until: Annotated[Moment, Query(description="Newest check start (exclusive)")] = None,
    limit: Annotated[
        int, Query(ge=1, description=f"Page size; values above {MAX_LIMIT} are capped")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(pattern=r"^\d{1,18}_\d{1,18}$", description="From `next` of a page")
    ] = None,
) -> ResultsPage:
    """Raw checks in ``[since, until)`` (ISO 8601 or Unix seconds; raw checks are kept 7 days
    by default, use ``/stats`` for longer ranges). A pool's page holds all its backends."""
    entry = _find(context, name)
    if since is not None and until is not None and since >= until:
        raise _invalid("since", "since must be earlier than until", request.query_params["since"])
    page_size = min(limit, MAX_LIMIT)
    after = None
    if cursor:
        at, last = cursor.split("_")
        after = (int(at), int(last))
    page = _PageQuery(since, until, after, page_size)
    results, following = await run_in_threadpool(_read_page, context, entry.stored_names, page)
    next_page = None
    if following is not None:
        kept = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "limit")
        ]
        query = urlencode(
            [*kept, ("limit", page_size), ("cursor", f"{following[0]}_{following[1]}")]
        )
        next_page = f"{request.url.path}?{query}"
    return ResultsPage(
        monitor=entry.name,
        since=None if since is None else utc(since),
        until=None if until is None else utc(until),
        limit=page_size,
        limit_capped=limit > MAX_LIMIT,
        results=[Result.of(result) for result in results],
        next=next_page,
    )


@router.get(
    "/monitors/{name}/stats",
    summary="Counts, availability and latency percentiles over a window",
    responses=_UNKNOWN,
)
async def get_stats(
    name: MonitorName,
    context: Context,
    window: Annotated[Window, Query(description="1h, 24h, 7d or 30d")] = Window.DAY,
) -> Stats:
    """From the rollups: the window ends at the end of the current minute. Percentiles are
    within 1% of the exact ones. A pool's figures are those of all its backends together."""
    entry = _find(context, name)
    until = (math.floor(context.service.clock.now() / MINUTE) + 1) * MINUTE
    since = until - window.seconds

    def read() -> Stats:
        with context.service.database.engine.connect() as connection:
            ids = list(monitor_ids(connection, entry.stored_names).values())
            stats = combined_window_stats(connection, ids, since, until)
        return Stats.of(entry.name, entry.stored_names, window, stats)

    return await run_in_threadpool(read)
