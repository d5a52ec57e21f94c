"""The dashboard as a logged-in person sees it, over a real database holding written results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from authkit import PASSWORD, advance, log_in
from fastapi.testclient import TestClient
from sqlalchemy import event

from fakeclock import START, FakeClock
from onwatch.accounts.roles import Role
from onwatch.accounts.users import add_user
from onwatch.leader import SingleNodeLeader
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.runtime import Service
from onwatch.scheduler import Scheduler
from onwatch.settings import InstanceSettings
from onwatch.store.batches import write_batch
from onwatch.store.database import Database, open_database
from onwatch.store.monitors import MonitorIds
from onwatch.store.writer import Writer
from onwatch.web.app import create_app
from onwatch.web.context import WebContext

POLICY = """\
apiVersion: onwatch/v1
services: [{name: shop}]
monitors:
  - {name: home, type: http, url: "https://shop.example/", service: shop}
  - name: checkout
    type: http
    url: https://shop.example/checkout
    service: shop
    slow: {first_byte: 1s, total: 3s}
    runbook: https://wiki.example/checkout
  - {name: database, type: tcp, host: db.internal, port: 5432}
  - {name: fresh, type: dns, query: shop.example}
pools:
  - name: api
    targets: ["http://10.0.0.1:8080/health", "http://10.0.0.2:8080/health"]
    min_healthy: 2
"""
NOW = START
SLOW_DETAIL = "slow: first byte took 2.4 s, over the 1 s agreed (+1.4 s)"


def ok(name: str, at: float, total: float = 100.0) -> CheckResult:
    return CheckResult(
        name,
        at,
        True,
        total,
        dns_ms=total * 0.05,
        connect_ms=total * 0.1,
        tls_ms=total * 0.2,
        first_byte_ms=total * 0.55,
        transfer_ms=total * 0.1,
        status_code=200,
    )


def failed(name: str, at: float, failure: FailureClass, detail: str) -> CheckResult:
    return CheckResult(name, at, False, None, failure, dns_ms=3.0, detail=detail)


def slow(name: str, at: float) -> CheckResult:
    return CheckResult(
        name,
        at,
        False,
        2470.0,
        FailureClass.SLOW,
        dns_ms=4.0,
        connect_ms=11.0,
        tls_ms=25.0,
        first_byte_ms=2400.0,
        transfer_ms=30.0,
        status_code=200,
        detail=SLOW_DETAIL,
    )


def write(database: Database, results: list[CheckResult]) -> None:
    write_batch(database, MonitorIds(), results)


@dataclass
class Site:
    database: Database
    client: TestClient
    clock: FakeClock
    statements: list[str] = field(default_factory=list)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "onwatch.yaml"
    path.write_text(POLICY)
    clock = FakeClock(NOW)
    database = open_database(f"sqlite:///{tmp_path / 'onwatch.db'}")
    writer = Writer(database)
    scheduler = Scheduler({}, {}, writer.submit, clock, leader=SingleNodeLeader())
    service = Service(path, load_policy(path), database, writer, scheduler, clock)
    settings = InstanceSettings(secret_key="s" * 48)
    add_user(database, "victor", PASSWORD, Role.VIEWER)
    write(
        database,
        [
            ok("home", NOW - 3 * 3600),
            ok("home", NOW - 2 * 3600),
            failed("home", NOW - 3600, FailureClass.STATUS, "status: 503 Service Unavailable"),
            ok("home", NOW - 60),
            ok("checkout", NOW - 120, total=300.0),
            slow("checkout", NOW - 30),
            ok("database", NOW - 40, total=2.0),
            ok("api#1", NOW - 20),
            failed("api#2", NOW - 20, FailureClass.REFUSED, "refused: 10.0.0.2:8080 refused"),
        ],
    )
    app = create_app(WebContext(service, settings, "s" * 48))
    site = Site(database, TestClient(app), clock)
    event.listen(
        database.engine,
        "before_cursor_execute",
        lambda *args: site.statements.append(args[2]),
    )
    with site.client:
        assert log_in(site.client, "victor").status_code == 303
        yield site
    database.dispose()


class Rows(HTMLParser):
    """The text and attributes of every element carrying ``data-<key>``, by its value."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = f"data-{key}"
        self.found: dict[str, dict[str, Any]] = {}
        self._open: list[tuple[str, str]] = []  # (tag, value) of the elements we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.key in values:
            name = values[self.key] or ""
            self.found[name] = {"attrs": values, "text": ""}
            self._open.append((tag, name))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _, name in self._open:
            self.found[name]["text"] += data

    @classmethod
    def of(cls, html: str, key: str) -> dict[str, dict[str, Any]]:
        parser = cls(key)
        parser.feed(html)
        for row in parser.found.values():
            row["text"] = " ".join(row["text"].split())
        return parser.found


def test_the_list_shows_every_monitor_with_its_state_and_availability(site: Site) -> None:
    page = site.client.get("/monitors")
    assert page.status_code == 200
    rows = Rows.of(page.text, "monitor")
    assert list(rows) == ["home", "checkout", "database", "fresh", "api#1", "api#2"]
    states = {name: row["attrs"]["data-state"] for name, row in rows.items()}
    assert states == {
        "home": "up",
        "checkout": "slow",
        "database": "up",
        "fresh": "unknown",
        "api#1": "up",
        "api#2": "down",
    }
    assert "75.00%" in rows["home"]["text"]  # 3 good checks of 4 in the last 24 h
    assert "1 min ago" in rows["home"]["text"]
    assert SLOW_DETAIL in rows["checkout"]["text"]
    assert "refused: 10.0.0.2:8080 refused" in rows["api#2"]["text"]
    assert "never" in rows["fresh"]["text"]
    assert "6 monitors." in " ".join(page.text.split())


def test_search_keeps_monitors_whose_name_target_or_service_match_every_word(site: Site) -> None:
    shop = site.client.get("/monitors", params={"q": "shop"})
    assert list(Rows.of(shop.text, "monitor")) == ["home", "checkout", "fresh"]
    assert "3 of 6 monitors match “shop”" in shop.text
    narrowed = site.client.get("/monitors", params={"q": "SHOP checkout"})
    assert list(Rows.of(narrowed.text, "monitor")) == ["checkout"]
    backend = site.client.get("/monitors", params={"q": "10.0.0.2"})
    assert list(Rows.of(backend.text, "monitor")) == ["api#2"]
    nothing = site.client.get("/monitors", params={"q": "<nope>"})
    assert "No monitor matches “&lt;nope&gt;”" in nothing.text


def test_paging_splits_the_list_on_the_server(site: Site) -> None:
    second = site.client.get("/monitors", params={"page": 2, "per_page": 4})
    assert list(Rows.of(second.text, "monitor")) == ["api#1", "api#2"]
    assert "Page 2 of 2" in second.text
    assert 'href="/monitors?page=1&amp;per_page=4"' in second.text
    searched = site.client.get("/monitors", params={"q": "shop", "per_page": 2})
    assert 'href="/monitors?page=2&amp;q=shop&amp;per_page=2"' in searched.text
    beyond = site.client.get("/monitors", params={"page": 99, "per_page": "2"})
    assert list(Rows.of(beyond.text, "monitor")) == ["api#1", "api#2"]  # the last page
    nonsense = site.client.get("/monitors", params={"page": "x", "per_page": "100000"})
    assert len(Rows.of(nonsense.text, "monitor")) == 6


def test_the_list_reads_a_page_in_the_same_number_of_queries_however_long_it_is(
    site: Site,
) -> None:
    site.client.get("/monitors", params={"per_page": 1})
    site.statements.clear()
    site.client.get("/monitors", params={"per_page": 1})
    one = len(site.statements)
    site.statements.clear()
    site.client.get("/monitors", params={"per_page": 6})
    assert len(site.statements) == one


def test_a_slow_result_shows_its_detail_and_every_phase_on_the_monitor_page(site: Site) -> None:
    page = site.client.get("/monitors/checkout")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert SLOW_DETAIL in text
    phases = {key: row["text"] for key, row in Rows.of(page.text, "phase").items()}
    assert phases == {
        "dns": "4 ms",
        "connect": "11 ms",
        "tls": "25 ms",
        "first_byte": "2.4 s",
        "transfer": "30 ms",
        "total": "2.47 s",
    }
    assert "over the 1 s agreed" in text  # first byte, beside its cell
    assert "within the 3 s agreed" in text  # total
    assert "first byte over 1 s; total over 3 s" in text  # what counts as slow
    assert 'href="https://wiki.example/checkout"' in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="latency"' in page.text
    recent = Rows.of(page.text, "state")
    assert "slow" in recent
    assert "up" in recent


def test_a_failure_without_phases_reads_as_words_on_the_monitor_page(site: Site) -> None:
    page = site.client.get("/monitors/api%232")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "refused: 10.0.0.2:8080 refused" in text
    assert Rows.of(page.text, "phase")["first_byte"]["text"] == "did not happen"


def test_the_pools_page_says_redundancy_lost_when_one_of_two_backends_failed(site: Site) -> None:
    page = site.client.get("/pools")
    assert page.status_code == 200
    (pool,) = Rows.of(page.text, "pool").values()
    assert pool["attrs"]["data-state"] == "redundancy lost"
    assert "1/2 backends healthy, needs 2" in pool["text"]
    assert "Redundancy lost: users still get answers" in pool["text"]
    backends = Rows.of(page.text, "monitor")
    assert backends["api#1"]["attrs"]["data-state"] == "up"
    assert backends["api#2"]["attrs"]["data-state"] == "down"
    assert "refused: 10.0.0.2:8080 refused" in backends["api#2"]["text"]


def test_an_unknown_monitor_gets_a_404_page_that_suggests_close_names(site: Site) -> None:
    page = site.client.get("/monitors/chekout")
    assert page.status_code == 404
    assert "No monitor called “chekout”" in page.text
    assert '<a href="/monitors/checkout">checkout</a>' in page.text


@pytest.mark.parametrize("path", ["/", "/monitors", "/monitors/checkout", "/pools"])
def test_anonymous_visitors_are_sent_to_the_login_page(site: Site, path: str) -> None:
    site.client.cookies.clear()
    answer = site.client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


def test_the_home_page_is_the_monitor_list(site: Site) -> None:
    answer = site.client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/monitors")


def test_every_page_has_a_logout_form_with_its_csrf_token(site: Site) -> None:
    for path in ("/monitors", "/monitors/home", "/pools", "/monitors/nothing"):
        page = site.client.get(path)
        assert '<form class="logout" method="post" action="/logout">' in page.text
        assert 'name="csrf_token" value=""' not in page.text
        assert 'name="csrf_token" value="' in page.text


def test_text_from_checked_servers_is_escaped(site: Site) -> None:
    write(site.database, [failed("database", NOW - 1, FailureClass.PROTOCOL, "<b>bad</b> & co")])
    for path in ("/monitors", "/monitors/database"):
        page = site.client.get(path)
        assert "<b>bad</b>" not in page.text
        assert "&lt;b&gt;bad&lt;/b&gt; &amp; co" in page.text


def test_a_monitor_without_recent_results_says_it_is_stale(site: Site) -> None:
    assert "Stale" not in site.client.get("/monitors/home").text
    advance(site.clock, 600)  # home is checked every minute; its newest result is 11 min old
    text = " ".join(site.client.get("/monitors/home").text.split())
    assert "Stale: no result for 11 min, though it is checked every 1 min." in text


def test_a_check_made_seconds_ago_already_counts_in_the_availability(site: Site) -> None:
    write(site.database, [ok("fresh", NOW - 5)])
    row = Rows.of(site.client.get("/monitors").text, "monitor")["fresh"]
    assert row["attrs"]["data-state"] == "up"
    assert "available 24 h 100%" in row["text"]
    windows = Rows.of(site.client.get("/monitors/fresh").text, "window")
    assert windows["1 h"]["text"].startswith("1 h 1 100%")
