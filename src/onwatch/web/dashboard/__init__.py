"""The dashboard: every monitor with its state, a monitor's own page, and the pools.

Server-rendered HTML with inline SVG charts, no JavaScript. Every route needs
a logged-in viewer (anonymous visitors are sent to ``/login?next=…``). Route
functions only parse the request and pick a template; what a page shows is
assembled in :mod:`onwatch.web.dashboard.views` (the list),
:mod:`onwatch.web.dashboard.detail` (a monitor) and
:mod:`onwatch.web.dashboard.pools`. They are plain ``def`` routes, so their
database reads run in the thread pool, off the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onwatch.accounts.roles import Role
from onwatch.agreement.document import review_of
from onwatch.web.auth import Principal, page_principal
from onwatch.web.context import WebContext, context_of
from onwatch.web.dashboard.detail import monitor_detail, suggestions
from onwatch.web.dashboard.pools import pools_page
from onwatch.web.dashboard.views import monitor_list
from onwatch.web.templating import templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(page_principal())]
Context = Annotated[WebContext, Depends(context_of)]


@router.get("/")
def home(principal: Viewer) -> RedirectResponse:
    """The dashboard starts at the monitor list."""
    return RedirectResponse("/monitors", status_code=303)


@router.get("/monitors", response_class=HTMLResponse)
def monitors(
    request: Request,
    principal: Viewer,
    context: Context,
    q: str = "",
    page: str | None = None,
    per_page: str | None = None,
) -> Response:
    """Every monitor, searchable (``q``) and paged (``page``, ``per_page`` up to 200)."""
    listing = monitor_list(context, q.strip()[:200], page, per_page)
    return templates.TemplateResponse(
        request,
        "dashboard/monitors.html",
        {
            "principal": principal,
            "section": "monitors",
            "listing": listing,
            "review": review_of(context.service.policy, context.service.clock.now()),
        },
    )


@router.get("/monitors/{name}", response_class=HTMLResponse)
def monitor(request: Request, name: str, principal: Viewer, context: Context) -> Response:
    """One monitor: what it checks, its latest result phase by phase, recent results."""
    detail = monitor_detail(context, name)
    if detail is None:
        return templates.TemplateResponse(
            request,
            "dashboard/missing.html",
            {
                "principal": principal,
                "section": "monitors",
                "name": name,
                "close": suggestions(context, name),
            },
            status_code=404,
        )
    return templates.TemplateResponse(
        request,
        "dashboard/monitor.html",
        {
            "principal": principal,
            "section": "monitors",
            "detail": detail,
            "can_act": principal.role.allows(Role.EDITOR),
        },
    )


@router.get("/pools", response_class=HTMLResponse)
def pools(request: Request, principal: Viewer, context: Context) -> Response:
    """Every pool: healthy backends of total, and whether redundancy is lost."""
    return templates.TemplateResponse(
        request,
        "dashboard/pools.html",
        {"principal": principal, "section": "pools", "overview": pools_page(context)},
    )
