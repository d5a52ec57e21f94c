"""The whole cascade against real receivers: an incident's first step reaches alice with a
signed acknowledge link, her acknowledging through it means bob gets nothing; without an ack
bob's message goes out at 5:00 (real database, real sender, real HTTP on loopback)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cascade import START, Cascade
from receivers import Receiver, receiving

from onwatch.notify.acklinks import AckLinks, read_ack_token, with_ack_link
from onwatch.notify.actions import acknowledge_incident
from onwatch.notify.delivery import Message
from onwatch.notify.sender import drain_once
from onwatch.store.database import Database, open_database

KEY = "s" * 48
LINKS = AckLinks("https://onwatch.example", KEY)


def policy_for(port: int) -> str:
    return f"""\
apiVersion: onwatch/v1
services:
  - name: checkout
contacts:
  - name: alice
    channels: {{sms: "json://127.0.0.1:{port}/alice"}}
  - name: bob
    channels: {{sms: "json://127.0.0.1:{port}/bob"}}
escalation:
  - name: default
    steps:
      - {{after: 0m, notify: [alice.sms]}}
      - {{after: 5m, notify: [bob.sms]}}
"""


@dataclass
class Run:
    cascade: Cascade
    receiver: Receiver
    database: Database

    def deliver(self, at: float) -> None:
        """Run the due steps ``at`` seconds after the start and send what they wrote."""
        self.cascade.tick(at)
        drain_once(self.database, self.cascade.policy, epoch=1, now=START + at, links=LINKS)

    def texts_to(self, who: str) -> list[str]:
        return [
            json.loads(request.body)["message"]
            for request in self.receiver.requests
            if request.path == f"/{who}"
        ]


@pytest.fixture
def run(database_url: str) -> Iterator[Run]:
    database = open_database(database_url)
    with receiving() as receiver:
        yield Run(Cascade(database, policy=policy_for(receiver.port)), receiver, database)
    database.dispose()


def test_alice_acknowledges_through_her_link_and_bob_gets_nothing(run: Run) -> None:
    opened = run.cascade.open()
    run.deliver(0)
    [text] = run.texts_to("alice")
    link = re.search(r"https://onwatch\.example/ack/(\S+)", text)
    assert link is not None, text
    grant = read_ack_token(KEY, link.group(1), now=START + 180)
    assert grant is not None
    assert (grant.incident_id, grant.contact) == (opened.incident.id, "alice")

    acknowledge_incident(run.database, grant.incident_id, by="alice", via="link", now=START + 180)
    for second in range(181, 900, 30):
        run.deliver(second)
    assert run.texts_to("bob") == []


def test_without_an_ack_bob_is_paged_at_five_minutes(run: Run) -> None:
    run.cascade.open()
    for second in range(0, 299, 10):
        run.deliver(second)
    assert run.texts_to("bob") == []
    run.deliver(300)
    [text] = run.texts_to("bob")
    assert "/ack/" in text
    assert "bob" not in text.split("/ack/")[0].split()[-1]
    assert len(run.texts_to("alice")) == 1  # alice was paged once, not again


def test_without_links_a_message_names_the_command_that_acknowledges() -> None:
    message = Message(
        key="k1",
        title="t",
        short="PAGE x down. Ack: {ack_url}",
        full="Acknowledge: {ack_url}",
        payload={"ack_url": "{ack_url}", "nested": ["{ack_url}"]},
        contact="alice",
        incident_id=12,
    )
    plain = with_ack_link(message, None, START)
    assert plain.short == "PAGE x down. Ack: onwatch ack 12"
    assert plain.payload == {"ack_url": "onwatch ack 12", "nested": ["onwatch ack 12"]}
    linked = with_ack_link(message, LINKS, START)
    token = linked.full.removeprefix("Acknowledge: https://onwatch.example/ack/")
    grant = read_ack_token(KEY, token, now=START)
    assert grant is not None
    assert grant.contact == "alice"
