"""Send one message through one of a contact's channels: Apprise, or our signed webhooks.

:func:`deliver` resolves the channel's secrets at this moment and no earlier,
sends (blocking: the sender runs it in a worker thread) and maps every outcome
to a :class:`~onwatch.notify.delivery.Delivery`; it never raises. Third-party
errors stop here, as values whose text never holds a resolved secret: the
URL itself is never logged or returned, only the contact and channel names.

Apprise services with a small body (SMS, under :data:`SHORT_BODY_LIMIT`
characters) get the short text without a title; the others get the title and
the full text. Both carry the key's short code, ``[ow:xxxxxxxx]``; Apprise's
HTTP services (``json://``, ``form://``, ``xml://``) also get the whole key
as an ``Idempotency-Key`` header.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from onwatch.errors import SecretError
from onwatch.notify.delivery import SENT, Delivery, Message
from onwatch.notify.webhooks import IDEMPOTENCY_HEADER, post_signed
from onwatch.policy.models import Channel
from onwatch.policy.secrets import SecretRef
from onwatch.redact import MASK

__all__ = ["SHORT_BODY_LIMIT", "Delivery", "deliver", "send_apprise"]

log = logging.getLogger(__name__)

SHORT_BODY_LIMIT = 1600
"""Apprise services whose body holds at most this many characters get the short text."""
_HEADER_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
_ERROR_LENGTH = 500


def _secrets_of(ref: SecretRef, value: str, environ: Mapping[str, str]) -> list[str]:
    """The parts of a resolved ``value`` that must never be shown."""
    if ref.file is not None:
        return [value]
    return [environ[name] for name in ref.variables if environ.get(name)]


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any secret (longest first, so none survives in part)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, MASK).replace(urllib.parse.quote(secret, safe=""), MASK)
    return text[:_ERROR_LENGTH]


def _with_key_header(url: str, key: str) -> str:
    """Apprise's HTTP services take extra headers as ``+Name=value`` URL parameters."""
    scheme = url.partition("://")[0].lower()
    if scheme not in _HEADER_SCHEMES:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}+{IDEMPOTENCY_HEADER}={urllib.parse.quote(key, safe='')}"


def _failure_text(result: Any) -> str:
    """Apprise's own words for a failed call (its warnings and errors), or its status."""
    lines = [
        entry.message
        for entry in result.logs()
        if entry.level in ("WARNING", "ERROR", "CRITICAL") and entry.message
    ]
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    if status == "TIMEOUT" and not lines:
        return "no answer in time"
    return "; ".join(dict.fromkeys(lines)) or f"Apprise reported {status.lower()}"


def send_apprise(
    url: str, message: Message, *, timeout: float, secrets: Iterable[str] = ()
) -> Delivery:
    """Send ``message`` through the Apprise ``url`` (already resolved); never raises."""
    import apprise  # loaded only by the sender and the CLI, not by every onwatch command

    hidden = [*secrets]
    try:
        plugin = apprise.Apprise.instantiate(_with_key_header(url, message.key))
        if plugin is None:
            return Delivery(
                ok=False, error="the channel URL is not one Apprise can use", permanent=True
            )
        short = int(plugin.body_maxlen) <= SHORT_BODY_LIMIT
        notifier = apprise.Apprise()
        notifier.add(plugin)
        result = notifier.notify(
            body=message.text(short=short),
            title="" if short else message.title,
            timeout=timeout,
        )
        if result:
            return SENT
        return Delivery(ok=False, error=_scrub(_failure_text(result), hidden))
    except Exception as exc:  # a plugin's own bug must not stop the sender
        reason = _scrub(f"{type(exc).__name__}: {exc}", hidden)
        return Delivery(ok=False, error=f"Apprise failed: {reason}")


def deliver(
    channel: Channel,
    message: Message,
    *,
    timeout: float,
    now: float,
    environ: Mapping[str, str] | None = None,
) -> Delivery:
    """Send ``message`` through ``channel``: secrets resolved now, the outcome as a value."""
    env = os.environ if environ is None else environ
    try:
        if channel.webhook is not None:
            secret = channel.secret.resolve(env) if channel.secret is not None else ""
            if not secret:
                return Delivery(ok=False, error="the webhook has no secret", permanent=True)
            delivery = post_signed(str(channel.webhook), secret, message, timeout=timeout, now=now)
            return Delivery(
                ok=delivery.ok,
                error=_scrub(delivery.error, [secret]) if delivery.error else None,
                permanent=delivery.permanent,
            )
        ref = channel.url
        if ref is None:
            return Delivery(ok=False, error="the channel has no URL", permanent=True)
        url = ref.resolve(env)
    except SecretError as exc:
        return Delivery(ok=False, error=str(exc), permanent=True)
    return send_apprise(url, message, timeout=timeout, secrets=_secrets_of(ref, url, env))


def log_delivery(contact: str, channel: str, key: str, delivery: Delivery) -> None:
    """One log line per try, naming the contact and channel (never the URL)."""
    if delivery.ok:
        log.info("notification %s sent to %s via %s", key, contact, channel)
    else:
        log.warning(
            "notification %s to %s via %s failed%s: %s",
            key,
            contact,
            channel,
            " for good" if delivery.permanent else "",
            delivery.error,
        )
