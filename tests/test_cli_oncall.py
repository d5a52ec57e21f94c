"""``onwatch oncall`` and its overrides as an operator types them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from onwatch.cli import app

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
contacts:
  - {name: alice, channels: {sms: "json://sms.example/alice"}}
  - {name: bob, channels: {sms: "json://sms.example/bob"}}
  - {name: carol, channels: {sms: "json://sms.example/carol"}}
oncall:
  - name: primary
    members: [alice, bob, carol]
    handover: {day: monday, at: "09:00", every: 1w}
    start: 2026-11-02
  - {name: solo, members: [alice], start: 2026-11-02}
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


def plain(text: str) -> str:
    """Rich's error box as one line of words."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in text.splitlines()
        if re.match(r"│ \w", line)
    ]


def test_it_shows_who_is_on_call_at_a_time_until_when_and_who_is_next(files: list[str]) -> None:
    code, out, _ = run("oncall", "--at", "2026-11-10 12:00", *files)
    assert code == 0, out
    assert rows(out) == [
        ["primary", "bob", "2026-11-16 09:00 CET", "carol"],
        ["solo", "alice", "2026-11-16 09:00 CET", "alice"],
    ]


def test_an_override_puts_someone_else_on_call_until_it_is_cancelled(files: list[str]) -> None:
    start = datetime.now(BRUSSELS) - timedelta(hours=1)
    end = start + timedelta(hours=3)
    code, out, err = run(
        "oncall", "override", "carol", "--rotation", "solo",
        "--from", start.strftime("%Y-%m-%d %H:%M"), "--to", end.strftime("%Y-%m-%d %H:%M"),
        "--as", "alice", *files,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("added override 1: carol is on call for solo from ")

    code, out, _ = run("oncall", *files)
    assert code == 0
    (rotation, who, until, after) = rows(out)[1]
    assert (rotation, who, after) == ("solo", "carol (override)", "alice")
    assert until == end.strftime("%Y-%m-%d %H:%M %Z")

    code, out, _ = run("oncall", "overrides", *files)
    assert code == 0
    ((ident, rotation, contact, *_, created_by),) = rows(out)
    assert (ident, rotation, contact, created_by) == ("1", "solo", "carol", "alice")

    assert run("oncall", "cancel", "1", *files[2:])[:2] == (
        0,
        "cancelled override 1 (carol for solo)\n",
    )
    assert "no overrides in force or to come" in run("oncall", "overrides", *files)[1]
    again = CliRunner().invoke(app, ["oncall", "cancel", "1", *files[2:]])
    assert again.exit_code == 1
    assert "no override 1 in force or to come" in str(again.exception)  # main() prints it


def test_typos_are_refused_with_a_suggestion(files: list[str]) -> None:
    when = ["--from", "2026-12-24 18:00", "--to", "2026-12-26 09:00"]
    code, _, err = run("oncall", "override", "karol", "--rotation", "primary", *when, *files)
    assert code == 2
    assert '"karol" is not a contact (did you mean "carol"?)' in plain(err)
    code, _, err = run("oncall", "override", "carol", "--rotation", "primery", *when, *files)
    assert code == 2
    assert '"primery" is not a rotation (did you mean "primary"?)' in plain(err)
    code, _, err = run(
        "oncall", "override", "carol", "--rotation", "primary",
        "--from", "Christmas eve", "--to", "2026-12-26 09:00", *files,
    )  # fmt: skip
    assert code == 2
    assert '"Christmas eve" is not a date and time' in plain(err)


def test_an_override_that_ends_before_it_starts_is_refused(files: list[str]) -> None:
    code, _, err = run(
        "oncall", "override", "carol", "--rotation", "primary",
        "--from", "2026-12-26 09:00", "--to", "2026-12-24 18:00", *files,
    )  # fmt: skip
    assert code == 2
    assert "an override must end after it starts" in plain(err)
