"""JSON routes: bearer tokens or a session, 401 for strangers, 403 for a role too low."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from authkit import PASSWORD, advance, form_token, log_in, web_context
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import select

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token, revoke_token
from onwatch.accounts.users import add_user
from onwatch.store.tables import api_tokens
from onwatch.web import login
from onwatch.web.auth import Principal, api_principal, csrf_token, page_principal
from onwatch.web.context import WebContext


def app_with_api(context: WebContext) -> FastAPI:
    app = FastAPI()
    app.state.context = context
    app.include_router(login.router)
    api = APIRouter(prefix="/api")

    @api.get("/whoami")
    async def whoami(principal: Annotated[Principal, Depends(api_principal())]) -> dict[str, str]:
        return {"name": principal.name, "role": principal.role, "kind": principal.kind}

    @api.post("/mutes")
    async def mute(
        principal: Annotated[Principal, Depends(api_principal(Role.EDITOR))],
    ) -> dict[str, str]:
        return {"muted_by": principal.name}

    @api.delete("/users/{name}")
    async def remove(
        name: str, _: Annotated[Principal, Depends(api_principal(Role.ADMIN))]
    ) -> dict[str, str]:
        return {"removed": name}

    @app.get("/form", response_class=HTMLResponse)
    async def form(request: Request, _: Annotated[Principal, Depends(page_principal())]) -> str:
        return f'<input type="hidden" name="csrf_token" value="{csrf_token(request)}">'

    app.include_router(api)
    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def context(tmp_path: Path, clock: FakeClock) -> Iterator[WebContext]:
    with web_context(f"sqlite:///{tmp_path / 'onwatch.db'}", clock) as made:
        yield made


@pytest.fixture
def client(context: WebContext) -> Iterator[TestClient]:
    with TestClient(app_with_api(context)) as made:
        yield made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_anonymous_api_call_gets_401_with_a_bearer_challenge(client: TestClient) -> None:
    refused = client.get("/api/whoami")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert "Bearer" in refused.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer ow_not-a-real-token", "Bearer ", "Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer nonsense"],
)
def test_a_bad_authorization_header_gets_401(client: TestClient, header: str) -> None:
    refused = client.get("/api/whoami", headers={"Authorization": header})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")


def test_a_token_authenticates_with_its_own_name_and_role(
    client: TestClient, context: WebContext
) -> None:
    new = create_token(context.service.database, "ci", Role.EDITOR, created_by="test")
    answer = client.get("/api/whoami", headers=bearer(new.plaintext))
    assert answer.json() == {"name": "ci", "role": "editor", "kind": "token"}
    # A bearer token needs no CSRF token: no other site can make a browser send it.
    assert client.post("/api/mutes", headers=bearer(new.plaintext)).json() == {"muted_by": "ci"}


def test_a_role_too_low_gets_403_naming_the_role_needed(
    client: TestClient, context: WebContext
) -> None:
    viewer = create_token(context.service.database, "grafana", Role.VIEWER, created_by="test")
    editor = create_token(context.service.database, "ci", Role.EDITOR, created_by="test")
    refused = client.post("/api/mutes", headers=bearer(viewer.plaintext))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this needs the editor role; grafana is viewer"
    assert client.delete("/api/users/bob", headers=bearer(editor.plaintext)).status_code == 403


def test_a_revoked_token_stops_working_at_once(client: TestClient, context: WebContext) -> None:
    new = create_token(context.service.database, "ci", Role.VIEWER, created_by="test")
    assert client.get("/api/whoami", headers=bearer(new.plaintext)).status_code == 200
    revoke_token(context.service.database, "ci")
    refused = client.get("/api/whoami", headers=bearer(new.plaintext))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_expires_on_the_service_clock(
    client: TestClient, context: WebContext, clock: FakeClock
) -> None:
    from datetime import timedelta

    new = create_token(
        context.service.database,
        "temp",
        created_by="test",
        expires_in=timedelta(days=1),
        now=clock.now(),
    )
    advance(clock, 86399)
    assert client.get("/api/whoami", headers=bearer(new.plaintext)).status_code == 200
    advance(clock, 1)
    assert client.get("/api/whoami", headers=bearer(new.plaintext)).status_code == 401


def test_a_token_records_when_it_was_last_used(
    client: TestClient, context: WebContext, clock: FakeClock
) -> None:
    new = create_token(context.service.database, "ci", created_by="test", now=clock.now())
    client.get("/api/whoami", headers=bearer(new.plaintext))
    with context.service.database.engine.connect() as connection:
        used = connection.execute(select(api_tokens.c.last_used_at)).scalar_one()
    assert used == int(clock.now())


def test_a_session_works_for_reads_and_needs_the_csrf_token_for_writes(
    client: TestClient, context: WebContext
) -> None:
    add_user(context.service.database, "alice", PASSWORD, Role.EDITOR)
    log_in(client, "alice")
    assert client.get("/api/whoami").json() == {"name": "alice", "role": "editor", "kind": "user"}
    refused = client.post("/api/mutes")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    token = form_token(client.get("/form"))
    answer = client.post("/api/mutes", headers={"X-CSRF-Token": token})
    assert answer.json() == {"muted_by": "alice"}
