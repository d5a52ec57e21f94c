"""Channels through Apprise reach real loopback servers: SMTP, json:// webhooks, an SMS API."""

from __future__ import annotations

import email
import urllib.parse
from collections.abc import Iterator
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from notifykit import policy_with, register_sms_scheme
from receivers import receiving

from netutil import free_port
from onwatch.notify.channels import deliver
from onwatch.notify.delivery import Message, short_code

MESSAGE = Message(
    key="incident-4/step-0/alice/x",
    title="checkout is down",
    short="checkout down since 03:12",
    full="checkout is down: 5 of 5 checks failed since 03:12 (ack: https://ow/ack/x)",
)
NOW = 1_790_000_000.0


class Mailbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _body(message: EmailMessage) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_an_email_reaches_the_smtp_server_with_title_full_text_and_code(
    smtp: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp
    url = f"mailto://127.0.0.1:{port}/?to=alice@example.com&from=onwatch@example.com&mode=insecure"
    policy = policy_with({"alice": {"email": url}})
    delivery = deliver(policy.contacts[0].channels["email"], MESSAGE, timeout=5, now=NOW)
    assert delivery.ok, delivery.error
    (received,) = mailbox.messages
    assert received["Subject"] == "checkout is down"
    assert mailbox.envelopes == [("onwatch@example.com", ["alice@example.com"])]
    assert _body(received).strip() == f"{MESSAGE.full} [ow:{short_code(MESSAGE.key)}]"


def test_an_smtp_server_that_is_down_is_a_failure_worth_retrying() -> None:
    url = f"mailto://127.0.0.1:{free_port()}/?to=a@example.com&from=o@example.com&mode=insecure"
    policy = policy_with({"alice": {"email": url}})
    delivery = deliver(policy.contacts[0].channels["email"], MESSAGE, timeout=5, now=NOW)
    assert not delivery.ok
    assert not delivery.permanent
    assert delivery.error
    assert "127.0.0.1" in delivery.error


def test_a_json_webhook_gets_the_key_as_a_header_and_the_code_in_the_text() -> None:
    with receiving() as receiver:
        policy = policy_with({"alice": {"hook": f"json://127.0.0.1:{receiver.port}/notify"}})
        delivery = deliver(policy.contacts[0].channels["hook"], MESSAGE, timeout=5, now=NOW)
        assert delivery.ok, delivery.error
        (request,) = receiver.requests
    assert request.key == MESSAGE.key
    assert request.path.startswith("/notify")
    assert MESSAGE.code in request.body.decode()


def test_an_sms_reaches_the_loopback_provider_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheme = register_sms_scheme()
    monkeypatch.setenv("SMS_TOKEN", "tok-very-secret")
    with receiving() as provider:
        url = f"{scheme}://AC123:${{SMS_TOKEN}}@127.0.0.1:{provider.port}/15550001/15559999"
        policy = policy_with({"alice": {"sms": url}})
        channel = policy.contacts[0].channels["sms"]
        delivery = deliver(channel, MESSAGE, timeout=5, now=NOW)
        assert delivery.ok, delivery.error
        (request,) = provider.requests
        provider.status = 500
        failed = deliver(channel, MESSAGE, timeout=5, now=NOW)
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    form = urllib.parse.parse_qs(request.body.decode())
    assert form["To"] == ["15559999"]
    assert form["Body"][0].endswith(MESSAGE.code)
    assert not failed.ok
    assert "tok-very-secret" not in (failed.error or "")


def test_a_missing_secret_is_a_permanent_failure_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    policy = policy_with({"alice": {"hook": "json://${NOT_SET_ANYWHERE}@127.0.0.1:9/x"}})
    delivery = deliver(policy.contacts[0].channels["hook"], MESSAGE, timeout=5, now=NOW)
    assert (delivery.ok, delivery.permanent) == (False, True)
    assert "NOT_SET_ANYWHERE" in (delivery.error or "")


def test_a_url_that_resolves_to_nothing_apprise_knows_is_permanent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOLE_URL", "nonsense")
    policy = policy_with({"alice": {"x": "json://${WHOLE_URL}"}})
    monkeypatch.setenv("WHOLE_URL", "")
    delivery = deliver(policy.contacts[0].channels["x"], MESSAGE, timeout=5, now=NOW)
    assert (delivery.ok, delivery.permanent) == (False, True)
