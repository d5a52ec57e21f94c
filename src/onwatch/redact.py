"""Hide secrets before a value is shown to anyone.

Settings are printed by ``onwatch settings``, logged at start-up and quoted in
error messages; none of those may carry a secret. Two helpers cover the cases:

- :func:`mask_url_password` keeps a URL readable (scheme, user, host, path)
  but replaces its password with ``***``;
- :func:`mask_secret` says only whether a secret is set and how long it is.

Both are total: they never raise, whatever they are given, because they run
inside error handling where a second exception would hide the first.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_secret", "mask_url_password"]

MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# What must follow the "@" that ends a password: a host (bracketed IPv6 or a
# plain name), an optional port, then the end of the authority.
_HOST_THEN_END = re.compile(r"(?:\[[^\]/?#@]*\]|[^/?#@:\[\]]*)(?::\d*)?(?:[/?#]|$)")
# "5432/db?x=a": the colon was a port separator and the "@" sits in the query.
_PORT_THEN_PATH = re.compile(r"\d+[/?#]")


def mask_url_password(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``.

    ``postgresql+psycopg://app:pw@db/onwatch`` becomes
    ``postgresql+psycopg://app:***@db/onwatch``. A URL without a password, or
    a string that is not a URL at all, comes back unchanged.

    Passwords are often pasted without percent-encoding, so ``@`` and ``/``
    inside them are expected: the password ends at the first ``@`` that is
    followed by something shaped like a host.
    """
    try:
        return _mask(url if isinstance(url, str) else str(url))
    except Exception:  # pragma: no cover - the regexes do not raise on str
        # Showing nothing is the only answer that cannot leak.
        return MASK


def _mask(url: str) -> str:
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url
    start = scheme.end()
    colon = _first_of(url, start, ":/?#@")
    if colon is None or url[colon] != ":":
        return url  # no "user:" before the host, so no password
    at = url.find("@", colon + 1)
    while at != -1:
        candidate = url[colon + 1 : at]
        looks_like_port = ("?" in candidate or "#" in candidate) and _PORT_THEN_PATH.match(
            candidate
        )
        if not looks_like_port and _HOST_THEN_END.match(url, at + 1):
            if candidate == "":
                return url  # "user:@host" has an empty password; nothing to hide
            return f"{url[: colon + 1]}{MASK}{url[at:]}"
        at = url.find("@", at + 1)
    return url


def _first_of(text: str, start: int, chars: str) -> int | None:
    for index in range(start, len(text)):
        if text[index] in chars:
            return index
    return None


def mask_secret(value: str | None) -> str:
    """Describe a secret without revealing any character of it.

    ``None`` and ``""`` give ``"(not set)"``; anything else gives
    ``"*** (set, N chars)"`` so an operator can spot a truncated key.
    """
    if not value:
        return "(not set)"
    try:
        length = len(value)
    except Exception:  # an odd object without a length
        return f"{MASK} (set)"
    return f"{MASK} (set, {length} chars)"
