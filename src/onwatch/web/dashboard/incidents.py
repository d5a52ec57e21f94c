"""The incidents pages: open (and recent) incidents, one incident's timeline, and the buttons.

``/incidents`` lists open incidents first, then those resolved in the last 7
days; ``/incidents/{id}`` shows the timeline and every notification attempt.
Acknowledge and resolve are POST forms (editor, CSRF-checked) that go
through :mod:`onwatch.notify.actions`, like the API and the acknowledge links,
and come back to the incident's page. Active mutes are listed with who set
them and until when.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onwatch.accounts.roles import Role
from onwatch.incidents import IncidentError, get_incident, list_incidents, open_incidents, timeline
from onwatch.notify.actions import acknowledge_incident, resolve_incident
from onwatch.notify.outbox import attempts_for
from onwatch.store.mutes import list_mutes
from onwatch.web.auth import Principal, page_principal, verify_csrf
from onwatch.web.context import WebContext, context_of
from onwatch.web.evaluations import latest_evaluations
from onwatch.web.templating import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(page_principal())]
Editor = Annotated[Principal, Depends(page_principal(Role.EDITOR))]
Context = Annotated[WebContext, Depends(context_of)]
RECENT = 7 * 86400.0


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, principal: Viewer, context: Context) -> Response:
    """Open incidents, the ones resolved in the last week, and the active mutes."""
    service = context.service
    now = service.clock.now()
    with service.database.engine.connect() as connection:
        still_open = open_incidents(connection)
        recent = [
            item
            for item in list_incidents(connection, state="resolved", since=now - RECENT)
            if item.resolved_at is not None and item.resolved_at >= now - RECENT
        ]
        mutes = list_mutes(connection, now=now)
    return templates.TemplateResponse(
        request,
        "dashboard/incidents.html",
        {
            "principal": principal,
            "section": "incidents",
            "open": still_open,
            "recent": recent,
            "mutes": mutes,
            "now": now,
            "can_act": principal.role.allows(Role.EDITOR),
        },
    )


@router.get("/incidents/{incident_id:int}", response_class=HTMLResponse)
def incident_page(
    request: Request, incident_id: int, principal: Viewer, context: Context
) -> Response:
    """One incident: what, its timeline, every notification attempt, and the buttons."""
    with context.service.database.engine.connect() as connection:
        try:
            incident = get_incident(connection, incident_id)
        except IncidentError:
            raise HTTPException(404, f"no incident with id {incident_id}") from None
        events = timeline(connection, incident_id)
        attempts = attempts_for(connection, incident_id)
    return templates.TemplateResponse(
        request,
        "dashboard/incident.html",
        {
            "principal": principal,
            "section": "incidents",
            "incident": incident,
            "events": events,
            "attempts": attempts,
            "now": context.service.clock.now(),
            "can_act": principal.role.allows(Role.EDITOR),
        },
    )


@router.post("/incidents/{incident_id:int}/ack", dependencies=[Depends(verify_csrf)])
def acknowledge_button(incident_id: int, principal: Editor, context: Context) -> Response:
    """The Acknowledge button: the cascade stops."""
    service = context.service
    try:
        acknowledge_incident(
            service.database,
            incident_id,
            by=principal.name,
            via="dashboard",
            now=service.clock.now(),
        )
    except IncidentError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id:int}/resolve", dependencies=[Depends(verify_csrf)])
def resolve_button(incident_id: int, principal: Editor, context: Context) -> Response:
    """The Resolve button: everyone who was paged is told."""
    service = context.service
    try:
        resolve_incident(
            service.database,
            service.policy,
            incident_id,
            by=principal.name,
            via="dashboard",
            now=service.clock.now(),
            evaluations=latest_evaluations(service).values(),
        )
    except IncidentError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
