"""Browser sessions and CSRF tokens: signed cookies, HMAC-derived form tokens.

A session cookie holds the user's id, the user's ``session_version`` and a
random nonce, signed (itsdangerous, salt ``onwatch-session``) with the
instance secret key and stamped with the service clock's time. It is valid for
:data:`SESSION_MAX_AGE` and only while the user's ``session_version`` in the
database still matches, so a password reset or removal ends every session.

A CSRF token is an HMAC of the session (or, before login, of a random
pre-session cookie) under the secret key: a page from another site can make
the browser send our cookies but cannot read or compute the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from onwatch.clock import Clock

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "SESSION_SALT",
    "Session",
    "csrf_for_nonce",
    "csrf_for_session",
    "decode_session",
    "encode_session",
    "new_nonce",
    "valid_nonce",
]

SESSION_COOKIE = "onwatch_session"
CSRF_COOKIE = "onwatch_csrf"  # the pre-session nonce, for forms shown before login
SESSION_MAX_AGE = 12 * 3600  # a working day: log in once in the morning
SESSION_SALT = "onwatch-session"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Session:
    """What a session cookie says: who, which password generation, and a per-login nonce."""

    user_id: int
    version: int
    nonce: str


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading the service clock (tests drive time)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock.now())


def _serializer(secret_key: str, clock: Clock) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt=SESSION_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
    )


def new_nonce() -> str:
    """A fresh random nonce (128 bits)."""
    return secrets.token_urlsafe(16)


def valid_nonce(value: str | None) -> bool:
    """Whether a nonce read back from a cookie has the shape :func:`new_nonce` gives."""
    return value is not None and _NONCE.fullmatch(value) is not None


def encode_session(secret_key: str, clock: Clock, session: Session) -> str:
    """The signed cookie value of ``session``."""
    payload = {"u": session.user_id, "v": session.version, "n": session.nonce}
    return _serializer(secret_key, clock).dumps(payload)


def decode_session(secret_key: str, clock: Clock, cookie: str | None) -> Session | None:
    """The session in a cookie, or None if it is missing, forged, malformed or too old."""
    if not cookie or len(cookie) > 4096:
        return None
    try:
        payload = _serializer(secret_key, clock).loads(cookie, max_age=SESSION_MAX_AGE)
    except BadData:  # bad signature, expired, or not our format
        return None
    if not isinstance(payload, dict):
        return None
    user_id, version, nonce = payload.get("u"), payload.get("v"), payload.get("n")
    if type(user_id) is not int or type(version) is not int or not isinstance(nonce, str):
        return None
    return Session(user_id, version, nonce)


def _mac(secret_key: str, message: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def csrf_for_session(secret_key: str, session: Session) -> str:
    """The CSRF token of a logged-in session (changes at every login)."""
    return _mac(
        secret_key, f"onwatch-csrf|session|{session.user_id}|{session.version}|{session.nonce}"
    )


def csrf_for_nonce(secret_key: str, nonce: str) -> str:
    """The CSRF token bound to a pre-session cookie (for the login form)."""
    return _mac(secret_key, f"onwatch-csrf|anonymous|{nonce}")
