"""The outbox on SQLite and PostgreSQL: enqueue once per key, claim once, retry, fall back."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from notifykit import policy_with
from receivers import Receiver, receiving
from sqlalchemy import insert

from fakeclock import START
from onwatch.notify.delivery import Delivery
from onwatch.notify.outbox import (
    FALLBACK_AFTER,
    MAX_ATTEMPTS,
    Outcome,
    attempts_for,
    backoff,
    claim,
    counts,
    enqueue,
    fallback_key,
    rows,
    settle,
)
from onwatch.notify.sender import drain_once, next_channel
from onwatch.store.database import Database, open_database
from onwatch.store.tables import incidents

SECRET_ENV = {"HOOK_SECRET": "s3cret-value"}


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = open_database(database_url)
    yield db
    db.dispose()


def _enqueue(
    db: Database, key: str, *, channel: str = "hook", due_at: float = START, **kw: object
) -> int | None:
    with db.engine.begin() as connection:
        return enqueue(
            connection,
            key=key,
            contact="alice",
            channel=channel,
            title="checkout is down",
            short="checkout down",
            full="checkout is down: 5 of 5 checks failed",
            payload={"monitor": "checkout"},
            due_at=due_at,
            now=START,
            **kw,  # type: ignore[arg-type]
        )


def test_a_key_is_enqueued_once(database: Database) -> None:
    first = _enqueue(database, "incident-1/step-0/alice/hook")
    again = _enqueue(database, "incident-1/step-0/alice/hook")
    assert first is not None
    assert again is None
    with database.engine.connect() as connection:
        (row,) = rows(connection)
    assert (row.id, row.state, row.attempts, row.payload) == (
        first,
        "pending",
        0,
        {"monitor": "checkout"},
    )


def test_enqueue_belongs_to_the_callers_transaction(database: Database) -> None:
    def change_that_fails() -> None:
        with database.engine.begin() as connection:
            enqueue(
                connection,
                key="rolled-back",
                contact="alice",
                channel="hook",
                title="t",
                short="s",
                full="f",
                payload={},
                due_at=START,
                now=START,
            )
            raise RuntimeError("the incident change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with database.engine.connect() as connection:
        assert rows(connection) == []


def test_only_due_rows_are_claimed_and_each_only_once(database: Database) -> None:
    _enqueue(database, "now")
    _enqueue(database, "later", due_at=START + 60)
    with database.engine.begin() as connection:
        claimed = claim(connection, epoch=7, now=START, lease=12, limit=10)
    assert [row.key for row in claimed] == ["now"]
    assert (claimed[0].state, claimed[0].claimed_epoch, claimed[0].claimed_until) == (
        "sending",
        7,
        START + 12,
    )
    with database.engine.begin() as connection:
        assert claim(connection, epoch=7, now=START + 1, lease=12, limit=10) == []
        # an expired claim (its sender died) is taken again, with the same key
        again = claim(connection, epoch=8, now=START + 13, lease=12, limit=10)
    assert [row.key for row in again] == ["now"]


def test_an_outcome_after_the_claim_was_taken_over_changes_nothing(database: Database) -> None:
    _enqueue(database, "k")
    with database.engine.begin() as connection:
        (old,) = claim(connection, epoch=1, now=START, lease=12, limit=10)
        (new,) = claim(connection, epoch=2, now=START + 20, lease=12, limit=10)
        outcome = settle(
            connection,
            old,
            Delivery(ok=True),
            started_at=START,
            elapsed_ms=5.0,
            epoch=1,
            now=START + 21,
            next_channel=None,
        )
        assert outcome is Outcome.LOST_CLAIM
        (row,) = rows(connection)
    assert (row.state, row.claimed_epoch) == ("sending", new.claimed_epoch)


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [backoff(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 300, 300]


def test_a_receiver_failing_for_two_minutes_still_gets_the_message_once_it_recovers(
    database: Database,
) -> None:
    with receiving() as receiver:
        policy = policy_with(
            {"alice": {"hook": f"{{webhook: '{receiver.url}/hook', secret: '${{HOOK_SECRET}}'}}"}}
        )
        _enqueue(database, "incident-9/step-0/alice/hook", incident_id=None)
        receiver.status = 503
        now = START
        while now <= START + 600 and not receiver.requests:
            receiver.status = 503 if now < START + 120 else 200
            drain_once(database, policy, epoch=1, now=now, environ=SECRET_ENV)
            now += 1.0
        assert receiver.keys() == {"incident-9/step-0/alice/hook": 1}
    with database.engine.connect() as connection:
        (row,) = rows(connection)
    assert row.state == "sent"
    # tries about 0, 5, 15, 35, 75 and 155 s in (each a tick late): five refused, the sixth
    # delivered within one backoff of the recovery
    assert receiver.refused == 5
    assert row.attempts == 6
    assert row.sent_at is not None
    assert START + 120 <= row.sent_at <= START + 120 + backoff(5) + 6


def _fail_until_settled(db: Database, policy: object, receiver: Receiver, until: float) -> None:
    now = START
    while now <= until:
        drain_once(db, policy, epoch=1, now=now, environ=SECRET_ENV)  # type: ignore[arg-type]
        now += 1.0


def test_a_failing_channel_falls_back_to_the_next_one_and_stays_visible(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with receiving() as broken, receiving() as working:
        broken.status = 500
        policy = policy_with(
            {
                "alice": {
                    "sms": f"json://127.0.0.1:{broken.port}/sms",
                    "hook": f"{{webhook: '{working.url}/hook', secret: '${{HOOK_SECRET}}'}}",
                }
            }
        )
        assert next_channel(policy, "alice", "sms") == "hook"
        assert next_channel(policy, "alice", "hook") is None
        _enqueue(database, "incident-3/step-0/alice/sms", channel="sms")
        with caplog.at_level(logging.WARNING, logger="onwatch.notify.outbox"):
            _fail_until_settled(database, policy, broken, START + 60)
        assert broken.refused == FALLBACK_AFTER
        assert working.keys() == {fallback_key("incident-3/step-0/alice/sms", "hook"): 1}
    with database.engine.connect() as connection:
        failed, fell_back = rows(connection)
        assert counts(connection) == {"failed": 1, "sent": 1}
    assert (failed.channel, failed.state, failed.attempts) == ("sms", "failed", FALLBACK_AFTER)
    assert failed.last_error
    assert (fell_back.channel, fell_back.state) == ("hook", "sent")
    assert "falling back to hook" in caplog.text
    assert "alice via sms failed 3 times" in caplog.text


def test_the_last_channel_is_tried_until_it_is_given_up(database: Database) -> None:
    with receiving() as broken:
        broken.status = 502
        policy = policy_with({"alice": {"sms": f"json://127.0.0.1:{broken.port}/sms"}})
        _enqueue(database, "k", channel="sms")
        _fail_until_settled(database, policy, broken, START + 3600)
        assert broken.refused == MAX_ATTEMPTS
    with database.engine.connect() as connection:
        (row,) = rows(connection)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_permanent_refusal_is_not_retried(database: Database) -> None:
    with receiving() as refusing:
        refusing.status = 410
        policy = policy_with(
            {"alice": {"hook": f"{{webhook: '{refusing.url}/h', secret: '${{HOOK_SECRET}}'}}"}}
        )
        _enqueue(database, "k")
        _fail_until_settled(database, policy, refusing, START + 120)
        assert refusing.refused == 1
    with database.engine.connect() as connection:
        (row,) = rows(connection)
    assert (row.state, row.last_error) == ("failed", "HTTP 410")


def test_every_attempt_of_an_incident_is_listed(database: Database) -> None:
    with database.engine.begin() as connection:
        incident = connection.execute(
            insert(incidents)
            .values(
                subject_kind="monitor",
                subject="checkout",
                condition="down",
                severity="page",
                state="triggered",
                title="checkout is down",
                members=json.dumps(["checkout"]),
                opened_at=START,
                in_maintenance=False,
                next_step=0,
                round=0,
                epoch=1,
            )
            .returning(incidents.c.id)
        ).scalar_one()
    with receiving() as receiver:
        receiver.status = 500
        policy = policy_with(
            {"alice": {"hook": f"{{webhook: '{receiver.url}/h', secret: '${{HOOK_SECRET}}'}}"}}
        )
        _enqueue(database, "i/0/alice/hook", incident_id=incident, step=0)
        drain_once(database, policy, epoch=3, now=START, environ=SECRET_ENV)
        receiver.status = 200
        drain_once(database, policy, epoch=3, now=START + 6, environ=SECRET_ENV)
    with database.engine.connect() as connection:
        first, second = attempts_for(connection, incident)
        assert attempts_for(connection, incident + 1) == []
    assert (first.ok, first.error, first.epoch, first.step) == (False, "HTTP 500", 3, 0)
    assert (second.ok, second.error, second.key) == (True, None, "i/0/alice/hook")
    assert second.elapsed_ms >= 0
