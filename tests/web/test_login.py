"""Logging in and out in a browser: sessions, CSRF, the rate limit and safe redirects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from authkit import PASSWORD, advance, form_token, log_in, web_context
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user, remove_user, reset_password
from onwatch.web import login
from onwatch.web.auth import Principal, csrf_token, page_principal, verify_csrf
from onwatch.web.context import WebContext
from onwatch.web.login import safe_next
from onwatch.web.sessions import CSRF_COOKIE, SESSION_COOKIE


def app_with_pages(context: WebContext) -> FastAPI:
    """The login router plus pages that need a login, as the dashboard's do."""
    app = FastAPI()
    app.state.context = context
    app.include_router(login.router)
    pages = APIRouter()

    @pages.get("/")
    async def home(principal: Annotated[Principal, Depends(page_principal())]) -> dict[str, str]:
        return {"name": principal.name, "role": principal.role}

    @pages.get("/form", response_class=HTMLResponse)
    async def form(request: Request, _: Annotated[Principal, Depends(page_principal())]) -> str:
        return f'<input type="hidden" name="csrf_token" value="{csrf_token(request)}">'

    @pages.post("/mute", dependencies=[Depends(verify_csrf)])
    async def mute(
        principal: Annotated[Principal, Depends(page_principal(Role.EDITOR))],
    ) -> dict[str, str]:
        return {"muted_by": principal.name}

    app.include_router(pages)
    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def context(tmp_path: Path, clock: FakeClock) -> Iterator[WebContext]:
    with web_context(f"sqlite:///{tmp_path / 'onwatch.db'}", clock) as made:
        add_user(made.service.database, "alice", PASSWORD, Role.EDITOR)
        add_user(made.service.database, "victor", PASSWORD, Role.VIEWER)
        yield made


@pytest.fixture
def client(context: WebContext) -> Iterator[TestClient]:
    with TestClient(app_with_pages(context)) as made:
        yield made


def session_token(client: TestClient) -> str:
    """The CSRF token a logged-in page puts in its forms."""
    return form_token(client.get("/form"))


def test_the_login_page_is_a_form_with_a_csrf_token_bound_to_a_cookie(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'name="password"' in page.text
    assert form_token(page)
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_right_password_logs_in_and_goes_to_the_page_asked_for(client: TestClient) -> None:
    done = log_in(client, "alice", next_path="/?tab=latency")
    assert done.status_code == 303
    assert done.headers["location"] == "/?tab=latency"
    cookie = done.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert all(flag in cookie for flag in ("httponly", "samesite=lax", "max-age=43200"))
    assert "secure" not in cookie  # public_url is http here
    assert client.get("/").json() == {"name": "alice", "role": "editor"}


def test_a_browser_that_is_logged_in_skips_the_login_form(client: TestClient) -> None:
    log_in(client, "alice")
    page = client.get("/login?next=/monitors", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/monitors")


def test_session_cookies_are_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'secure.db'}"
    with web_context(url, FakeClock(), public_url="https://status.example.com") as context:
        add_user(context.service.database, "alice", PASSWORD, Role.VIEWER)
        with TestClient(app_with_pages(context), base_url="https://testserver") as client:
            done = log_in(client, "alice")
    assert done.status_code == 303
    assert "; secure" in done.headers["set-cookie"].lower()


def test_a_wrong_password_or_unknown_user_is_refused_without_a_session(
    client: TestClient,
) -> None:
    for username, password in (("alice", "not the password at all"), ("mallory", PASSWORD)):
        done = log_in(client, username, password)
        assert done.status_code == 401
        assert "Wrong user name or password" in done.text
        assert f'name="username" value="{username}"' in done.text  # kept, to retype the password
        assert password not in done.text
        assert SESSION_COOKIE not in client.cookies
    assert client.get("/", follow_redirects=False).status_code == 303


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back(client: TestClient) -> None:
    page = client.get("/?tab=latency&range=7d", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/%3Ftab%3Dlatency%26range%3D7d"
    form = client.get(page.headers["location"])
    assert 'name="next" value="/?tab=latency&amp;range=7d"' in form.text
    done = log_in(client, "alice", next_path="/?tab=latency&range=7d")
    assert done.headers["location"] == "/?tab=latency&range=7d"


def test_logging_out_ends_the_session(client: TestClient) -> None:
    log_in(client, "alice")
    done = client.post(
        "/logout", data={"csrf_token": session_token(client)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "wrong"])
@pytest.mark.parametrize("path", ["/login", "/logout", "/mute"])
def test_a_form_without_the_right_csrf_token_is_forbidden(
    client: TestClient, path: str, token: str | None
) -> None:
    log_in(client, "alice")  # a session and a pre-session cookie exist; only the token is off
    data = {"username": "alice", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    refused = client.post(path, data=data, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


def test_a_form_posted_without_any_cookie_is_forbidden(client: TestClient) -> None:
    token = form_token(client.get("/login"))
    client.cookies.clear()  # the token alone, as a cross-site page could copy it
    refused = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 403


def test_each_session_has_its_own_token_and_roles_still_apply(context: WebContext) -> None:
    app = app_with_pages(context)
    with TestClient(app) as editor, TestClient(app) as viewer:
        log_in(editor, "alice")
        log_in(viewer, "victor")
        editor_token, viewer_token = session_token(editor), session_token(viewer)
        assert editor_token != viewer_token
        assert editor.post("/mute", data={"csrf_token": editor_token}).json() == {
            "muted_by": "alice"
        }
        assert editor.post("/mute", data={"csrf_token": viewer_token}).status_code == 403
        assert viewer.post("/mute", data={"csrf_token": viewer_token}).status_code == 403
        # The token may come in a header too (for scripts on our own pages).
        headers = {"X-CSRF-Token": editor_token}
        assert editor.post("/mute", headers=headers).status_code == 200


def test_a_new_login_gets_a_new_csrf_token(client: TestClient) -> None:
    log_in(client, "alice")
    first = session_token(client)
    client.cookies.clear()
    log_in(client, "alice")
    assert session_token(client) != first


def test_five_failures_from_one_address_block_it_until_the_window_has_passed(
    client: TestClient, clock: FakeClock
) -> None:
    for name in ("alice", "bob", "carol", "dave", "erin"):
        assert log_in(client, name, "wrong password, sorry").status_code == 401
    blocked = log_in(client, "victor")  # even the right password of another user
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "300"
    assert "Try again in 300 seconds" in blocked.text
    advance(clock, 299)
    still = log_in(client, "victor")
    assert (still.status_code, still.headers["retry-after"]) == (429, "1")
    advance(clock, 1)
    assert log_in(client, "victor").status_code == 303


def test_five_failures_against_one_user_block_that_user_from_every_address(
    context: WebContext, clock: FakeClock
) -> None:
    app = app_with_pages(context)
    for number in range(5):
        with TestClient(app, client=(f"198.51.100.{number}", 40000)) as attacker:
            assert log_in(attacker, "alice", "guess number one").status_code == 401
    with TestClient(app, client=("203.0.113.9", 40000)) as owner:
        assert log_in(owner, "alice").status_code == 429
        assert log_in(owner, "victor").status_code == 303  # other users are not affected
    advance(clock, 300)
    with TestClient(app, client=("203.0.113.9", 40000)) as owner:
        assert log_in(owner, "alice").status_code == 303


def test_a_successful_login_forgets_the_users_earlier_failures(client: TestClient) -> None:
    for _ in range(4):
        log_in(client, "alice", "almost the password")
    assert log_in(client, "alice").status_code == 303
    client.cookies.clear()
    with TestClient(client.app, client=("192.0.2.7", 40000)) as elsewhere:
        for _ in range(4):
            assert log_in(elsewhere, "alice", "almost the password").status_code == 401
        assert log_in(elsewhere, "alice").status_code == 303


def test_a_password_reset_ends_every_session_of_that_user(
    client: TestClient, context: WebContext
) -> None:
    log_in(client, "alice")
    assert client.get("/").status_code == 200
    reset_password(context.service.database, "alice", "a brand new passphrase")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert log_in(client, "alice", "a brand new passphrase").status_code == 303
    assert client.get("/").status_code == 200


def test_removing_a_user_ends_their_sessions(client: TestClient, context: WebContext) -> None:
    log_in(client, "victor")
    remove_user(context.service.database, "victor")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_after_twelve_hours(client: TestClient, clock: FakeClock) -> None:
    log_in(client, "alice")
    advance(clock, 12 * 3600)
    assert client.get("/").status_code == 200
    advance(clock, 1)
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "eyJ1IjoxLCJ2IjoxLCJuIjoiYWFhYWFhYWFhYWFhYWFhYSJ9.AAAAAA.c2lnbmF0dXJl", ""],
)
def test_a_forged_session_cookie_counts_as_no_session(client: TestClient, cookie: str) -> None:
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "evil.example",
        "",
    ],
)
def test_after_login_the_browser_never_leaves_the_site(client: TestClient, target: str) -> None:
    done = log_in(client, "alice", next_path=target)
    assert (done.status_code, done.headers["location"]) == (303, "/")


def test_a_user_name_is_shown_back_escaped(client: TestClient) -> None:
    done = log_in(client, '"><script>alert(1)</script>', "whatever it is")
    assert "<script>" not in done.text
    assert "&lt;script&gt;" in done.text


def test_local_paths_are_kept_as_they_are() -> None:
    assert (
        safe_next("/monitors/shop-home?range=7d#latency") == "/monitors/shop-home?range=7d#latency"
    )
    assert safe_next("/") == "/"


def test_the_password_never_reaches_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    log_in(client, "alice", "a wrong password typed here")
    log_in(client, "a password in the name field")
    log_in(client, "alice")
    assert "logged in" in caplog.text
    for secret in ("a wrong password typed here", "a password in the name field", PASSWORD):
        assert secret not in caplog.text
