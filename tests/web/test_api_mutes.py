"""``/api/v1/mutes``: editors mute and unmute, viewers read, bad input names its field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authkit import advance, web_context
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token
from onwatch.web.app import create_app
from onwatch.web.context import WebContext


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


def test_an_editor_mutes_a_monitor_and_it_unmutes_by_itself(
    context: WebContext, client: TestClient
) -> None:
    editor = bearer(context, "deploy-bot", Role.EDITOR)
    body = {"monitor": "shop-home", "for": "2h", "reason": "CDN migration"}
    made = client.post("/api/v1/mutes", json=body, headers=editor)
    assert made.status_code == 201, made.text
    mute = made.json()
    assert mute["created_by"] == "deploy-bot"
    assert mute["active"] is True

    viewer = bearer(context, "wall", Role.VIEWER)
    assert [m["monitor"] for m in client.get("/api/v1/mutes", headers=viewer).json()] == [
        "shop-home"
    ]
    advance(context.service.clock, 2 * 3600)  # type: ignore[arg-type]
    assert client.get("/api/v1/mutes", headers=viewer).json() == []
    [past] = client.get("/api/v1/mutes", params={"all": "true"}, headers=viewer).json()
    assert past["active"] is False


def test_unmuting_records_who_and_viewers_may_not(context: WebContext, client: TestClient) -> None:
    editor = bearer(context, "alice", Role.EDITOR)
    body = {"monitor": "shop-home", "for": "1h", "reason": "deploy"}
    mute_id = client.post("/api/v1/mutes", json=body, headers=editor).json()["id"]
    viewer = bearer(context, "wall", Role.VIEWER)
    assert client.delete(f"/api/v1/mutes/{mute_id}", headers=viewer).status_code == 403
    ended = client.delete(f"/api/v1/mutes/{mute_id}", headers=editor).json()
    assert ended["ended_by"] == "alice"
    assert ended["active"] is False
    assert client.delete("/api/v1/mutes/999", headers=editor).status_code == 404
    assert client.get("/api/v1/mutes").status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"monitor": "shop-hom", "for": "1h", "reason": "x"},
            "monitor",
            'did you mean "shop-home"',
        ),
        ({"monitor": "shop-home", "for": "1h", "reason": " "}, "reason", "say why"),
        ({"monitor": "shop-home", "for": "40d", "reason": "x"}, "for", "at most 30 days"),
        ({"monitor": "shop-home", "for": "soon", "reason": "x"}, "for", "not a duration"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    context: WebContext, client: TestClient, body: dict[str, str], field: str, words: str
) -> None:
    answer = client.post("/api/v1/mutes", json=body, headers=bearer(context, "e", Role.EDITOR))
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", field]
    assert words in error["msg"]
