"""``onwatch incidents``, ``incident``, ``ack`` and ``resolve`` against a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onwatch.cli import app
from onwatch.incidents import get_incident, open_or_repeat
from onwatch.store.database import open_database

POLICY = """\
apiVersion: onwatch/v1
services: [{name: shop}]
monitors:
  - {name: shop-home, type: http, url: "https://shop.example/", service: shop}
"""


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    policy = tmp_path / "onwatch.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'onwatch.db'}"
    database = open_database(url)
    with database.engine.begin() as connection:
        open_or_repeat(
            connection,
            subject_kind="monitor",
            subject="shop-home",
            condition="down",
            severity="page",
            service="shop",
            title="shop-home is down",
            members=["shop-home"],
            at=time.time() - 60,
            epoch=1,
            first_step_at=time.time() + 240,
        )
    database.dispose()
    return ["--policy", str(policy), "--db", url]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    failure = f"error: {result.exception}" if result.exit_code == 1 and result.exception else ""
    return result.exit_code, result.stdout, result.stderr + failure


def test_an_operator_lists_acknowledges_and_resolves_an_incident(files: list[str]) -> None:
    db = files[2:]
    code, listing, _ = run("incidents", *db)
    assert code == 0
    assert "shop-home is down" in listing
    assert "triggered" in listing
    code, out, _ = run("ack", "1", "--as", "alice", *db)
    assert code == 0
    assert out.startswith("acknowledged incident 1")
    code, out, _ = run("resolve", "1", "--as", "bob", *files)
    assert code == 0
    assert out.startswith("resolved incident 1")
    code, story, _ = run("incident", "1", *db)
    assert code == 0
    for line in ("opened", "acknowledged", "alice", "resolved", "bob", "cli"):
        assert line in story
    assert "no incidents open" in run("incidents", *db)[2]
    database = open_database(db[1])
    with database.engine.connect() as connection:
        done = get_incident(connection, 1)
    database.dispose()
    assert (done.acknowledged_by, done.resolved_by) == ("alice", "bob")


def test_changing_an_unknown_or_resolved_incident_says_why(files: list[str]) -> None:
    db = files[2:]
    code, _, err = run("ack", "7", *db)
    assert code == 1
    assert "no incident with id 7" in err
    run("resolve", "1", *files)
    code, _, err = run("ack", "1", *db)
    assert code == 1
    assert "already resolved" in err
