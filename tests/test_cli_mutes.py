"""``onwatch mute``, ``unmute`` and ``mutes`` as an operator types them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from onwatch.cli import app

POLICY = """\
apiVersion: onwatch/v1
services: [{name: checkout}]
monitors:
  - {name: checkout-page, type: http, url: "https://shop.example/checkout", service: checkout}
"""


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    policy = tmp_path / "onwatch.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return ["--policy", str(policy), "--db", f"sqlite:///{tmp_path / 'onwatch.db'}"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    failure = f"error: {result.exception}" if result.exit_code == 1 and result.exception else ""
    return result.exit_code, result.stdout, result.stderr + failure


def test_an_operator_mutes_lists_and_unmutes_a_monitor(files: list[str]) -> None:
    code, out, err = run(
        "mute", "checkout-page", "--for", "2h", "--reason", "PSP migration", "--as", "alice", *files
    )
    assert code == 0, err
    assert out.startswith("muted checkout-page until ")
    assert out.rstrip().endswith("(mute 1): PSP migration")
    code, listing, _ = run("mutes", files[2], files[3])
    assert code == 0
    assert "checkout-page" in listing
    assert "alice" in listing
    assert "active" in listing
    code, out, _ = run("unmute", "1", "--as", "bob", files[2], files[3])
    assert code == 0
    assert "unmuted checkout-page" in out
    assert "no mutes silencing now" in run("mutes", files[2], files[3])[2]
    assert "ended by bob" in run("mutes", "--all", files[2], files[3])[1]


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (["checkout-pag", "--for", "1h", "--reason", "x"], "NAME", 'did you mean "checkout-page"'),
        (["checkout-page", "--for", "soon", "--reason", "x"], "--for", "not a duration"),
        (["checkout-page", "--for", "40d", "--reason", "x"], "--for", "at most 30 days"),
        (["checkout-page", "--for", "1h", "--reason", " "], "--reason", "needs a reason"),
    ],
)
def test_bad_input_names_the_flag(files: list[str], args: list[str], flag: str, words: str) -> None:
    code, _, err = run("mute", *args, *files)
    assert code == 2
    assert flag in err
    assert words in " ".join(err.split()).replace("│ ", "").replace(" │", "")


def test_unmuting_an_unknown_mute_says_so(files: list[str]) -> None:
    code, _, err = run("unmute", "9", files[2], files[3])
    assert code == 1
    assert "no mute with id 9" in err
