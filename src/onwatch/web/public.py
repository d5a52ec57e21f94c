"""The routes anyone may call without logging in; every other route needs a login or a token.

This list is the only place that grants anonymous access. A test walks every
registered route and proves that each one outside it refuses anonymous requests.
"""

from __future__ import annotations

import re

PUBLIC_PATHS: tuple[str, ...] = (
    r"/healthz",
    r"/login",
    r"/static/.*",
    r"/status.*",
    r"/api/v2/.*",
    r"/ping/.*",
    r"/agreement/shared/[^/]+",  # only answers for a live share-link secret
    r"/ack/[^/]+",  # the signed token is the permission (one incident, expiring)
)
"""Regular expressions matched against the whole route path."""

_PUBLIC = re.compile("|".join(f"(?:{pattern})" for pattern in PUBLIC_PATHS))


def is_public(path: str, *, metrics_public: bool = False) -> bool:
    """Whether ``path`` may be served to anonymous callers."""
    return bool(_PUBLIC.fullmatch(path)) or (metrics_public and path == "/metrics")
