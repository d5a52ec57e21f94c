"""``onwatch maintenance add|list|cancel`` as an operator types them."""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from onwatch.cli import app
from onwatch.store.database import open_database
from onwatch.store.maintenance import UnknownWindowError, load_windows

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
pools:
  - name: api-pool
    service: checkout
    targets: [http://10.0.0.1/health, http://10.0.0.2/health]
"""
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    policy = tmp_path / "onwatch.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return ["--policy", str(policy), "--db", f"sqlite:///{tmp_path / 'onwatch.db'}"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(BRUSSELS).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour)


def test_an_operator_adds_lists_and_cancels_windows(files: list[str]) -> None:
    db = files[2:]
    start = tomorrow_at(22)
    code, out, _ = run(
        "maintenance", "add", "-s", "checkout", "-m", "api-pool#1", "--start",
        start.strftime("%Y-%m-%d %H:%M"), "--duration", "2h", "--reason", "Database upgrade",
        "--rrule", f"FREQ=WEEKLY;BYDAY={start.strftime('%a')[:2].upper()}", "--as", "alice",
        *files,
    )  # fmt: skip
    assert code == 0, out
    assert out.startswith("added maintenance window 1 (services checkout; monitors api-pool#1): ")
    assert start.strftime("%Y-%m-%d 22:00") in out
    assert out.rstrip().endswith("for 2h")

    later = datetime.now(BRUSSELS) + timedelta(minutes=30)
    code, out, _ = run(
        "maintenance", "add", "-m", "checkout-page", "--end", later.strftime("%Y-%m-%d %H:%M"),
        "--reason", "Cache flush", *files,
    )  # fmt: skip
    assert code == 0, out
    assert "added maintenance window 2 (monitors checkout-page): now, until" in out

    code, out, _ = run("maintenance", "list", *db)
    assert code == 0
    rows = [line for line in out.splitlines() if re.match(r"│ \d", line)]
    assert [row.split("│")[1].strip() for row in rows] == ["2", "1"]  # active, then upcoming
    assert "alice" in rows[1]
    assert "Database" in out

    assert run("maintenance", "cancel", "2", "--as", "bob", *db)[:2] == (
        0,
        "cancelled maintenance window 2 (Cache flush); cancelled by bob\n",
    )
    listed = run("maintenance", "list", *db)[1]
    assert [
        line.split("│")[1].strip() for line in listed.splitlines() if re.match(r"│ \d", line)
    ] == ["1"]
    everything = run("maintenance", "list", "--all", *db)[1]
    assert [
        line.split("│")[1].strip() for line in everything.splitlines() if re.match(r"│ \d", line)
    ] == ["1", "2"]
    database = open_database(db[1])
    try:
        with database.engine.connect() as connection:
            windows = load_windows(connection)
    finally:
        database.dispose()
    assert [(w.created_by, w.cancelled_by) for w in windows] == [
        ("alice", None),
        (getpass.getuser(), "bob"),
    ]


@pytest.mark.parametrize(
    ("arguments", "flag", "words"),
    [
        (["-s", "chekout", "--duration", "1h"], "--service", 'did you mean "checkout"?'),
        (["-m", "api-pol#1", "--duration", "1h"], "--monitor", "is not a monitor or pool"),
        (
            ["-s", "checkout", "--start", "2099-01-01 10:00", "--end", "2099-01-01 09:00"],
            "--end",
            "is not after start",
        ),
        (
            ["-s", "checkout", "--duration", "1h", "--rrule", "FREQ=SOMETIMES"],
            "--rrule",
            "FREQ=SOMETIMES",
        ),
        (["-s", "checkout", "--duration", "later"], "--duration", "is not a duration"),
        (["--duration", "1h"], "--service", "covers nothing"),
    ],
)
def test_bad_input_is_refused_naming_the_flag(
    files: list[str], arguments: list[str], flag: str, words: str
) -> None:
    code, _, err = run("maintenance", "add", "--reason", "Upgrade", *arguments, *files)

    assert code == 2
    assert flag in err
    assert words in " ".join(err.replace("│", " ").split())


def test_a_missing_reason_is_refused_naming_the_flag(files: list[str]) -> None:
    code, _, err = run("maintenance", "add", "-s", "checkout", "--duration", "1h", *files)

    assert code == 2
    assert "--reason" in err


def test_cancelling_an_unknown_window_says_so(files: list[str]) -> None:
    result = CliRunner().invoke(app, ["maintenance", "cancel", "7", *files[2:]])

    assert isinstance(result.exception, UnknownWindowError)
    assert "no maintenance window with id 7" in str(result.exception)


def test_every_maintenance_command_has_help() -> None:
    for command in ("add", "list", "cancel"):
        code, out, _ = run("maintenance", command, "--help")
        assert code == 0
        assert "Usage" in out
