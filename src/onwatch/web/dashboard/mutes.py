"""The dashboard's mute and unmute forms (editors, CSRF-checked), beside the monitor page.

They go through :mod:`onwatch.store.mutes` like ``onwatch mute`` and the API,
so every mute is audited the same way, and come back to the monitor's page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from onwatch.accounts.roles import Role
from onwatch.policy.types import parse_duration
from onwatch.store.maintenance_request import monitor_names
from onwatch.store.mutes import UnknownMuteError, add_mute, end_mute
from onwatch.web.auth import Principal, page_principal, verify_csrf
from onwatch.web.context import WebContext, context_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Editor = Annotated[Principal, Depends(page_principal(Role.EDITOR))]
Context = Annotated[WebContext, Depends(context_of)]


def _monitor_page(name: str) -> str:
    return f"/monitors/{quote(name, safe='')}"


@router.post("/monitors/{name}/mute")
def mute_form(
    name: str,
    principal: Editor,
    context: Context,
    lasting: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Response:
    """Mute the monitor for the chosen time, with the reason typed in."""
    service = context.service
    if name not in monitor_names(service.policy):
        raise HTTPException(404, f'no monitor named "{name}"')
    try:
        length = parse_duration(lasting)
        with service.database.engine.begin() as connection:
            add_mute(
                connection,
                monitor=name,
                reason=reason,
                lasting=length,
                created_by=principal.name,
                now=service.clock.now(),
            )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse(_monitor_page(name), status_code=303)


@router.post("/mutes/{mute_id:int}/end")
def unmute_form(mute_id: int, principal: Editor, context: Context) -> Response:
    """End a mute now and go back to its monitor."""
    service = context.service
    try:
        with service.database.engine.begin() as connection:
            ended = end_mute(connection, mute_id, by=principal.name, now=service.clock.now())
    except UnknownMuteError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse(_monitor_page(ended.monitor), status_code=303)
