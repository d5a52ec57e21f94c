"""The agreement's history, on SQLite and PostgreSQL: what changed, from what to what, and who.

The author comes from a real git repository made for the test.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from onwatch.policy import load_policy
from onwatch.store.agreement_log import agreed_numbers, history, numbers_at, record_policy
from onwatch.store.database import Database, open_database

T0 = 1_790_000_000

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
    objectives:
      availability:
        target: 99.9%
        window: 30d
        lenient: [{from: "23:00", to: "06:00", target: 99%}]
      latency: {target: 99%, threshold: 3s, phase: first_byte}
      data_loss: 5m
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
agreement:
  agreed_by: [{name: Alice, role: CTO}, {name: Bob}]
  agreed_on: 2026-11-02
"""


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def commit(path: Path, text: str, author: str) -> None:
    path.write_text(text, encoding="utf-8")
    git(path.parent, "add", path.name)
    name, email = author.removesuffix(">").split(" <")
    git(
        path.parent,
        "-c",
        f"user.name={name}",
        "-c",
        f"user.email={email}",
        "commit",
        "--quiet",
        "--no-gpg-sign",
        "-m",
        "policy",
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    folder = tmp_path / "ops"
    folder.mkdir()
    git(folder, "init", "--quiet")
    return folder / "onwatch.yaml"


def test_every_agreed_number_is_flattened_to_text() -> None:
    from onwatch.policy import parse_policy

    numbers = agreed_numbers(parse_policy(POLICY))

    assert numbers == {
        "checkout/availability target": "99.9%",
        "checkout/availability window": "30d",
        "checkout/availability lenient": "23:00-06:00 target 99% (Europe/Brussels)",
        "checkout/availability alerts": "page-1h at 14.4x over 1h and 5m; page-6h at 6x over "
        "6h and 30m; ticket-3d at 1x over 3d and 6h; at least 3 bad events",
        "checkout/latency target": "99%",
        "checkout/latency window": "30d",
        "checkout/latency threshold": "3s",
        "checkout/latency phase": "first_byte",
        "checkout/latency alerts": "page-1h at 14.4x over 1h and 5m; page-6h at 6x over "
        "6h and 30m; ticket-3d at 1x over 3d and 6h; at least 3 bad events",
        "checkout data_loss": "5m",
        "agreement agreed_by": "Alice (CTO), Bob",
        "agreement agreed_on": "2026-11-02",
        "agreement review_every": "90d",
    }


def test_the_first_load_records_every_item_with_the_commit_author(
    database: Database, repository: Path
) -> None:
    commit(repository, POLICY, "Alice Doe <alice@example.com>")
    policy = load_policy(repository)

    with database.engine.begin() as connection:
        recorded = record_policy(connection, policy, repository, T0)
        again = record_policy(connection, policy, repository, T0 + 60)

    assert {change.item: change.new_value for change in recorded} == agreed_numbers(policy)
    assert {change.old_value for change in recorded} == {None}
    assert {change.author for change in recorded} == {"Alice Doe <alice@example.com>"}
    digest = hashlib.sha256(repository.read_bytes()).hexdigest()
    assert {change.policy_hash for change in recorded} == {digest}
    assert again == []


def test_a_reload_records_only_what_changed_from_old_to_new(
    database: Database, repository: Path
) -> None:
    commit(repository, POLICY, "Alice Doe <alice@example.com>")
    with database.engine.begin() as connection:
        record_policy(connection, load_policy(repository), repository, T0)
    changed = POLICY.replace("target: 99.9%", "target: 99.5%").replace("      data_loss: 5m\n", "")
    commit(repository, changed, "Bob Roe <bob@example.com>")

    with database.engine.begin() as connection:
        recorded = record_policy(connection, load_policy(repository), repository, T0 + 3600)
        target = history(connection, "checkout/availability target")

    assert [(c.item, c.old_value, c.new_value, c.author) for c in recorded] == [
        ("checkout/availability target", "99.9%", "99.5%", "Bob Roe <bob@example.com>"),
        ("checkout data_loss", "5m", None, "Bob Roe <bob@example.com>"),
    ]
    assert [(c.changed_at, c.old_value, c.new_value) for c in target] == [
        (T0, None, "99.9%"),
        (T0 + 3600, "99.9%", "99.5%"),
    ]


def test_the_numbers_agreed_at_a_past_moment_can_be_read_back(
    database: Database, repository: Path
) -> None:
    commit(repository, POLICY, "Alice Doe <alice@example.com>")
    first = load_policy(repository)
    with database.engine.begin() as connection:
        record_policy(connection, first, repository, T0)
    commit(repository, POLICY.replace("threshold: 3s", "threshold: 2s"), "Bob <bob@example.com>")
    second = load_policy(repository)
    with database.engine.begin() as connection:
        record_policy(connection, second, repository, T0 + 86_400)

    with database.engine.connect() as connection:
        before_anything = numbers_at(connection, T0 - 1)
        during_incident = numbers_at(connection, T0 + 3600)
        today = numbers_at(connection, T0 + 2 * 86_400)

    assert before_anything == {}
    assert during_incident == agreed_numbers(first)
    assert during_incident["checkout/latency threshold"] == "3s"
    assert today == agreed_numbers(second)


def test_a_policy_outside_git_has_no_author(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "onwatch.yaml"
    path.write_text(POLICY, encoding="utf-8")

    with database.engine.begin() as connection:
        recorded = record_policy(connection, load_policy(path), path, T0)

    assert recorded
    assert {change.author for change in recorded} == {None}
