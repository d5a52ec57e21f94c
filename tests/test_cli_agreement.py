"""``onwatch agreement`` (md and html), ``share``, ``links``, ``unshare`` and ``history``."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onwatch.cli import app
from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.agreement_log import record_policy
from onwatch.store.batches import write_batch
from onwatch.store.database import open_database
from onwatch.store.monitors import MonitorIds

POLICY = """\
apiVersion: onwatch/v1
agreement:
  agreed_by: [{name: Alice Martin, role: CTO}]
  agreed_on: 2020-01-01
services:
  - name: checkout
    title: Checkout
    objectives:
      availability: {target: 99%, also_report: [month]}
monitors:
  - {name: checkout-page, type: http, url: "https://shop.example/checkout", service: checkout}
"""


@pytest.fixture
def site(tmp_path: Path) -> tuple[list[str], str]:
    policy = tmp_path / "onwatch.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'onwatch.db'}"
    database = open_database(url)
    now = time.time()
    results = [CheckResult("checkout-page", now - (200 - i) * 60, True, 90.0) for i in range(196)]
    results += [
        CheckResult("checkout-page", now - i * 60, False, failure=FailureClass.TIMEOUT)
        for i in (4, 3, 2, 1)
    ]
    write_batch(database, MonitorIds(), results)
    with database.engine.begin() as connection:
        record_policy(connection, load_policy(policy), policy, now)
    database.dispose()
    return ["--policy", str(policy), "--db", url], url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "240"})
    # `onwatch` prints an OnwatchError as "error: ..." (cli.main); the app alone raises it
    failure = f"error: {result.exception}" if result.exit_code == 1 and result.exception else ""
    return result.exit_code, result.stdout, result.stderr + failure


def test_markdown_lists_the_promises_and_the_standing_from_the_store(
    site: tuple[list[str], str],
) -> None:
    files, _ = site
    code, out, err = run("agreement", *files)
    assert code == 0, err
    assert out.startswith("# Reliability agreement")
    assert "| Checkout is available 99% of the time: at most 7 hours 12 minutes" in out
    assert "98.000% over 30d" in out
    assert "over month" in out
    assert "of downtime left in the last 30 days" in out
    assert "Agreed on 2020-01-01 by Alice Martin (CTO)" in out
    assert "onwatch first recorded these numbers on" in out  # the recorded history
    assert "Review overdue" in err


def test_html_is_one_self_contained_page_written_to_a_file(
    site: tuple[list[str], str], tmp_path: Path
) -> None:
    files, _ = site
    target = tmp_path / "agreement.html"
    code, _, err = run("agreement", "--format", "html", "--output", str(target), *files)
    assert code == 0, err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<style>" in page
    assert "/static/" not in page
    assert "Checkout is available 99% of the time" in page
    assert 'data-objective="checkout/availability"' in page


def test_share_prints_a_link_once_and_unshare_revokes_it(site: tuple[list[str], str]) -> None:
    _, url = site
    code, out, err = run("agreement", "share", "--expires", "30d", "--db", url)
    assert code == 0, err
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/agreement/shared/\S+\n", out)
    assert "Copy it now" in err
    code, listing, _ = run("agreement", "links", "--db", url)
    assert code == 0
    assert "live" in listing
    code, _, err = run("agreement", "unshare", "1", "--db", url)
    assert code == 0
    assert "revoked" in err
    assert "revoked" in run("agreement", "links", "--db", url)[1]
    code, _, err = run("agreement", "unshare", "99", "--db", url)
    assert code == 1
    assert "no share link with id 99" in err


def test_a_bad_expiry_names_the_flag(site: tuple[list[str], str]) -> None:
    _, url = site
    code, _, err = run("agreement", "share", "--expires", "soon", "--db", url)
    assert code == 2
    assert "--expires" in err


def test_history_lists_each_recorded_number(site: tuple[list[str], str]) -> None:
    _, url = site
    code, out, _ = run("agreement", "history", "--item", "checkout/", "--db", url)
    assert code == 0
    assert "checkout/availability target" in out
    assert "99%" in out
    assert "agreement agreed_on" not in out
