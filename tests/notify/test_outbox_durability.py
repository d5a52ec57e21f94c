"""kill -9 the sender at random moments: nothing is lost, and every repeat is explained.

A loopback receiver counts messages by idempotency key. A real sender
process (``sender_child.py``) drains a real outbox on SQLite (and PostgreSQL)
and is killed with SIGKILL again and again, then restarted:

- at random moments (during start-up, claims, sends or commits);
- by the receiver itself, right after it accepted a message and before it
  answers: the gap between "the provider accepted" and "our commit".

At the end every message arrived, every row is ``sent`` with exactly one
successful attempt recorded, every repeat carries its message's key and
follows a kill, and every message killed in the gap was repeated.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from receivers import Received, receiving
from sqlalchemy import func, select

from onwatch.notify.outbox import counts, enqueue
from onwatch.store.database import open_database
from onwatch.store.tables import delivery_attempts, outbox

CHILD = Path(__file__).with_name("sender_child.py")
MESSAGES = 1500
KILLS = 24
BATCH = 8  # rows the child claims per round (sender_child.py)
SECRET = "durability-secret"

pytestmark = pytest.mark.slow


def _policy(path: Path, port: int) -> None:
    path.write_text(
        "apiVersion: onwatch/v1\n"
        "contacts:\n"
        "  - name: ops\n"
        "    channels:\n"
        f"      hook: {{webhook: 'http://127.0.0.1:{port}/hook', secret: '${{HOOK_SECRET}}'}}\n"
        f"      json: json://127.0.0.1:{port}/json\n",
        encoding="utf-8",
    )


def _fill(url: str) -> None:
    database = open_database(url)
    with database.engine.begin() as connection:
        for n in range(MESSAGES):
            enqueue(
                connection,
                key=f"incident-{n // 3}/step-{n % 3}/ops/{n}",
                contact="ops",
                channel="hook" if n % 2 else "json",
                title=f"message {n}",
                short=f"short {n}",
                full=f"full {n}",
                payload={"n": n},
                due_at=0.0,
                now=0.0,
            )
    database.dispose()


class Run:
    """The sender processes, the kills and what the receiver saw, in one ordered log."""

    def __init__(self, url: str, policy: Path) -> None:
        self.url, self.policy = url, policy
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []  # ("recv", key) | ("kill", "gap"|"random")
        self.child: subprocess.Popen[bytes] | None = None
        self.arm_gap = threading.Event()
        self.gap_keys: list[str] = []

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "HOOK_SECRET": SECRET}
        self.child = subprocess.Popen(
            [sys.executable, str(CHILD), self.url, str(self.policy)],
            env=env,
            stdout=subprocess.PIPE,
        )
        assert self.child.stdout is not None
        assert self.child.stdout.readline().strip() == b"ready"
        return self.child

    def kill(self, kind: str) -> None:
        """SIGKILL the current sender (called with :attr:`lock` held)."""
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGKILL)
        self.events.append(("kill", kind))

    def on_accept(self, item: Received) -> None:
        with self.lock:
            self.events.append(("recv", item.key or ""))
            if self.arm_gap.is_set():
                self.arm_gap.clear()
                self.kill("gap")  # accepted, not yet answered: the sender cannot have committed
                self.gap_keys.append(item.key or "")


def _unfinished(url: str) -> int:
    database = open_database(url)
    with database.engine.connect() as connection:
        left = counts(connection)
    database.dispose()
    return sum(n for state, n in left.items() if state != "sent")


@pytest.mark.timeout(600)
def test_nothing_is_lost_when_the_sender_is_killed_at_random_moments(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(6)
    _fill(database_url)
    with receiving() as receiver:
        policy = tmp_path / "onwatch.yaml"
        _policy(policy, receiver.port)
        run = Run(database_url, policy)
        receiver.on_accept = run.on_accept
        for n in range(KILLS):
            child = run.start()
            if n % 2 == 0:
                run.arm_gap.set()
            else:
                time.sleep(rng.uniform(0.0, 0.5))
                with run.lock:
                    if child.poll() is None:
                        run.kill("random")
            child.wait()
            run.arm_gap.clear()
        child = run.start()  # the last one runs until everything is out
        while _unfinished(database_url):
            time.sleep(0.2)
        child.send_signal(signal.SIGTERM)
        assert child.wait() == 0
        requests = list(receiver.requests)

    database = open_database(database_url)
    with database.engine.connect() as connection:
        states = counts(connection)
        successes = Counter(
            dict(
                connection.execute(
                    select(outbox.c.idempotency_key, func.count())
                    .join(delivery_attempts, delivery_attempts.c.outbox_id == outbox.c.id)
                    .where(delivery_attempts.c.ok.is_(True))
                    .group_by(outbox.c.idempotency_key)
                ).all()
            )
        )
        failures = connection.execute(
            select(func.count())
            .select_from(delivery_attempts)
            .where(delivery_attempts.c.ok.is_(False))
        ).scalar_one()
    database.dispose()

    received = Counter(item.key for item in requests)
    repeats = sum(received.values()) - len(received)
    kills = Counter(kind for event, kind in run.events if event == "kill")
    print(
        f"\n[{database_url.split(':')[0]}] sent {MESSAGES}, received {sum(received.values())} "
        f"({len(received)} distinct keys), repeats {repeats}; "
        f"kills {sum(kills.values())} ({kills['gap']} in the accept→commit gap, "
        f"{kills['random']} at random moments)"
    )
    assert sum(kills.values()) >= 20
    assert states == {"sent": MESSAGES}
    assert len(received) == MESSAGES  # nothing lost
    for item in requests:  # webhooks also carry the key in the signed body
        if item.path == "/hook":
            assert json.loads(item.body)["idempotency_key"] == item.key
    # every repeat follows a kill: one after the key's previous arrival, or the one that
    # killed the sender whose request that was (it may arrive just after the kill, among
    # the last claim batch in flight)
    seen: dict[str, tuple[int, int]] = {}  # key -> (last kill before it, arrivals since)
    last_kill, since = -1, 0
    for index, (event, value) in enumerate(run.events):
        if event == "kill":
            last_kill, since = index, 0
            continue
        since += 1
        if value in seen:
            kill_before, arrivals = seen[value]
            in_flight_at_kill = kill_before >= 0 and arrivals <= BATCH
            assert last_kill != kill_before or in_flight_at_kill, f"{value} repeated, no kill"
        seen[value] = (last_kill, since)
    # exactly one committed success per key: every other arrival was never recorded, so its
    # sender died between the receiver accepting it and the commit
    assert set(successes.values()) == {1}
    assert failures == 0
    # a message killed in the gap was necessarily sent again
    assert all(received[key] >= 2 for key in run.gap_keys)
    assert repeats <= sum(kills.values()) * BATCH  # at most one claim batch per kill
