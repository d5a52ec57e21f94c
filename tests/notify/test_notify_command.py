"""`onwatch notify test CONTACT`: one line per channel, ok or the error, and no URL shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from receivers import receiving

from netutil import free_port

ONWATCH = Path(sys.executable).with_name("onwatch")


def _run(policy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOOK_SECRET": "hook-secret-value",
        "JSON_USER": "json-user-secret",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [str(ONWATCH), "notify", "test", *args, "--policy", str(policy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_it_reports_each_channel_of_a_contact(tmp_path: Path) -> None:
    with receiving() as receiver:
        dead = free_port()
        policy = tmp_path / "onwatch.yaml"
        policy.write_text(
            "apiVersion: onwatch/v1\n"
            "contacts:\n"
            "  - name: alice\n"
            "    channels:\n"
            f"      chat: json://${{JSON_USER}}@127.0.0.1:{receiver.port}/chat\n"
            f"      hook: {{webhook: 'http://127.0.0.1:{dead}/x', secret: '${{HOOK_SECRET}}'}}\n",
            encoding="utf-8",
        )
        result = _run(policy, "alice")
        only = _run(policy, "alice", "--channel", "chat")
        typo = _run(policy, "alcie")
        assert len(receiver.requests) == 2
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["alice.chat", "ok"]
    assert lines[1].startswith("alice.hook  failed: cannot connect")
    assert result.returncode == 1
    assert "secret" not in result.stdout + result.stderr
    assert only.stdout.split() == ["alice.chat", "ok"]
    assert only.returncode == 0
    assert typo.returncode != 0
    assert 'did you mean "alice"' in typo.stderr
