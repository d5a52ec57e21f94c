"""Muting and unmuting a monitor from its dashboard page (editors; shown to everyone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from authkit import PASSWORD, form_token, log_in, web_context
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user
from onwatch.store.mutes import active_mutes
from onwatch.web.app import create_app
from onwatch.web.context import WebContext


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[WebContext, TestClient]]:
    with web_context(database_url, FakeClock()) as context:
        add_user(context.service.database, "erin", PASSWORD, Role.EDITOR)
        add_user(context.service.database, "victor", PASSWORD, Role.VIEWER)
        with TestClient(create_app(context)) as client:
            yield context, client


def test_an_editor_mutes_from_the_monitor_page_and_unmutes_again(
    site: tuple[WebContext, TestClient],
) -> None:
    context, client = site
    assert log_in(client, "erin").status_code == 303
    page = client.get("/monitors/shop-home")
    assert "Mute notifications" in page.text
    posted = client.post(
        "/monitors/shop-home/mute",
        data={"csrf_token": form_token(page), "lasting": "2h", "reason": "CDN migration"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/monitors/shop-home"
    muted = client.get("/monitors/shop-home").text
    assert "by erin: CDN migration" in muted
    assert "Unmute</button>" in muted
    with context.service.database.engine.connect() as connection:
        [mute] = active_mutes(connection, now=context.service.clock.now()).values()
    client.post(f"/mutes/{mute.id}/end", data={"csrf_token": form_token(page)})
    after = client.get("/monitors/shop-home").text
    assert "CDN migration" not in after
    assert "Mute notifications" in after


def test_viewers_see_a_mute_but_cannot_set_one(site: tuple[WebContext, TestClient]) -> None:
    _, client = site
    assert log_in(client, "victor").status_code == 303
    page = client.get("/monitors/shop-home")
    assert "Mute notifications" not in page.text
    refused = client.post(
        "/monitors/shop-home/mute",
        data={"csrf_token": form_token(client.get("/login")), "lasting": "1h", "reason": "x"},
    )
    assert refused.status_code == 403


def test_a_form_without_a_reason_or_for_an_unknown_monitor_is_refused(
    site: tuple[WebContext, TestClient],
) -> None:
    _, client = site
    assert log_in(client, "erin").status_code == 303
    token = form_token(client.get("/monitors/shop-home"))
    blank = client.post(
        "/monitors/shop-home/mute", data={"csrf_token": token, "lasting": "1h", "reason": " "}
    )
    assert blank.status_code == 422
    unknown = client.post(
        "/monitors/nope/mute", data={"csrf_token": token, "lasting": "1h", "reason": "x"}
    )
    assert unknown.status_code == 404
