"""HTTP probes for the tests: one built from a URL and monitor fields, and the ``check`` type.

The ``check`` fixture (``conftest.py``) runs probes' checks side by side on the
loop under test (asyncio or uvloop, see ``servers.LOOPS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onwatch.policy.monitors import HttpMonitor
from onwatch.probes.base import CheckResult
from onwatch.probes.http import HttpProbe

Checks = Callable[..., list[CheckResult]]
"""What the ``check`` fixture gives: run these probes' checks together, results in order."""


def probe(url: str, **fields: Any) -> HttpProbe:
    """An HTTP probe of monitor ``shop`` for ``url`` (5 s timeout unless ``fields`` say else)."""
    monitor = {"type": "http", "name": "shop", "url": url, "timeout": "5s", **fields}
    return HttpProbe.from_monitor(HttpMonitor.model_validate(monitor))
