"""One notification as it leaves onwatch (title, texts, payload, idempotency key) and its outcome.

The key travels in every message so a receiver can drop the repeat that
at-least-once delivery allows (a crash between a provider accepting a message
and our commit sends it again with the same key): webhooks carry it whole in
the ``Idempotency-Key`` header and the JSON body; texts carry a short code
derived from it, ``[ow:3f9c2a1b]``, cheap enough for an SMS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SENT", "Delivery", "Message", "short_code"]

CODE_LENGTH = 8
"""Hex digits of the short code: one collision in about four billion pairs."""


def short_code(key: str) -> str:
    """The short code of an idempotency key (the same key always gives the same code)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:CODE_LENGTH]


@dataclass(frozen=True)
class Message:
    """What one channel of one contact is sent."""

    key: str
    title: str
    short: str
    """For SMS and other small screens."""
    full: str
    """For email and chat."""
    payload: dict[str, Any] = field(default_factory=dict)
    """Extra structured data for webhooks (incident, monitor, numbers)."""
    contact: str = ""
    incident_id: int | None = None
    step: int | None = None

    @property
    def code(self) -> str:
        """``[ow:xxxxxxxx]``: the idempotency key's short code as texts carry it."""
        return f"[ow:{short_code(self.key)}]"

    def text(self, *, short: bool) -> str:
        """The short or full text with the key's code appended."""
        return f"{self.short if short else self.full} {self.code}"

    def document(self) -> dict[str, Any]:
        """The JSON document a webhook receives."""
        return {
            "idempotency_key": self.key,
            "contact": self.contact,
            "incident_id": self.incident_id,
            "step": self.step,
            "title": self.title,
            "summary": self.short,
            "text": self.full,
            "data": self.payload,
        }


@dataclass(frozen=True)
class Delivery:
    """The outcome of one try to send one message: a value, never an exception.

    ``permanent`` failures (a URL Apprise cannot use, a missing secret, a 4xx
    answer other than 408/429) are not retried on the same channel.
    """

    ok: bool
    error: str | None = None
    permanent: bool = False


SENT = Delivery(ok=True)
