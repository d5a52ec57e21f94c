"""``/api/v1/maintenance``: list, add and cancel maintenance windows.

Reading needs a viewer; adding and cancelling need an editor (a session also
needs its CSRF token, as every cookie-authenticated write). Windows from the
policy are listed too, but only runtime ones can be cancelled here (409 for a
policy window: change the policy). ``created_by`` and ``cancelled_by`` are the
caller's user or token name. Bad input is 422 naming the field, with the
closest name for an unknown service or monitor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from onwatch.accounts.roles import Role
from onwatch.store.maintenance import (
    ListedWindow,
    PolicyWindowError,
    UnknownWindowError,
    add_window,
    cancel_window,
    get_window,
    list_windows,
)
from onwatch.store.maintenance_request import InvalidWindowError, WindowRequest, check_window
from onwatch.web.api.errors import field_error
from onwatch.web.api.maintenance_models import MaintenanceWindow, NewWindow, WindowState
from onwatch.web.api.models import Error
from onwatch.web.auth import Principal, api_principal
from onwatch.web.context import WebContext, context_of

Context = Annotated[WebContext, Depends(context_of)]
Viewer = Annotated[Principal, Depends(api_principal())]
Editor = Annotated[Principal, Depends(api_principal(Role.EDITOR))]

router = APIRouter(
    prefix="/api/v1",
    tags=["maintenance"],
    responses={
        401: {"model": Error, "description": "No valid session or bearer token"},
        403: {"model": Error, "description": "The role may not do this (writes need editor)"},
    },
)
_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "No maintenance window with that id"}
}


def _not_found(exc: UnknownWindowError) -> HTTPException:
    return HTTPException(404, str(exc))


@router.get("/maintenance", summary="List maintenance windows")
async def list_maintenance(
    _: Viewer,
    context: Context,
    state: Annotated[
        WindowState, Query(description="current (active and upcoming), active, upcoming, past, all")
    ] = WindowState.CURRENT,
) -> list[MaintenanceWindow]:
    """Windows from the policy and from runtime: active first, then upcoming, then past."""
    now = context.service.clock.now()

    def read() -> list[ListedWindow]:
        with context.service.database.engine.connect() as connection:
            return list_windows(connection, now=now, states=state.states)

    return [MaintenanceWindow.of(item) for item in await run_in_threadpool(read)]


@router.get("/maintenance/{window_id:int}", summary="One maintenance window", responses=_UNKNOWN)
async def get_maintenance(window_id: int, _: Viewer, context: Context) -> MaintenanceWindow:
    """A window with its state and current, next or last occurrence."""
    now = context.service.clock.now()

    def read() -> ListedWindow:
        with context.service.database.engine.connect() as connection:
            return ListedWindow.of(get_window(connection, window_id), now)

    try:
        return MaintenanceWindow.of(await run_in_threadpool(read))
    except UnknownWindowError as exc:
        raise _not_found(exc) from None


@router.post("/maintenance", status_code=201, summary="Add a maintenance window")
async def add_maintenance(
    body: NewWindow, principal: Editor, context: Context
) -> MaintenanceWindow:
    """A runtime window: its monitors' failures count against no budget while it lasts.

    The JSON body is a NewWindow: ``services`` and/or ``monitors``, a ``reason``, and
    ``duration`` or ``end``; ``start`` defaults to now. A window that is already over
    is refused: maintenance cannot excuse what has happened.
    """
    now = context.service.clock.now()
    try:
        request = check_window(
            context.service.policy,
            reason=body.reason,
            services=body.services,
            monitors=body.monitors,
            now=now,
            start=body.start,
            end=body.end,
            duration=body.duration,
            rrule=body.rrule,
            timezone=body.timezone,
        )
    except InvalidWindowError as exc:
        raise field_error("body", exc.field, exc.problem, getattr(body, exc.field)) from None

    def write(checked: WindowRequest) -> ListedWindow:
        with context.service.database.engine.begin() as connection:
            window = add_window(connection, checked, created_by=principal.name, now=now)
        return ListedWindow.of(window, now)

    return MaintenanceWindow.of(await run_in_threadpool(write, request))


@router.delete(
    "/maintenance/{window_id:int}",
    summary="Cancel a maintenance window",
    responses={
        **_UNKNOWN,
        409: {"model": Error, "description": "The window comes from the policy"},
    },
)
async def cancel_maintenance(
    window_id: int, principal: Editor, context: Context
) -> MaintenanceWindow:
    """End a runtime window now (an ongoing occurrence stops counting); who cancelled is kept.
    Cancelling again changes nothing."""
    now = context.service.clock.now()

    def write() -> ListedWindow:
        with context.service.database.engine.begin() as connection:
            window = cancel_window(connection, window_id, by=principal.name, now=now)
        return ListedWindow.of(window, now)

    try:
        return MaintenanceWindow.of(await run_in_threadpool(write))
    except UnknownWindowError as exc:
        raise _not_found(exc) from None
    except PolicyWindowError as exc:
        raise HTTPException(409, str(exc)) from None
