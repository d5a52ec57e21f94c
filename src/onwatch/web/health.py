"""``GET /healthz``: is this onwatch up, can it reach its database, does it keep its schedule?

Public (load balancers and container runtimes call it without a login), so
it says nothing a stranger could use: no URLs, no monitor names, no driver
messages (those go to the log). 200 with ``ok`` or ``degraded``; 503 when the
database does not answer within :data:`PING_TIMEOUT` seconds, because then no
result can be stored and a node behind a load balancer should be taken out.
A late scheduler or a long writer queue only make the status ``degraded``:
restarting would not make either better.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from onwatch import __version__
from onwatch.errors import DatabaseUnavailableError
from onwatch.store.database import ping
from onwatch.web.context import context_of

log = logging.getLogger(__name__)

PING_TIMEOUT = 5.0
"""Seconds the database gets to answer ``SELECT 1``."""
LATE_SECONDS = 5.0
"""Scheduler lateness (p99 of the latest monitor) above which the status is ``degraded``."""
QUEUE_LIMIT = 10_000
"""Results waiting for the writer above which the status is ``degraded``."""

router = APIRouter(tags=["health"])


class DatabaseHealth(BaseModel):
    reachable: bool
    backend: str = Field(description="sqlite or postgresql")


class SchedulerHealth(BaseModel):
    monitors: int = Field(description="Monitors scheduled by this process")
    lateness_p99_seconds: float | None = Field(
        description="The largest p99 start lateness of any monitor (recent starts)"
    )
    lateness_max_seconds: float = Field(description="The largest lateness since the start")
    in_flight: int
    waiting: int = Field(description="Checks due but waiting for a concurrency cap")


class WriterHealth(BaseModel):
    queue_depth: int = Field(description="Results waiting to be written")
    committed_results: int = Field(description="Results written since this process started")


class Health(BaseModel):
    """The state of this onwatch process."""

    status: Literal["ok", "degraded"]
    problems: list[str] = Field(description="Why the status is degraded (empty when ok)")
    version: str
    database: DatabaseHealth
    scheduler: SchedulerHealth
    writer: WriterHealth


async def _database_answers(request: Request) -> bool:
    database = context_of(request).service.database
    try:
        await asyncio.wait_for(asyncio.to_thread(ping, database), PING_TIMEOUT)
    except DatabaseUnavailableError as exc:
        log.warning("health check: %s", exc)  # the message masks the password
        return False
    except TimeoutError:
        log.warning("health check: the database did not answer within %gs", PING_TIMEOUT)
        return False
    return True


@router.get(
    "/healthz",
    response_model=Health,
    summary="Process, database and scheduler health (public)",
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
async def healthz(request: Request) -> JSONResponse:
    """``ok`` or ``degraded``, with the reasons; 503 when the database does not answer."""
    service = context_of(request).service
    reachable = await _database_answers(request)
    # Read on the event loop: the scheduler updates these figures there.
    stats = service.scheduler.stats().values()
    p99 = [s.p99_lateness for s in stats if s.p99_lateness is not None]
    health = Health(
        status="ok",
        problems=[],
        version=__version__,
        database=DatabaseHealth(reachable=reachable, backend=service.database.backend),
        scheduler=SchedulerHealth(
            monitors=len(stats),
            lateness_p99_seconds=max(p99, default=None),
            lateness_max_seconds=max((s.max_lateness for s in stats), default=0.0),
            in_flight=service.scheduler.in_flight,
            waiting=service.scheduler.waiting,
        ),
        writer=WriterHealth(
            queue_depth=service.writer.queue_depth,
            committed_results=service.writer.committed_results,
        ),
    )
    if not reachable:
        health.problems.append("the database does not answer")
    late = health.scheduler.lateness_p99_seconds
    if late is not None and late > LATE_SECONDS:
        health.problems.append(f"checks start {late:.1f}s late (p99)")
    if health.writer.queue_depth > QUEUE_LIMIT:
        health.problems.append(f"{health.writer.queue_depth} results wait to be written")
    if health.problems:
        health.status = "degraded"
    return JSONResponse(health.model_dump(mode="json"), status_code=200 if reachable else 503)
