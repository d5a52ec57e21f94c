"""Signed webhooks: the snippet in docs/notifications.md verifies what the sender posts."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from notifykit import policy_with
from receivers import receiving

from onwatch.notify.channels import deliver
from onwatch.notify.delivery import Message
from onwatch.notify.webhooks import SIGNATURE_HEADER, signature_header

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"
MESSAGE = Message(
    key="incident-7/step-1/bob/hook",
    title="api is slow",
    short="api slow",
    full="api p95 2.4s over 1s for 10 min",
    payload={"monitor": "api"},
    contact="bob",
    incident_id=7,
    step=1,
)
SECRET = "whsec-0123456789"

Verify = Callable[..., bool]


def _snippet_verify() -> Verify:
    """The ``verify`` function exactly as docs/notifications.md gives it."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- verify-snippet -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/notifications.md lost its verification snippet"
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), str(DOCS), "exec"), namespace)  # noqa: S102 - our own docs
    verify = namespace["verify"]
    assert callable(verify)
    return verify


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], bytes]:
    monkeypatch.setenv("BOB_HOOK_SECRET", SECRET)
    with receiving() as receiver:
        policy = policy_with(
            {"bob": {"hook": f"{{webhook: '{receiver.url}/in', secret: '${{BOB_HOOK_SECRET}}'}}"}}
        )
        channel = policy.contacts[0].channels["hook"]
        delivery = deliver(channel, MESSAGE, timeout=5, now=time.time())
        assert delivery.ok, delivery.error
        (request,) = receiver.requests
    return request.headers, request.body


def test_the_docs_snippet_accepts_what_the_sender_posts(
    received: tuple[dict[str, str], bytes],
) -> None:
    headers, body = received
    assert _snippet_verify()(SECRET, headers[SIGNATURE_HEADER.lower()], body)
    assert headers["idempotency-key"] == MESSAGE.key
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["idempotency_key"] == MESSAGE.key
    assert (document["incident_id"], document["step"], document["data"]) == (
        7,
        1,
        {"monitor": "api"},
    )


def test_the_docs_snippet_refuses_forgeries(received: tuple[dict[str, str], bytes]) -> None:
    headers, body = received
    verify = _snippet_verify()
    header = headers[SIGNATURE_HEADER.lower()]
    assert not verify("another-secret", header, body)
    assert not verify(SECRET, header, body.replace(b"api", b"APX"))
    forged = signature_header("attacker-key", int(time.time()), body)
    assert not verify(SECRET, forged, body)
    assert not verify(SECRET, "t=abc,v1=00", body)
    assert not verify(SECRET, "", body)
    stale = signature_header(SECRET, int(time.time()) - 3600, body)
    assert not verify(SECRET, stale, body)
    assert verify(SECRET, signature_header(SECRET, int(time.time()), body), body)


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (404, True), (408, False), (429, False), (503, False)]
)
def test_refusals_are_permanent_except_timeouts_and_rate_limits(
    monkeypatch: pytest.MonkeyPatch, status: int, permanent: bool
) -> None:
    monkeypatch.setenv("BOB_HOOK_SECRET", SECRET)
    with receiving() as receiver:
        receiver.status = status
        policy = policy_with(
            {"bob": {"hook": f"{{webhook: '{receiver.url}/in', secret: '${{BOB_HOOK_SECRET}}'}}"}}
        )
        delivery = deliver(policy.contacts[0].channels["hook"], MESSAGE, timeout=5, now=0)
    assert (delivery.ok, delivery.error, delivery.permanent) == (False, f"HTTP {status}", permanent)


def test_a_receiver_that_is_not_there_is_worth_another_try(monkeypatch: pytest.MonkeyPatch) -> None:
    from netutil import free_port

    monkeypatch.setenv("BOB_HOOK_SECRET", SECRET)
    url = f"http://127.0.0.1:{free_port()}/in"
    policy = policy_with({"bob": {"hook": f"{{webhook: '{url}', secret: '${{BOB_HOOK_SECRET}}'}}"}})
    delivery = deliver(policy.contacts[0].channels["hook"], MESSAGE, timeout=5, now=0)
    assert (delivery.ok, delivery.permanent) == (False, False)
    assert delivery.error
    assert delivery.error.startswith("cannot connect")
    assert SECRET not in delivery.error
