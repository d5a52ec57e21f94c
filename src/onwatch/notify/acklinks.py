"""One-click acknowledge links: signed with the instance secret, for one incident, expiring.

A link carries ``/ack/<token>``; the token holds the incident id, the contact
it was sent to (so the timeline says who acknowledged) and an expiry time, signed with HMAC (itsdangerous, salt ``onwatch-ack``) under the secret
key every node shares. Anyone holding an unexpired link may acknowledge that
one incident and nothing else; a forged, altered or expired token reads as
None, so the route answers 403 and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from onwatch.notify.delivery import Message

ACK_PLACEHOLDER = "{ack_url}"
"""Where a stored message wants its acknowledge link; the sender fills it in per recipient."""
ACK_SALT = "onwatch-ack"
ACK_LINK_LIFETIME = 24 * 3600.0
"""Seconds an acknowledge link stays valid: long enough for a night's cascade."""
_LONGEST_TOKEN = 512


@dataclass(frozen=True)
class AckGrant:
    """What a valid link allows: acknowledging ``incident_id``, on behalf of ``contact``."""

    incident_id: int
    contact: str | None


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=ACK_SALT)


def ack_token(
    secret_key: str, incident_id: int, *, expires_at: float, contact: str | None = None
) -> str:
    """The signed token of an acknowledge link for ``incident_id``, valid until ``expires_at``."""
    payload = {"i": incident_id, "e": int(expires_at), "c": contact}
    return str(_serializer(secret_key).dumps(payload))


def ack_url(
    public_url: str, secret_key: str, incident_id: int, *, now: float, contact: str | None = None
) -> str:
    """The whole link people receive: ``<public_url>/ack/<token>``, valid for a day."""
    expires_at = now + ACK_LINK_LIFETIME
    token = ack_token(secret_key, incident_id, expires_at=expires_at, contact=contact)
    return f"{public_url.rstrip('/')}/ack/{token}"


def read_ack_token(secret_key: str, token: str, *, now: float) -> AckGrant | None:
    """What a token allows, or None when it is forged, altered or expired."""
    if not token or len(token) > _LONGEST_TOKEN:
        return None
    try:
        payload = _serializer(secret_key).loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    incident_id, expires_at, contact = payload.get("i"), payload.get("e"), payload.get("c")
    if type(incident_id) is not int or type(expires_at) is not int:
        return None
    if contact is not None and not isinstance(contact, str):
        return None
    return AckGrant(incident_id, contact) if now < expires_at else None


@dataclass(frozen=True)
class AckLinks:
    """Makes acknowledge links for one instance: its public address and its secret key."""

    public_url: str
    secret_key: str

    def url(self, incident_id: int, contact: str | None, now: float) -> str:
        return ack_url(self.public_url, self.secret_key, incident_id, now=now, contact=contact)


def with_ack_link(message: Message, links: AckLinks | None, now: float) -> Message:
    """``message`` with :data:`ACK_PLACEHOLDER` replaced by its recipient's signed link (or,
    without ``links``, by the command that acknowledges it)."""
    if message.incident_id is None:
        return message
    if links is None:
        link = f"onwatch ack {message.incident_id}"
    else:
        link = links.url(message.incident_id, message.contact or None, now)

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(ACK_PLACEHOLDER, link)
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return replace(
        message, short=fill(message.short), full=fill(message.full), payload=fill(message.payload)
    )
