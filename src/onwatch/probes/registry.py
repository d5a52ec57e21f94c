"""Which probe checks which kind of monitor: one line per kind.

A new kind is one probe module plus one line in :data:`_FACTORIES`; nothing
else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from onwatch.policy.models import Policy
from onwatch.probes.base import Probe

# type → "module:factory"; the factory takes the monitor model and returns a Probe.
_FACTORIES: dict[str, str] = {
    "http": "onwatch.probes.http:HttpProbe.from_monitor",
    "tcp": "onwatch.probes.tcp:TcpProbe.from_monitor",
    "dns": "onwatch.probes.dns:DnsProbe.from_monitor",
    "tls": "onwatch.probes.tls:TlsProbe.from_monitor",
}


def _factory(kind: str) -> Callable[[Any], Probe]:
    module_name, _, attribute = _FACTORIES[kind].partition(":")
    target: Any = import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    factory: Callable[[Any], Probe] = target
    return factory


def build_probes(policy: Policy) -> dict[str, Probe]:
    """Every probe the policy asks for, by the monitor name its results go under.

    A pool becomes one HTTP probe per target (``pool#1``, ``pool#2``, ...).
    """
    from onwatch.probes.http import HttpProbe

    probes: dict[str, Probe] = {}
    for monitor in policy.monitors:
        probes[monitor.name] = _factory(monitor.type)(monitor)
    for pool in policy.pools:
        for index, url in enumerate(pool.targets):
            name = pool.target_monitor_name(index)
            probes[name] = HttpProbe(name=name, url=url, options=pool, timeout=pool.timeout)
    return probes
