"""One-click acknowledge links: signed with the instance secret, for one incident, expiring.

A link carries ``/ack/<token>``; the token holds the incident id and an expiry
time, signed with HMAC (itsdangerous, salt ``onwatch-ack``) under the secret
key every node shares. Anyone holding an unexpired link may acknowledge that
one incident and nothing else; a forged, altered or expired token reads as
None, so the route answers 403 and changes nothing.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer

ACK_SALT = "onwatch-ack"
ACK_LINK_LIFETIME = 24 * 3600.0
"""Seconds an acknowledge link stays valid: long enough for a night's cascade."""
_LONGEST_TOKEN = 512


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=ACK_SALT)


def ack_token(secret_key: str, incident_id: int, *, expires_at: float) -> str:
    """The signed token of an acknowledge link for ``incident_id``, valid until ``expires_at``."""
    return str(_serializer(secret_key).dumps({"i": incident_id, "e": int(expires_at)}))


def ack_url(public_url: str, secret_key: str, incident_id: int, *, now: float) -> str:
    """The whole link people receive: ``<public_url>/ack/<token>``, valid for a day."""
    token = ack_token(secret_key, incident_id, expires_at=now + ACK_LINK_LIFETIME)
    return f"{public_url.rstrip('/')}/ack/{token}"


def read_ack_token(secret_key: str, token: str, *, now: float) -> int | None:
    """The incident id a token acknowledges, or None when it is forged, altered or expired."""
    if not token or len(token) > _LONGEST_TOKEN:
        return None
    try:
        payload = _serializer(secret_key).loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    incident_id, expires_at = payload.get("i"), payload.get("e")
    if type(incident_id) is not int or type(expires_at) is not int:
        return None
    return incident_id if now < expires_at else None
