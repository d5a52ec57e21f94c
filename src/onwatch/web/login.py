"""Logging in and out: ``GET /login``, ``POST /login`` (rate-limited), ``POST /logout``.

Failed logins count against the client address and the user name: after
:data:`MAX_FAILURES` within :data:`FAILURE_WINDOW` seconds either one is
refused with 429 and ``Retry-After`` until the oldest failure leaves the
window. After a login the browser goes only to a path on this site (``next``),
never to another host.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from onwatch import __version__
from onwatch.accounts.users import authenticate
from onwatch.web.auth import (
    end_session,
    remember_csrf_cookie,
    session_principal,
    start_session,
    verify_csrf,
)
from onwatch.web.context import context_of
from onwatch.web.ratelimit import FailureLimiter

log = logging.getLogger(__name__)
router = APIRouter()

MAX_FAILURES = 5
FAILURE_WINDOW = 300.0  # seconds
HOME = "/"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    # Browsers read "\" as "/", and control characters can hide a scheme or host.
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return HOME
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else HOME


def _limiter(request: Request) -> FailureLimiter:
    """The app's limiter, made on first use (one per app, on the service clock)."""
    limiter: FailureLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        clock = context_of(request).service.clock
        limiter = FailureLimiter(clock, limit=MAX_FAILURES, window=FAILURE_WINDOW)
        request.app.state.login_limiter = limiter
    return limiter


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _page(
    request: Request,
    next_path: str,
    *,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    from onwatch.web.templating import templates  # the page renderer loads with the first page

    response = templates.TemplateResponse(
        request,
        "login.html",
        {"next": next_path, "username": username, "error": error, "version": __version__},
        status_code=status,
    )
    remember_csrf_cookie(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(
    request: Request, next_path: Annotated[str, Query(alias="next")] = HOME
) -> Response:
    """The login form; a browser that is already logged in goes straight on."""
    if await session_principal(request) is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _page(request, safe_next(next_path))


@router.post(
    "/login",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(verify_csrf)],
)
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = HOME,
) -> Response:
    """Check the password; on success set the session cookie and go to ``next``."""
    target = safe_next(next_path)
    limiter, address = _limiter(request), _client(request)
    keys = (f"address:{address}", f"user:{username.casefold()}")
    wait = limiter.retry_after(*keys)
    if wait is not None:
        log.warning("login refused: too many failures (from %s)", address)
        refused = _page(
            request,
            target,
            username=username,
            error=f"Too many failed logins. Try again in {wait} seconds.",
            status=429,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    database = context_of(request).service.database
    user = await run_in_threadpool(authenticate, database, username, password)
    if user is None:
        limiter.failed(*keys)
        # No user name in the log: people type passwords into that field by mistake.
        log.info("failed login from %s", address)
        return _page(
            request, target, username=username, error="Wrong user name or password.", status=401
        )
    limiter.clear(f"user:{username.casefold()}")
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, user)
    log.info("%s logged in from %s", user.username, address)
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
async def logout(request: Request) -> Response:
    """Drop this browser's session and show the login form."""
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)
    return response
