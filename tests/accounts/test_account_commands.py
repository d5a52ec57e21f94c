"""``onwatch user …`` and ``onwatch token …`` as an operator types them."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onwatch.accounts.tokens import verify_token
from onwatch.accounts.users import authenticate
from onwatch.cli import app
from onwatch.store.database import open_database

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'onwatch.db'}"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_an_admin_adds_lists_and_removes_users(db: str) -> None:
    code, out, _ = run(
        "user",
        "add",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db,
        stdin=PASSWORD + "\n",
    )
    assert (code, out.strip()) == (0, "added user alice (admin)")
    run("user", "add", "victor", "--db", db, stdin=PASSWORD + "\n")
    code, out, _ = run("user", "list", "--db", db)
    assert code == 0
    assert re.search(r"alice\s+│\s+admin", out)
    assert re.search(r"victor\s+│\s+viewer", out)
    assert run("user", "remove", "victor", "--db", db)[:2] == (0, "removed user victor\n")
    assert "victor" not in run("user", "list", "--db", db)[1]


def test_clear_errors_for_a_duplicate_user_a_weak_password_and_an_unknown_user(db: str) -> None:
    from onwatch.accounts.errors import AccountError

    run("user", "add", "alice", "--db", db, stdin=PASSWORD + "\n")
    for args, stdin, message in [
        (("user", "add", "alice"), PASSWORD, "already exists"),
        (("user", "add", "bob"), "short", "too short"),
        (("user", "remove", "bob"), None, "no user named 'bob'"),
    ]:
        result = CliRunner().invoke(app, [*args, "--db", db], input=stdin)
        assert isinstance(result.exception, AccountError)
        assert message in str(result.exception)


def test_a_password_reset_from_stdin_changes_the_password(db: str) -> None:
    run("user", "add", "alice", "--db", db, stdin=PASSWORD + "\n")
    code, out, _ = run(
        "user", "reset-password", "alice", "--db", db, stdin="another long passphrase\n"
    )
    assert code == 0
    assert "sessions have ended" in out
    database = open_database(db)
    try:
        assert authenticate(database, "alice", PASSWORD) is None
        assert authenticate(database, "alice", "another long passphrase") is not None
    finally:
        database.dispose()


def test_a_token_is_printed_once_alone_on_stdout_and_never_listed(db: str) -> None:
    code, out, err = run(
        "token", "create", "--name", "ci", "--role", "editor", "--expires", "90d", "--db", db
    )
    assert code == 0
    token = out.strip()
    assert re.fullmatch(r"ow_[A-Za-z0-9_-]{43}", token)
    assert "will not be shown again" in err
    database = open_database(db)
    try:
        assert verify_token(database, token, now=time.time()) is not None
    finally:
        database.dispose()
    code, listed, _ = run("token", "list", "--db", db)
    assert code == 0
    assert token[:10] in listed
    assert token[10:] not in listed
    assert run("token", "revoke", "ci", "--db", db)[0] == 0
    row = run("token", "list", "--db", db)[1].splitlines()[1].split()
    assert row[0] == "ci"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", row[-1]), "the revoked column shows the date"


def test_a_bad_expiry_is_a_usage_error_naming_the_option(db: str) -> None:
    code, _, err = run("token", "create", "--name", "ci", "--expires", "soon", "--db", db)
    assert code == 2
    assert "--expires" in err
    assert "not a duration" in err
