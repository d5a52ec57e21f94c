"""``/agreement`` and its share links, over a real database, a real evaluator and a fake clock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from authkit import PASSWORD, log_in
from fastapi.testclient import TestClient

from fakeclock import START, FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user
from onwatch.leader import SingleNodeLeader
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.slo.evaluator import Evaluator
from onwatch.store.agreement_links import create_link, revoke_link
from onwatch.store.agreement_log import record_policy
from onwatch.store.batches import write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.monitors import MonitorIds
from onwatch.store.writer import Writer
from onwatch.web.app import create_app
from onwatch.web.context import WebContext

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
agreement:
  agreed_by:
    - {name: Alice Martin, role: CTO}
    - {name: Bob Peeters}
  agreed_on: 2026-01-05
  review_every: 90d
services:
  - name: checkout
    title: Checkout
    owner: alice
    objectives:
      availability:
        target: 99.9%
        lenient:
          - {from: "00:00", to: "02:00", allowance: 10m}
      latency:
        - {name: page-load, threshold: 3s, target: 99%}
      data_loss: 15m
      restore_time: 1h
monitors:
  - {name: checkout-page, type: http, url: "https://shop.example/checkout", service: checkout}
"""
MINUTE = 60


@dataclass
class Site:
    database: Database
    client: TestClient
    clock: FakeClock


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "onwatch.yaml"
    path.write_text(POLICY)
    clock = FakeClock(START)
    database = open_database(f"sqlite:///{tmp_path / 'onwatch.db'}")
    writer = Writer(database)
    scheduler = Scheduler({}, {}, writer.submit, clock, leader=SingleNodeLeader())
    service = Service(path, load_policy(path), database, writer, scheduler, clock)
    add_user(database, "victor", PASSWORD, Role.VIEWER)
    results = [
        CheckResult("checkout-page", START - (120 - i) * MINUTE, True, 200.0) for i in range(118)
    ] + [
        CheckResult("checkout-page", START - i * MINUTE, False, failure=FailureClass.REFUSED)
        for i in (2, 1)
    ]
    write_batch(database, MonitorIds(), results)
    evaluator = Evaluator(service)
    evaluator.start()
    asyncio.run(evaluator.step())
    settings = InstanceSettings(secret_key="s" * 48)
    app = create_app(WebContext(service, settings, "s" * 48))
    with TestClient(app) as client:
        yield Site(database, client, clock)
    database.dispose()


def test_the_agreement_needs_a_login(site: Site) -> None:
    answer = site.client.get("/agreement", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/login")


def test_it_states_every_number_in_plain_words_with_the_standing_now(site: Site) -> None:
    assert log_in(site.client, "victor").status_code == 303
    page = site.client.get("/agreement").text
    assert (
        "Checkout is available 99.9% of the time: at most 43 minutes of downtime per 30 days; "
        "00:00 to 02:00 Brussels time is lenient: up to 10 minutes a night do not count."
    ) in page
    assert "Checkout loads in under 3 seconds for 99 of 100 visits (per 30 days)." in page
    assert (
        "We accept losing at most 15 minutes of Checkout data and can restore Checkout "
        "within 1 hour."
    ) in page
    assert "not yet measured" in page
    assert "98.333%" in page  # 118 good of 120
    assert "of downtime left in the last 30 days" in page
    assert "Alice Martin</strong> (CTO)" in page
    # agreed on 5 January + 90 days: the review was due on 5 April, months before the fake now
    assert 'data-review="overdue"' in page
    assert "was due on 2026-04-05" in page
    # the evaluator recorded every agreed number when it started; nothing changed since
    assert "onwatch first recorded these numbers on" in page
    assert "none has changed since" in page


def test_a_changed_number_shows_with_its_old_and_new_value(site: Site, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(POLICY.replace("target: 99.9%", "target: 99.5%"))
    with site.database.engine.begin() as connection:
        record_policy(connection, load_policy(changed), changed, site.clock.now() + 60)
    assert log_in(site.client, "victor").status_code == 303
    page = site.client.get("/agreement").text
    row = re.search(
        r"<tr><td><time[^>]*>[^<]*</time></td><td>checkout/availability target</td>(.*?)</tr>",
        page,
    )
    assert row is not None, page
    assert row.group(1).startswith("<td>99.9%</td><td>99.5%</td>")
    assert "changed since:" in page


def test_the_dashboard_shows_an_overdue_review(site: Site) -> None:
    assert log_in(site.client, "victor").status_code == 303
    monitors = site.client.get("/monitors").text
    assert 'data-review="overdue"' in monitors
    assert 'href="/agreement"' in monitors


def test_a_share_link_shows_the_agreement_without_a_login_until_revoked(site: Site) -> None:
    with site.database.engine.begin() as connection:
        link = create_link(connection, created_by="tests", now=site.clock.now())
    shared = site.client.get(f"/agreement/shared/{link.secret}")
    assert shared.status_code == 200
    assert "Checkout loads in under 3 seconds" in shared.text
    assert shared.headers["referrer-policy"] == "no-referrer"
    assert shared.headers["cache-control"] == "no-store"
    assert "Log out" not in shared.text  # a stranger sees no account controls

    with site.database.engine.begin() as connection:
        revoke_link(connection, link.info.id, now=site.clock.now())
    assert site.client.get(f"/agreement/shared/{link.secret}").status_code == 404


def test_expired_and_made_up_links_are_not_found(site: Site) -> None:
    with site.database.engine.begin() as connection:
        link = create_link(
            connection,
            created_by="tests",
            now=site.clock.now() - 7200,
            expires_in=timedelta(hours=1),
        )
    assert site.client.get(f"/agreement/shared/{link.secret}").status_code == 404
    forged = link.secret[:-4] + ("aaaa" if not link.secret.endswith("aaaa") else "bbbb")
    assert site.client.get(f"/agreement/shared/{forged}").status_code == 404
    assert site.client.get("/agreement/shared/nothing").status_code == 404
