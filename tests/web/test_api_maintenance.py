"""``/api/v1/maintenance`` on the real app over a real database (SQLite and PostgreSQL).

Editors add and cancel windows with a bearer token or a session plus its CSRF
token; viewers only read; bad input is 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from authkit import PASSWORD, form_token, log_in, web_context
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token
from onwatch.accounts.users import add_user
from onwatch.store.maintenance import sync_policy_windows
from onwatch.web.app import create_app
from onwatch.web.auth import CSRF_HEADER
from onwatch.web.context import WebContext

# FakeClock starts at 2026-09-21 14:00 UTC, 16:00 in Brussels (the example policy's zone).
START = "2026-09-21 18:00"


@pytest.fixture
def context(database_url: str) -> Iterator[WebContext]:
    with web_context(database_url, FakeClock()) as made:
        yield made


@pytest.fixture
def client(context: WebContext) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as made:
        yield made


def bearer(context: WebContext, name: str, role: Role) -> dict[str, str]:
    now = context.service.clock.now()
    token = create_token(context.service.database, name, role, created_by="tests", now=now)
    return {"Authorization": f"Bearer {token.plaintext}"}


def window(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"services": ["checkout"], "reason": "Payment provider swap"}
    body.update(start=START, duration="2h")
    body.update(fields)
    return body


def test_an_editor_adds_reads_and_cancels_a_window(context: WebContext, client: TestClient) -> None:
    editor = bearer(context, "deploy-bot", Role.EDITOR)
    viewer = bearer(context, "wallboard", Role.VIEWER)

    added = client.post(
        "/api/v1/maintenance", json=window(monitors=["api-backends#2"]), headers=editor
    )
    listed = client.get("/api/v1/maintenance", headers=viewer)
    one = client.get(f"/api/v1/maintenance/{added.json()['id']}", headers=viewer)
    cancelled = client.delete(f"/api/v1/maintenance/{added.json()['id']}", headers=editor)
    current = client.get("/api/v1/maintenance", headers=viewer)
    past = client.get("/api/v1/maintenance", params={"state": "past"}, headers=viewer)

    assert added.status_code == 201
    body = added.json()
    assert (body["source"], body["name"], body["state"]) == ("runtime", None, "upcoming")
    assert (body["services"], body["monitors"]) == (["checkout"], ["api-backends#2"])
    assert (body["start_local"], body["timezone"]) == ("2026-09-21T18:00:00", "Europe/Brussels")
    assert body["duration_seconds"] == 7200
    assert body["occurrence"] == {"start": "2026-09-21T16:00:00Z", "end": "2026-09-21T18:00:00Z"}
    assert (body["created_by"], body["created_at"]) == ("deploy-bot", "2026-09-21T14:00:00Z")
    assert [w["id"] for w in listed.json()] == [body["id"]]
    assert one.json() == body
    assert cancelled.status_code == 200
    assert (cancelled.json()["cancelled_by"], cancelled.json()["state"]) == ("deploy-bot", "past")
    assert current.json() == []
    assert [w["id"] for w in past.json()] == [body["id"]]


def test_a_viewer_cannot_write_and_nobody_anonymous_can_read(
    context: WebContext, client: TestClient
) -> None:
    viewer = bearer(context, "wallboard", Role.VIEWER)

    assert client.post("/api/v1/maintenance", json=window(), headers=viewer).status_code == 403
    assert client.delete("/api/v1/maintenance/1", headers=viewer).status_code == 403
    assert client.get("/api/v1/maintenance").status_code == 401
    assert client.post("/api/v1/maintenance", json=window()).status_code == 401


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"services": ["chekout"]},
            "services",
            '"chekout" is not a service (did you mean "checkout"?)',
        ),
        ({"monitors": ["shop-hom"]}, "monitors", 'did you mean "shop-home"?'),
        ({"end": "2026-09-21 17:00", "duration": None}, "end", "is not after start"),
        ({"reason": None}, "reason", "say why"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=SU"}, "rrule", "does not give the start"),
        ({"duration": "forever"}, "duration", "is not a duration"),
        ({"start": "2026-09-20 10:00"}, "start", "the window is over before it is added"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    context: WebContext, client: TestClient, fields: dict[str, Any], field: str, words: str
) -> None:
    editor = bearer(context, "deploy-bot", Role.EDITOR)

    answer = client.post("/api/v1/maintenance", json=window(**fields), headers=editor)

    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", field]
    assert words in error["msg"]


def test_an_unknown_field_is_422_naming_it(context: WebContext, client: TestClient) -> None:
    editor = bearer(context, "deploy-bot", Role.EDITOR)

    answer = client.post("/api/v1/maintenance", json=window(servces=["api"]), headers=editor)

    assert answer.status_code == 422
    assert ["body", "servces"] in [error["loc"] for error in answer.json()["detail"]]


def test_an_unknown_window_is_404_and_a_policy_window_cannot_be_cancelled(
    context: WebContext, client: TestClient
) -> None:
    editor = bearer(context, "deploy-bot", Role.EDITOR)
    with context.service.database.engine.begin() as connection:
        sync_policy_windows(connection, context.service.policy, context.service.clock.now())
    [policy_window] = client.get("/api/v1/maintenance", headers=editor).json()

    assert client.get("/api/v1/maintenance/99", headers=editor).status_code == 404
    assert client.delete("/api/v1/maintenance/99", headers=editor).status_code == 404
    refused = client.delete(f"/api/v1/maintenance/{policy_window['id']}", headers=editor)
    assert refused.status_code == 409
    assert "comes from the policy" in refused.json()["detail"]
    assert policy_window["source"] == "policy"


def test_a_session_writes_only_with_its_csrf_token(context: WebContext, client: TestClient) -> None:
    add_user(context.service.database, "alice", PASSWORD, Role.EDITOR)
    log_in(client, "alice")
    token = form_token(client.get("/"))

    without = client.post("/api/v1/maintenance", json=window())
    with_token = client.post("/api/v1/maintenance", json=window(), headers={CSRF_HEADER: token})

    assert without.status_code == 403
    assert with_token.status_code == 201
    assert with_token.json()["created_by"] == "alice"
