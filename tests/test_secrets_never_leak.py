"""Secrets given by reference never reach logs, command output, error messages or the database."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from onwatch.policy import load_policy
from onwatch.probes.base import CheckResult
from onwatch.store.batches import write_batch
from onwatch.store.database import open_database
from onwatch.store.monitors import MonitorIds

ONWATCH = str(Path(sys.executable).with_name("onwatch"))

POLICY = """\
apiVersion: onwatch/v1
services:
  - name: shop
contacts:
  - name: alice
    channels:
      sms: twilio://${TWILIO_SID}:${TWILIO_TOKEN}@15551230001/15551230002
      chat:
        url_file: {chat_file}
"""


def _with_password(url: str, password: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return url
    # The throwaway server trusts loopback, so any password connects: good for a leak test.
    return parsed.set(password=password).render_as_string(hide_password=False)


def _dump(url: str) -> str:
    """Every row of every table, as text (a backend-neutral database dump)."""
    database = open_database(url)
    reflected = MetaData()
    reflected.reflect(database.engine)
    lines = []
    with database.engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    database.dispose()
    return "\n".join(lines)


def test_secret_values_appear_in_no_log_output_or_database_dump(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = f"tok-{secrets.token_hex(16)}"
    chat_url = f"slack://{secrets.token_hex(12)}/B0/C0"
    key = secrets.token_urlsafe(40)
    db_password = f"pw{secrets.token_hex(10)}"
    secret_values = [token, chat_url, key, db_password]

    chat_file = tmp_path / "chat.url"
    chat_file.write_text(chat_url)
    policy_file = tmp_path / "onwatch.yaml"
    policy_file.write_text(POLICY.replace("{chat_file}", str(chat_file)))
    url = _with_password(database_url, db_password)
    env = {
        **os.environ,
        "TWILIO_SID": "AC123",
        "TWILIO_TOKEN": token,
        "ONWATCH_SECRET_KEY": key,
        "ONWATCH_DATABASE_URL": url,
    }

    transcript = []
    for command in (
        ["check", str(policy_file)],
        ["settings"],
        ["db", "migrate"],
        ["db", "status"],
        ["db", "retention", "--policy", str(policy_file)],
    ):
        done = subprocess.run(
            [ONWATCH, *command], env=env, capture_output=True, text=True, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        transcript += [done.stdout, done.stderr]

    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # echo every statement
    policy = load_policy(policy_file)
    sms = policy.contacts[0].channels["sms"].url
    chat = policy.contacts[0].channels["chat"].url
    # Use the secrets the way a sender will, then log what the app would log.
    assert token in sms.resolve(env)
    assert chat.resolve(env) == chat_url
    logging.getLogger("onwatch").info("channels %s %s policy %r", sms, chat, policy)
    database = open_database(url)
    write_batch(
        database,
        MonitorIds(),
        [CheckResult(monitor="shop", started_at=time.time(), ok=True, total_ms=12.0)],
    )
    database.dispose()
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    haystacks = {
        "command output": "\n".join(transcript),
        "logs": caplog.text,
        "database": _dump(url),
    }
    for where, text in haystacks.items():
        for value in secret_values:
            assert value not in text, f"a secret leaked into the {where}"
    # The references themselves are fine to show, and do show.
    assert "${TWILIO_TOKEN}" in caplog.text
