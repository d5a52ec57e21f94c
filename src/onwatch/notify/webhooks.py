"""Signed webhooks: our own sender, since Apprise's json:// cannot sign.

Each message is POSTed as JSON with two headers:

- ``Idempotency-Key: <key>``: the same for every try of one message;
- ``Onwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``: the HMAC of
  ``"<t>.<body>"`` under the channel's secret, so a receiver can check the
  message came from us, unaltered, recently (docs/notifications.md has the
  snippet to paste).

A 2xx answer is delivered; 4xx other than 408 and 429 is a permanent failure
(the receiver refuses this message); everything else is worth another try.
Every outcome is a :class:`~onwatch.notify.delivery.Delivery`, never an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from typing import Any

from onwatch.notify.delivery import SENT, Delivery, Message

__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "post_signed",
    "sign",
    "signature_header",
    "webhook_body",
]

SIGNATURE_HEADER = "Onwatch-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "onwatch-webhook/1"
_RETRYABLE_4XX = frozenset({408, 429})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Onwatch-Signature`` value: ``t=<timestamp>,v1=<hex>``."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def webhook_body(message: Message) -> bytes:
    """The JSON body a webhook receives for ``message`` (compact, keys sorted)."""
    return json.dumps(message.document(), sort_keys=True, separators=(",", ":")).encode("utf-8")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to report, not a hop to follow with a signed body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_signed(url: str, secret: str, message: Message, *, timeout: float, now: float) -> Delivery:
    """POST ``message`` to ``url`` signed with ``secret``; the outcome as a value."""
    if not url.lower().startswith(("https://", "http://")):
        return Delivery(ok=False, error="a webhook URL starts with https://", permanent=True)
    body = webhook_body(message)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: message.key,
            SIGNATURE_HEADER: signature_header(secret, int(now), body),
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read()
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except TimeoutError:
        return Delivery(ok=False, error=f"no answer within {timeout:g}s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Delivery(ok=False, error=f"no answer within {timeout:g}s")
        return Delivery(ok=False, error=f"cannot connect: {reason}")
    except (OSError, http.client.HTTPException) as exc:
        return Delivery(ok=False, error=f"connection failed: {type(exc).__name__}: {exc}")
    except ValueError as exc:  # not an http(s) URL
        return Delivery(ok=False, error=f"not a webhook URL: {exc}", permanent=True)
    if 200 <= status < 300:
        return SENT
    permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
    return Delivery(ok=False, error=f"HTTP {status}", permanent=permanent)
