"""Incidents on SQLite and PostgreSQL: one open per subject and condition, every change on the timeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cascade import Cascade

from onwatch.incidents import (
    IncidentResolvedError,
    UnknownIncidentError,
    acknowledge,
    add_member,
    get_incident,
    list_incidents,
    timeline,
)
from onwatch.store.database import open_database


@pytest.fixture
def cascade(database_url: str) -> Iterator[Cascade]:
    database = open_database(database_url)
    yield Cascade(database)
    database.dispose()


def test_a_second_failure_while_open_adds_to_the_timeline_not_a_second_incident(
    cascade: Cascade,
) -> None:
    first = cascade.open(at=0)
    again = cascade.open(at=30)
    assert first.new
    assert not again.new
    assert again.incident.id == first.incident.id
    with cascade.database.engine.connect() as connection:
        assert len(list_incidents(connection)) == 1
        kinds = [entry.kind for entry in timeline(connection, first.incident.id)]
    assert kinds == ["opened", "repeat"]


def test_a_resolved_incident_lets_the_next_failure_open_a_new_one(cascade: Cascade) -> None:
    first = cascade.open(at=0).incident
    cascade.resolve(first.id, at=60)
    second = cascade.open(at=120)
    assert second.new
    assert second.incident.id != first.id


def test_an_ack_stops_the_escalation_and_names_who_and_how(cascade: Cascade) -> None:
    incident = cascade.open().incident
    with cascade.database.engine.begin() as connection:
        acked = acknowledge(connection, incident.id, by="bob", via="api", at=cascade.start + 90)
        entries = timeline(connection, incident.id)
    assert (acked.state, acked.acknowledged_by, acked.next_step_at) == ("acknowledged", "bob", None)
    assert (entries[-1].kind, entries[-1].actor, entries[-1].via) == ("acknowledged", "bob", "api")


def test_a_resolved_incident_cannot_be_acknowledged(cascade: Cascade) -> None:
    incident = cascade.open().incident
    cascade.resolve(incident.id, at=60, by="carol")
    with (
        cascade.database.engine.begin() as connection,
        pytest.raises(
            IncidentResolvedError,
            match=f"incident {incident.id} is already resolved \\(by carol\\)",
        ),
    ):
        acknowledge(connection, incident.id, by="bob", via="cli", at=cascade.start + 90)


def test_an_unknown_id_is_a_clear_error(cascade: Cascade) -> None:
    with (
        cascade.database.engine.connect() as connection,
        pytest.raises(UnknownIncidentError, match="no incident with id 999"),
    ):
        get_incident(connection, 999)


def test_a_member_is_named_once(cascade: Cascade) -> None:
    incident = cascade.open().incident
    with cascade.database.engine.begin() as connection:
        add_member(connection, incident.id, "cart-api", at=cascade.start + 5)
        grown = add_member(connection, incident.id, "cart-api", at=cascade.start + 6)
    assert grown.members == ("checkout-page", "cart-api")


def test_the_list_filters_by_state(cascade: Cascade) -> None:
    first = cascade.open("one").incident
    cascade.open("two")
    cascade.resolve(first.id, at=10)
    with cascade.database.engine.connect() as connection:
        open_ones = list_incidents(connection, state="triggered")
        resolved = list_incidents(connection, state="resolved")
    assert [item.subject for item in open_ones] == ["two"]
    assert [item.subject for item in resolved] == ["one"]
