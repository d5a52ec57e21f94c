"""``/ack/<token>``: acknowledge one incident from the link in a text or an e-mail, no login.

The route is public (:data:`onwatch.web.public.PUBLIC_PATHS`) because the
signed token is the permission: it names one incident and expires
(:mod:`onwatch.notify.acklinks`). Opening the link shows the incident and one
button; only the button (a POST) acknowledges, so mail scanners and link
previews that fetch every URL acknowledge nothing. A forged, altered or
expired token gets 403 and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from onwatch.incidents import Incident, IncidentError, get_incident
from onwatch.notify.acklinks import AckGrant, read_ack_token
from onwatch.notify.actions import acknowledge_incident
from onwatch.web.context import WebContext, context_of
from onwatch.web.templating import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Context = Annotated[WebContext, Depends(context_of)]


def _grant(context: WebContext, token: str) -> AckGrant:
    grant = read_ack_token(context.secret_key, token, now=context.service.clock.now())
    if grant is None:
        raise HTTPException(403, "This acknowledge link is not valid or has expired.")
    return grant


def _page(request: Request, incident: Incident, token: str, *, done: bool) -> Response:
    response = templates.TemplateResponse(
        request, "ack.html", {"incident": incident, "token": token, "done": done}
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/ack/{token}", response_class=HTMLResponse)
async def ack_page(request: Request, token: str, context: Context) -> Response:
    """The incident and an "Acknowledge" button (nothing changes on GET)."""
    grant = _grant(context, token)

    def read() -> Incident:
        with context.service.database.engine.connect() as connection:
            return get_incident(connection, grant.incident_id)

    try:
        incident = await run_in_threadpool(read)
    except IncidentError:
        raise HTTPException(404, "No such incident.") from None
    return _page(request, incident, token, done=False)


@router.post("/ack/{token}", response_class=HTMLResponse)
async def ack_now(request: Request, token: str, context: Context) -> Response:
    """Acknowledge the link's incident: the cascade stops; the timeline says who, via the link."""
    grant = _grant(context, token)
    service = context.service

    def write() -> Incident:
        return acknowledge_incident(
            service.database,
            grant.incident_id,
            by=grant.contact or "acknowledge link",
            via="link",
            now=service.clock.now(),
        )

    try:
        incident = await run_in_threadpool(write)
    except IncidentError as exc:
        raise HTTPException(409, str(exc)) from None
    return _page(request, incident, token, done=True)
