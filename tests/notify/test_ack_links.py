"""Acknowledge links open one incident, until they expire, and only with the right key."""

from __future__ import annotations

from onwatch.notify.acklinks import (
    ACK_LINK_LIFETIME,
    AckGrant,
    ack_token,
    ack_url,
    read_ack_token,
)

KEY = "k" * 48
NOW = 1_790_000_000.0


def test_a_link_names_its_incident_until_it_expires() -> None:
    token = ack_token(KEY, 42, expires_at=NOW + 60, contact="alice")
    assert read_ack_token(KEY, token, now=NOW) == AckGrant(42, "alice")
    assert read_ack_token(KEY, token, now=NOW + 59) == AckGrant(42, "alice")
    assert read_ack_token(KEY, token, now=NOW + 60) is None


def test_a_link_made_with_another_key_or_altered_is_refused() -> None:
    token = ack_token(KEY, 42, expires_at=NOW + 60)
    assert read_ack_token("x" * 48, token, now=NOW) is None
    payload, signature = token.rsplit(".", 1)
    other = ack_token(KEY, 43, expires_at=NOW + 60).rsplit(".", 1)[0]
    assert read_ack_token(KEY, f"{other}.{signature}", now=NOW) is None  # swapped incident
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert read_ack_token(KEY, f"{payload}.{flipped}", now=NOW) is None
    assert read_ack_token(KEY, "", now=NOW) is None
    assert read_ack_token(KEY, "a" * 600, now=NOW) is None


def test_the_url_is_under_the_public_address_and_lasts_a_day() -> None:
    url = ack_url("https://onwatch.example/", KEY, 7, now=NOW)
    assert url.startswith("https://onwatch.example/ack/")
    token = url.rsplit("/", 1)[1]
    assert read_ack_token(KEY, token, now=NOW + ACK_LINK_LIFETIME - 1) == AckGrant(7, None)
    assert read_ack_token(KEY, token, now=NOW + ACK_LINK_LIFETIME) is None
