"""The incidents pages as people see them: the list, one incident, and the buttons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from authkit import PASSWORD, form_token, log_in, web_context
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user
from onwatch.incidents import get_incident, open_or_repeat
from onwatch.store.mutes import add_mute
from onwatch.web.app import create_app
from onwatch.web.context import WebContext


@dataclass
class Site:
    context: WebContext
    client: TestClient
    incident_id: int


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    with web_context(database_url, FakeClock()) as context:
        service = context.service
        now = service.clock.now()
        add_user(service.database, "erin", PASSWORD, Role.EDITOR)
        add_user(service.database, "victor", PASSWORD, Role.VIEWER)
        with service.database.engine.begin() as connection:
            opened = open_or_repeat(
                connection,
                subject_kind="service",
                subject="shop",
                condition="down",
                severity="page",
                service="shop",
                title="shop is down",
                members=["shop-home", "api-health"],
                at=now - 120,
                epoch=1,
                first_step_at=now + 180,
            )
            add_mute(
                connection,
                monitor="shop-home",
                reason="CDN migration",
                lasting=timedelta(hours=1),
                created_by="erin",
                now=now,
            )
        with TestClient(create_app(context)) as client:
            yield Site(context, client, opened.incident.id)


def test_the_list_shows_open_incidents_and_active_mutes(site: Site) -> None:
    assert log_in(site.client, "victor").status_code == 303
    page = site.client.get("/incidents").text
    assert f'data-incident="{site.incident_id}" data-state="triggered"' in page
    assert "shop-home, api-health" in page
    assert "<strong>shop-home</strong>" in page
    assert "CDN migration" in page


def test_an_editor_acknowledges_then_resolves_with_the_buttons(site: Site) -> None:
    assert log_in(site.client, "erin").status_code == 303
    page = site.client.get(f"/incidents/{site.incident_id}")
    assert "Acknowledge</button>" in page.text
    token = form_token(page)
    pressed = site.client.post(
        f"/incidents/{site.incident_id}/ack", data={"csrf_token": token}, follow_redirects=False
    )
    assert pressed.status_code == 303
    after = site.client.get(f"/incidents/{site.incident_id}").text
    assert 'data-kind="acknowledged"' in after
    assert "dashboard" in after
    assert "Acknowledge</button>" not in after
    assert "Resolve</button>" in after
    site.client.post(
        f"/incidents/{site.incident_id}/resolve", data={"csrf_token": form_token(page)}
    )
    with site.context.service.database.engine.connect() as connection:
        done = get_incident(connection, site.incident_id)
    assert (done.state, done.acknowledged_by, done.resolved_by) == ("resolved", "erin", "erin")


def test_viewers_see_no_buttons_and_cannot_post_them(site: Site) -> None:
    assert log_in(site.client, "victor").status_code == 303
    page = site.client.get(f"/incidents/{site.incident_id}")
    assert "Acknowledge</button>" not in page.text
    refused = site.client.post(
        f"/incidents/{site.incident_id}/ack",
        data={"csrf_token": form_token(site.client.get("/login"))},
    )
    assert refused.status_code == 403


def test_a_button_without_its_csrf_token_changes_nothing(site: Site) -> None:
    assert log_in(site.client, "erin").status_code == 303
    assert site.client.post(f"/incidents/{site.incident_id}/ack").status_code == 403
    with site.context.service.database.engine.connect() as connection:
        assert get_incident(connection, site.incident_id).state == "triggered"


def test_an_unknown_incident_is_404(site: Site) -> None:
    assert log_in(site.client, "victor").status_code == 303
    assert site.client.get("/incidents/999").status_code == 404
