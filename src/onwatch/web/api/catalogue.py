"""The monitors the API knows: every monitor of the running policy, each pool, each backend.

The catalogue is built from ``service.policy`` on every request, so a policy
reloaded with SIGHUP shows at once. A pool appears under its own name (type
``pool``, judged from its backends) and each of its backends as an ``http``
monitor named ``pool#1``, ``pool#2``, ... (the name results are stored under).
A monitor removed from the policy is unknown here, even though its history
stays in the database.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from onwatch.policy import Policy
from onwatch.policy.monitors import (
    DnsMonitor,
    HttpMonitor,
    MonitorBase,
    Pool,
    TcpMonitor,
    TlsMonitor,
)
from onwatch.web.api.models import MonitorType


@dataclass(frozen=True)
class Entry:
    """One monitor as the API shows it."""

    name: str
    type: MonitorType
    target: str | None
    config: MonitorBase
    """The policy entry: the monitor itself, or the pool of a backend."""
    pool: Pool | None = None
    """The pool this is a backend of."""

    @property
    def is_pool(self) -> bool:
        return self.type == "pool"

    @property
    def backends(self) -> list[str]:
        if not isinstance(self.config, Pool) or not self.is_pool:
            return []
        return [self.config.target_monitor_name(i) for i in range(len(self.config.targets))]

    @property
    def stored_names(self) -> list[str]:
        """The names whose stored results make up this monitor's history."""
        return self.backends if self.is_pool else [self.name]


def _target(monitor: MonitorBase) -> str | None:
    if isinstance(monitor, HttpMonitor):
        return monitor.url
    if isinstance(monitor, TcpMonitor | TlsMonitor):
        host = f"[{monitor.host}]" if ":" in monitor.host else monitor.host
        return f"{host}:{monitor.port}"
    if isinstance(monitor, DnsMonitor):
        via = f" via {monitor.resolver}" if monitor.resolver else ""
        return f"{monitor.query} {monitor.record_type}{via}"
    return None


def catalogue(policy: Policy) -> dict[str, Entry]:
    """Every monitor by name, in policy order: monitors, then each pool and its backends."""
    entries: dict[str, Entry] = {}
    for monitor in policy.monitors:
        entries[monitor.name] = Entry(monitor.name, monitor.type, _target(monitor), monitor)
    for pool in policy.pools:
        entries[pool.name] = Entry(pool.name, "pool", None, pool)
        for index, url in enumerate(pool.targets):
            name = pool.target_monitor_name(index)
            entries[name] = Entry(name, "http", url, pool, pool)
    return entries


def unknown_monitor_message(name: str, known: list[str]) -> str:
    """``no monitor named "x"`` with the closest names, or where to find the list."""
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else "see GET /api/v1/monitors"
    return f'no monitor named "{name}" in the running policy ({hint})'
