"""``/api/v1/mutes``: silence a monitor's notifications for a while, without a policy commit.

Reading needs a viewer; muting and unmuting need an editor (a session also
needs its CSRF token). A mute keeps incidents on record and only holds back
their notifications; it ends by itself, and who muted and unmuted is kept.
Unknown monitors, empty reasons and lengths outside 1 s to 30 days are 422
naming the field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from onwatch.accounts.roles import Role
from onwatch.policy.checks import suggest
from onwatch.policy.types import Duration
from onwatch.store.maintenance_request import monitor_names
from onwatch.store.mutes import Mute, UnknownMuteError, add_mute, end_mute, list_mutes
from onwatch.web.api.errors import field_error
from onwatch.web.api.models import Error, utc
from onwatch.web.auth import Principal, api_principal
from onwatch.web.context import WebContext, context_of

Context = Annotated[WebContext, Depends(context_of)]
Viewer = Annotated[Principal, Depends(api_principal())]
Editor = Annotated[Principal, Depends(api_principal(Role.EDITOR))]

router = APIRouter(
    prefix="/api/v1",
    tags=["mutes"],
    responses={
        401: {"model": Error, "description": "No valid session or bearer token"},
        403: {"model": Error, "description": "The role may not do this (writes need editor)"},
    },
)


class NewMute(BaseModel):
    """What to mute, for how long, and why."""

    model_config = ConfigDict(extra="forbid")

    monitor: str = Field(examples=["checkout"], description="A monitor, pool or pool backend")
    lasting: Duration = Field(alias="for", examples=["2h"], description="e.g. 30m, 2h, 1d")
    reason: str = Field(examples=["Payment provider migration"])


class MuteOut(BaseModel):
    """A mute and whether it silences now."""

    model_config = ConfigDict(frozen=True)

    id: int
    monitor: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    active: bool

    @classmethod
    def of(cls, mute: Mute, now: float) -> MuteOut:
        return cls(
            id=mute.id,
            monitor=mute.monitor,
            reason=mute.reason,
            created_by=mute.created_by,
            created_at=utc(mute.created_at),
            expires_at=utc(mute.expires_at),
            ended_at=utc(mute.ended_at) if mute.ended_at is not None else None,
            ended_by=mute.ended_by,
            active=mute.active(now),
        )


@router.get("/mutes", summary="List mutes")
async def get_mutes(
    _: Viewer,
    context: Context,
    all: Annotated[bool, Query(description="Include expired and ended mutes")] = False,
) -> list[MuteOut]:
    """Mutes silencing now (and past ones with ``all=true``), newest first."""
    now = context.service.clock.now()

    def read() -> list[Mute]:
        with context.service.database.engine.connect() as connection:
            return list_mutes(connection, now=now, include_past=all)

    return [MuteOut.of(mute, now) for mute in await run_in_threadpool(read)]


@router.post("/mutes", status_code=201, summary="Mute a monitor")
async def mute_monitor(body: NewMute, principal: Editor, context: Context) -> MuteOut:
    """Hold back the monitor's notifications from now for ``for``; incidents still open."""
    known = monitor_names(context.service.policy)
    if body.monitor not in known:
        message = f'"{body.monitor}" is not a monitor{suggest(body.monitor, known)}'
        raise field_error("body", "monitor", message, body.monitor)
    if not body.reason.strip():
        raise field_error("body", "reason", "say why (it is shown wherever the monitor is)", "")
    if body.lasting > timedelta(days=30):
        raise field_error("body", "for", "a mute lasts at most 30 days", str(body.lasting))
    now = context.service.clock.now()

    def write() -> Mute:
        with context.service.database.engine.begin() as connection:
            return add_mute(
                connection,
                monitor=body.monitor,
                reason=body.reason,
                lasting=body.lasting,
                created_by=principal.name,
                now=now,
            )

    return MuteOut.of(await run_in_threadpool(write), now)


@router.delete(
    "/mutes/{mute_id:int}",
    summary="End a mute now",
    responses={404: {"model": Error, "description": "No mute with that id"}},
)
async def unmute(mute_id: int, principal: Editor, context: Context) -> MuteOut:
    """End the mute now; who ended it is kept. Ending it again changes nothing."""
    now = context.service.clock.now()

    def write() -> Mute:
        with context.service.database.engine.begin() as connection:
            return end_mute(connection, mute_id, by=principal.name, now=now)

    try:
        return MuteOut.of(await run_in_threadpool(write), now)
    except UnknownMuteError as exc:
        raise HTTPException(404, str(exc)) from None
