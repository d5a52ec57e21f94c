"""The escalation cascade on SQLite and PostgreSQL: who the outbox would notify, and when."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cascade import Cascade

from onwatch.incidents import acknowledge, timeline
from onwatch.store.database import open_database

MINUTE = 60.0


@pytest.fixture
def cascade(database_url: str) -> Iterator[Cascade]:
    database = open_database(database_url)
    yield Cascade(database)
    database.dispose()


def _ack(cascade: Cascade, incident_id: int, at: float) -> None:
    with cascade.database.engine.begin() as connection:
        acknowledge(connection, incident_id, by="alice", via="link", at=cascade.start + at)


def test_it_pages_alice_at_once_and_bob_five_minutes_later_when_nobody_acks(
    cascade: Cascade,
) -> None:
    cascade.open()
    cascade.run(6 * MINUTE)
    sent = cascade.sent()
    assert [(item.to, item.step) for item in sent] == [("alice.sms", 0), ("bob.sms", 1)]
    assert sent[0].at == 0
    assert 5 * MINUTE <= sent[1].at <= 5 * MINUTE + 5


def test_an_ack_at_three_minutes_means_bob_gets_nothing(cascade: Cascade) -> None:
    incident = cascade.open().incident
    cascade.run(3 * MINUTE)
    _ack(cascade, incident.id, 3 * MINUTE)
    cascade.run(60 * MINUTE, since=3 * MINUTE)
    assert [item.to for item in cascade.sent()] == ["alice.sms"]


def test_the_chain_runs_once_more_after_its_last_step_when_it_repeats(cascade: Cascade) -> None:
    cascade.open()
    cascade.run(60 * MINUTE, every=MINUTE)
    sent = [(item.at / MINUTE, item.to) for item in cascade.sent()]
    # Steps at 0, 5, 15 minutes; the round repeats 10 minutes (the last gap) after the last step.
    assert sent == [
        (0, "alice.sms"),
        (5, "bob.sms"),
        (15, "carol.sms"),
        (25, "alice.sms"),
        (30, "bob.sms"),
        (40, "carol.sms"),
    ]


def test_a_step_is_sent_once_however_often_the_engine_ticks(cascade: Cascade) -> None:
    cascade.open()
    for _ in range(3):
        cascade.tick(0)
    assert len(cascade.sent()) == 1


def test_a_resolve_tells_everyone_who_was_paged(cascade: Cascade) -> None:
    incident = cascade.open().incident
    cascade.run(6 * MINUTE)
    cascade.resolve(incident.id, at=7 * MINUTE)
    cascade.run(60 * MINUTE, since=7 * MINUTE, every=MINUTE)
    resolved = [item for item in cascade.sent() if item.step is None]
    assert [item.to for item in resolved] == ["alice.sms", "bob.sms"]
    assert all(item.short.startswith("RESOLVED") for item in resolved)


def test_a_ticket_at_two_at_night_inside_quiet_hours_waits_until_seven(database_url: str) -> None:
    database = open_database(database_url)
    # 2026-01-15 01:00 UTC is 02:00 in Brussels; the quiet hours end at 07:00 there (06:00 UTC).
    cascade = Cascade(database, start=1_768_438_800.0)
    try:
        cascade.open(severity="ticket")
        cascade.run(6 * 3600, every=MINUTE)
        sent = cascade.sent()
        assert [(item.to, item.at) for item in sent] == [("alice.email", 5 * 3600)]
    finally:
        database.dispose()


def test_a_page_at_two_at_night_goes_out_at_once(database_url: str) -> None:
    database = open_database(database_url)
    cascade = Cascade(database, start=1_768_438_800.0)
    try:
        cascade.open(severity="page")
        cascade.tick(0)
        assert [(item.to, item.at) for item in cascade.sent()] == [("alice.sms", 0)]
    finally:
        database.dispose()


def test_a_silenced_incident_pages_nobody_and_its_timeline_says_why(cascade: Cascade) -> None:
    incident = cascade.open().incident
    cascade.silenced[incident.id] = "muted by bob: database migration"
    cascade.run(6 * MINUTE)
    assert cascade.sent() == []
    with cascade.database.engine.connect() as connection:
        entries = timeline(connection, incident.id)
    silenced = [entry.detail for entry in entries if entry.kind == "silenced"]
    assert silenced == [
        "step 1 notified nobody: muted by bob: database migration",
        "step 2 notified nobody: muted by bob: database migration",
    ]
