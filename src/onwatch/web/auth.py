"""Who is calling: sessions, bearer tokens, roles and CSRF for every protected route.

Routes declare what they need::

    principal: Principal = Depends(api_principal())               # JSON routes
    principal: Principal = Depends(page_principal(Role.EDITOR))   # HTML routes
    _: None = Depends(verify_csrf)                                # every POST form

- :func:`api_principal` accepts ``Authorization: Bearer <token>`` or a session
  cookie; anonymous → 401 with ``WWW-Authenticate: Bearer``; role too low → 403.
  A cookie-authenticated request that changes something (POST, PUT, PATCH,
  DELETE) must also carry the CSRF token (``X-CSRF-Token`` header or the
  ``csrf_token`` form field): a bearer token cannot be sent by another site, a
  cookie can.
- :func:`page_principal` accepts a session only; anonymous → 303 to
  ``/login?next=<path>``; role too low → 403.
- :func:`csrf_token` gives templates the hidden ``csrf_token`` field value;
  :func:`verify_csrf` refuses (403) a form without the right one.

The principal of the request is also left in ``request.state.principal``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import verify_token
from onwatch.accounts.users import User, get_user
from onwatch.web.context import WebContext, context_of
from onwatch.web.sessions import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    Session,
    csrf_for_nonce,
    csrf_for_session,
    decode_session,
    encode_session,
    new_nonce,
    valid_nonce,
)

__all__ = [
    "Principal",
    "Role",
    "api_principal",
    "csrf_token",
    "end_session",
    "page_principal",
    "remember_csrf_cookie",
    "session_principal",
    "start_session",
    "verify_csrf",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    """A logged-in user or an API token, with its role."""

    name: str
    role: Role
    kind: Literal["user", "token"]


# -- sessions --------------------------------------------------------------------


def _secure(context: WebContext) -> bool:
    # Behind plain http (a laptop, a test) a Secure cookie would never come back.
    return context.settings.public_url.startswith("https://")


def _set_cookie(context: WebContext, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(context),
    )


def read_session(request: Request) -> Session | None:
    """The request's signed session, if any (not yet checked against the database)."""
    context = context_of(request)
    return decode_session(
        context.secret_key, context.service.clock, request.cookies.get(SESSION_COOKIE)
    )


def start_session(request: Request, response: Response, user: User) -> None:
    """Log ``user`` in: a new session cookie with a new nonce (so a new CSRF token)."""
    context = context_of(request)
    session = Session(user.id, user.session_version, new_nonce())
    cookie = encode_session(context.secret_key, context.service.clock, session)
    _set_cookie(context, response, SESSION_COOKIE, cookie)


def end_session(request: Request, response: Response) -> None:
    """Log out this browser: drop the session cookie."""
    context = context_of(request)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(context)
    )


async def session_principal(request: Request) -> Principal | None:
    """The user of a valid session whose password generation is still current, else None."""
    session = read_session(request)
    if session is None:
        return None
    user = await run_in_threadpool(get_user, context_of(request).service.database, session.user_id)
    if user is None or user.session_version != session.version:
        return None  # removed, or the password was reset since this login
    return Principal(user.username, user.role, "user")


async def _token_principal(request: Request, token: str) -> Principal | None:
    context = context_of(request)
    now = context.service.clock.now()
    info = await run_in_threadpool(verify_token, context.service.database, token, now=now)
    return None if info is None else Principal(info.name, info.role, "token")


def _bearer(request: Request) -> str | None:
    """The token of an ``Authorization`` header; "" for any other scheme (refused)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _too_weak(principal: Principal, required: Role) -> HTTPException:
    return HTTPException(
        403, f"this needs the {Role(required)} role; {principal.name} is {principal.role}"
    )


def api_principal(required: Role = Role.VIEWER) -> Callable[..., Awaitable[Principal]]:
    """A dependency for JSON routes: bearer token or session; 401 anonymous, 403 too weak."""

    async def dependency(request: Request) -> Principal:
        token = _bearer(request)
        if token is not None:
            principal = await _token_principal(request, token) if token else None
            if principal is None:
                raise HTTPException(
                    401,
                    "the token is unknown, revoked or expired",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
        else:
            principal = await session_principal(request)
            if principal is None:
                raise HTTPException(
                    401,
                    "authentication required: send Authorization: Bearer <token>, or log in",
                    {"WWW-Authenticate": "Bearer"},
                )
            if request.method not in SAFE_METHODS:
                await verify_csrf(request)
        if not principal.role.allows(required):
            raise _too_weak(principal, required)
        request.state.principal = principal
        return principal

    return dependency


def login_url(request: Request) -> str:
    """``/login?next=<this path and query>``, to come back here after logging in."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(here, safe='/')}"


def page_principal(required: Role = Role.VIEWER) -> Callable[..., Awaitable[Principal]]:
    """A dependency for HTML routes: anonymous → 303 to /login?next=…; too weak → 403."""

    async def dependency(request: Request) -> Principal:
        principal = await session_principal(request)
        if principal is None:
            raise HTTPException(303, "log in first", {"Location": login_url(request)})
        if not principal.role.allows(required):
            raise _too_weak(principal, required)
        request.state.principal = principal
        return principal

    return dependency


# -- CSRF ------------------------------------------------------------------------


def _expected_csrf(request: Request) -> str | None:
    """The token this browser's forms must carry, or None if it has no session or nonce."""
    secret = context_of(request).secret_key
    session = read_session(request)
    if session is not None:
        return csrf_for_session(secret, session)
    nonce = request.cookies.get(CSRF_COOKIE)
    return csrf_for_nonce(secret, nonce) if nonce and valid_nonce(nonce) else None


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser, for the hidden ``csrf_token`` field of a form.

    Before login it is bound to a pre-session cookie; a page showing a form to
    anonymous visitors calls :func:`remember_csrf_cookie` on its response.
    """
    expected = _expected_csrf(request)
    if expected is not None:
        return expected
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        nonce = request.state.csrf_nonce = new_nonce()
    return csrf_for_nonce(context_of(request).secret_key, nonce)


def remember_csrf_cookie(request: Request, response: Response) -> None:
    """Set the pre-session cookie if :func:`csrf_token` had to make one for this page."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is not None:
        _set_cookie(context_of(request), response, CSRF_COOKIE, nonce)


async def verify_csrf(request: Request) -> None:
    """Refuse (403) a request whose CSRF token (header or form field) does not match."""
    submitted = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if submitted is None and content_type.startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)  # cached: the route reads it again
        submitted = value if isinstance(value, str) else None
    expected = _expected_csrf(request)
    if not submitted or expected is None or not hmac.compare_digest(submitted, expected):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")
