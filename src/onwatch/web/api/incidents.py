"""``/api/v1/incidents``: incidents with their timelines and delivery attempts; ack and resolve.

Reading needs a viewer; acknowledging and resolving need an editor (a session
also needs its CSRF token). An acknowledgement stops the escalation; a
resolve tells everyone who was paged. Unknown incidents are 404, changing a
resolved one is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from onwatch.accounts.roles import Role
from onwatch.incidents import (
    Incident,
    IncidentEvent,
    IncidentResolvedError,
    UnknownIncidentError,
    get_incident,
    list_incidents,
    timeline,
)
from onwatch.notify.actions import acknowledge_incident, resolve_incident
from onwatch.notify.outbox import AttemptRecord, attempts_for
from onwatch.web.api.models import MAX_LIMIT, Error, utc
from onwatch.web.auth import Principal, api_principal
from onwatch.web.context import WebContext, context_of
from onwatch.web.evaluations import latest_evaluations

Context = Annotated[WebContext, Depends(context_of)]
Viewer = Annotated[Principal, Depends(api_principal())]
Editor = Annotated[Principal, Depends(api_principal(Role.EDITOR))]

router = APIRouter(
    prefix="/api/v1",
    tags=["incidents"],
    responses={
        401: {"model": Error, "description": "No valid session or bearer token"},
        403: {"model": Error, "description": "The role may not do this (ack/resolve need editor)"},
    },
)
_UNKNOWN: dict[int | str, dict[str, object]] = {
    404: {"model": Error, "description": "No incident with that id"}
}
_CHANGE: dict[int | str, dict[str, object]] = {
    **_UNKNOWN,
    409: {"model": Error, "description": "The incident is already resolved"},
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class IncidentOut(_Model):
    """An incident: what, how bad, its state and who changed it."""

    id: int
    title: str = Field(examples=["checkout is down"])
    subject_kind: Literal["monitor", "objective", "service"]
    subject: str
    condition: str = Field(examples=["down", "slow", "flapping", "page-1h"])
    severity: Literal["page", "ticket"]
    service: str | None
    state: Literal["triggered", "acknowledged", "resolved"]
    members: list[str] = Field(description="Monitors it covers (several when grouped)")
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    in_maintenance: bool = Field(description="Recorded during maintenance: nobody was paged")
    escalation: str | None
    next_step_at: datetime | None = Field(description="When the cascade's next step is due")

    @classmethod
    def of(cls, incident: Incident) -> IncidentOut:
        def moment(value: float | None) -> datetime | None:
            return None if value is None else utc(value)

        return cls.model_validate(
            {
                "id": incident.id,
                "title": incident.title,
                "subject_kind": incident.subject_kind,
                "subject": incident.subject,
                "condition": incident.condition,
                "severity": incident.severity,
                "service": incident.service,
                "state": incident.state,
                "members": list(incident.members),
                "opened_at": utc(incident.opened_at),
                "acknowledged_at": moment(incident.acknowledged_at),
                "acknowledged_by": incident.acknowledged_by,
                "resolved_at": moment(incident.resolved_at),
                "resolved_by": incident.resolved_by,
                "in_maintenance": incident.in_maintenance,
                "escalation": incident.escalation,
                "next_step_at": moment(incident.next_step_at),
            }
        )


class TimelineEntry(_Model):
    at: datetime
    kind: str = Field(examples=["triggered", "notified", "acknowledged", "resolved"])
    actor: str | None
    via: str | None = Field(examples=["api", "cli", "link", "dashboard", "auto"])
    detail: str

    @classmethod
    def of(cls, event: IncidentEvent) -> TimelineEntry:
        return cls(
            at=utc(event.at), kind=event.kind, actor=event.actor, via=event.via, detail=event.detail
        )


class Attempt(_Model):
    """One try to deliver one message."""

    key: str = Field(description="The message's idempotency key")
    contact: str
    channel: str
    step: int | None
    started_at: datetime
    elapsed_ms: float
    ok: bool
    error: str | None

    @classmethod
    def of(cls, record: AttemptRecord) -> Attempt:
        return cls(
            key=record.key,
            contact=record.contact,
            channel=record.channel,
            step=record.step,
            started_at=utc(record.started_at),
            elapsed_ms=record.elapsed_ms,
            ok=record.ok,
            error=record.error,
        )


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntry]
    attempts: list[Attempt] = Field(description="Every notification attempt, oldest first")


@router.get("/incidents", summary="List incidents")
async def get_incidents(
    _: Viewer,
    context: Context,
    state: Annotated[
        Literal["triggered", "acknowledged", "resolved"] | None, Query(description="Only these")
    ] = None,
    since: Annotated[
        float | None, Query(description="Unix seconds: opened since then, or still open")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> list[IncidentOut]:
    """Incidents newest first."""

    def read() -> list[Incident]:
        with context.service.database.engine.connect() as connection:
            return list_incidents(connection, state=state, since=since, limit=limit)

    return [IncidentOut.of(incident) for incident in await run_in_threadpool(read)]


@router.get("/incidents/{incident_id:int}", summary="One incident", responses=_UNKNOWN)
async def get_one(incident_id: int, _: Viewer, context: Context) -> IncidentDetail:
    """An incident with its timeline and every notification attempt."""

    def read() -> tuple[Incident, list[IncidentEvent], list[AttemptRecord]]:
        with context.service.database.engine.connect() as connection:
            incident = get_incident(connection, incident_id)
            return (
                incident,
                timeline(connection, incident_id),
                attempts_for(connection, incident_id),
            )

    try:
        incident, events, attempts = await run_in_threadpool(read)
    except UnknownIncidentError as exc:
        raise HTTPException(404, str(exc)) from None
    return IncidentDetail(
        **IncidentOut.of(incident).model_dump(),
        timeline=[TimelineEntry.of(event) for event in events],
        attempts=[Attempt.of(record) for record in attempts],
    )


@router.post("/incidents/{incident_id:int}/ack", summary="Acknowledge", responses=_CHANGE)
async def ack(incident_id: int, principal: Editor, context: Context) -> IncidentOut:
    """Acknowledge: the cascade stops; acknowledging again changes nothing."""
    service = context.service

    def write() -> Incident:
        return acknowledge_incident(
            service.database, incident_id, by=principal.name, via="api", now=service.clock.now()
        )

    return IncidentOut.of(await _changing(write))


@router.post("/incidents/{incident_id:int}/resolve", summary="Resolve", responses=_CHANGE)
async def resolve(incident_id: int, principal: Editor, context: Context) -> IncidentOut:
    """Resolve: everyone who was paged is told."""
    service = context.service

    def write() -> Incident:
        return resolve_incident(
            service.database,
            service.policy,
            incident_id,
            by=principal.name,
            via="api",
            now=service.clock.now(),
            evaluations=latest_evaluations(service).values(),
        )

    return IncidentOut.of(await _changing(write))


async def _changing(write: Callable[[], Incident]) -> Incident:
    """Run a change off the event loop, answering 404 and 409 for the incident errors."""
    try:
        result = await run_in_threadpool(write)
    except UnknownIncidentError as exc:
        raise HTTPException(404, str(exc)) from None
    except IncidentResolvedError as exc:
        raise HTTPException(409, str(exc)) from None
    return result
