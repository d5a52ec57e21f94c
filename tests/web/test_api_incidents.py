"""Incidents over the API and through acknowledge links: ack stops the cascade, resolve tells
everyone who was paged, forged or expired links change nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from authkit import advance, web_context
from fastapi.testclient import TestClient

from fakeclock import FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.tokens import create_token
from onwatch.incidents import get_incident, open_or_repeat, timeline
from onwatch.notify import outbox
from onwatch.notify.acklinks import ack_token, ack_url
from onwatch.web.app import create_app
from onwatch.web.context import WebContext


@dataclass
class Site:
    context: WebContext
    client: TestClient
    incident_id: int

    def bearer(self, role: Role) -> dict[str, str]:
        service = self.context.service
        name = f"{role.value}-{service.clock.now()}"
        token = create_token(service.database, name, role, created_by="t", now=service.clock.now())
        return {"Authorization": f"Bearer {token.plaintext}"}


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    with web_context(database_url, FakeClock()) as context:
        service = context.service
        now = service.clock.now()
        with service.database.engine.begin() as connection:
            opened = open_or_repeat(
                connection,
                subject_kind="monitor",
                subject="shop-home",
                condition="down",
                severity="page",
                service="shop",
                title="shop-home is down",
                members=["shop-home"],
                at=now,
                epoch=1,
                escalation="default",
                first_step_at=now + 300,
            )
            # the first step already went out to alice by SMS
            outbox.enqueue(
                connection,
                key=f"inc{opened.incident.id}-r0-s0-alice.sms",
                contact="alice",
                channel="sms",
                title="shop-home is down",
                short="PAGE shop-home down",
                full="shop-home is down",
                payload={},
                due_at=now,
                now=now,
                incident_id=opened.incident.id,
                step=0,
            )
        with TestClient(create_app(context)) as client:
            yield Site(context, client, opened.incident.id)


def test_viewers_list_and_read_incidents_with_their_timeline(site: Site) -> None:
    viewer = site.bearer(Role.VIEWER)
    [listed] = site.client.get("/api/v1/incidents", headers=viewer).json()
    assert listed["title"] == "shop-home is down"
    assert listed["state"] == "triggered"
    detail = site.client.get(f"/api/v1/incidents/{site.incident_id}", headers=viewer).json()
    assert [entry["kind"] for entry in detail["timeline"]] == ["opened"]
    assert detail["attempts"] == []
    assert site.client.get("/api/v1/incidents/999", headers=viewer).status_code == 404
    assert site.client.get("/api/v1/incidents").status_code == 401
    ack = site.client.post(f"/api/v1/incidents/{site.incident_id}/ack", headers=viewer)
    assert ack.status_code == 403


def test_an_ack_stops_the_cascade_and_a_resolve_tells_who_was_paged(site: Site) -> None:
    editor = site.bearer(Role.EDITOR)
    acked = site.client.post(f"/api/v1/incidents/{site.incident_id}/ack", headers=editor).json()
    assert acked["state"] == "acknowledged"
    assert acked["next_step_at"] is None
    assert acked["acknowledged_by"].startswith("editor")

    resolved = site.client.post(f"/api/v1/incidents/{site.incident_id}/resolve", headers=editor)
    assert resolved.json()["state"] == "resolved"
    with site.context.service.database.engine.connect() as connection:
        told = [
            (row.contact, row.channel, row.title)
            for row in outbox.rows(connection)
            if row.key.endswith("resolved-alice.sms")
        ]
    assert told == [("alice", "sms", "Resolved: shop-home is down")]
    again = site.client.post(f"/api/v1/incidents/{site.incident_id}/ack", headers=editor)
    assert again.status_code == 409
    assert "already resolved" in again.json()["detail"]


def test_an_acknowledge_link_shows_a_button_and_only_the_button_acknowledges(site: Site) -> None:
    service = site.context.service
    url = ack_url(
        "http://127.0.0.1:8080",
        site.context.secret_key,
        site.incident_id,
        now=service.clock.now(),
        contact="alice",
    )
    path = url.removeprefix("http://127.0.0.1:8080")
    page = site.client.get(path)
    assert page.status_code == 200
    assert "Acknowledge: I am on it" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    with service.database.engine.connect() as connection:
        assert (
            get_incident(connection, site.incident_id).state == "triggered"
        )  # GET changed nothing

    form_action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert form_action is not None
    done = site.client.post(form_action.group(1))
    assert done.status_code == 200
    assert "Nobody else will be paged" in done.text
    with service.database.engine.connect() as connection:
        incident = get_incident(connection, site.incident_id)
        events = timeline(connection, site.incident_id)
    assert incident.state == "acknowledged"
    assert (events[-1].kind, events[-1].actor, events[-1].via) == ("acknowledged", "alice", "link")


def test_forged_and_expired_links_get_403_and_change_nothing(site: Site) -> None:
    service = site.context.service
    forged = ack_token("x" * 48, site.incident_id, expires_at=service.clock.now() + 600)
    assert site.client.post(f"/ack/{forged}").status_code == 403
    token = ack_token(
        site.context.secret_key, site.incident_id, expires_at=service.clock.now() + 60
    )
    advance(service.clock, 61)  # type: ignore[arg-type]
    assert site.client.get(f"/ack/{token}").status_code == 403
    assert site.client.post(f"/ack/{token}").status_code == 403
    with service.database.engine.connect() as connection:
        assert get_incident(connection, site.incident_id).state == "triggered"
