"""What a check produces: an immutable :class:`CheckResult` with honest phase timings.

Probes never touch the database; they hand results to the store's writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class FailureClass(StrEnum):
    """Why a check failed, precise enough to tell the user which part broke."""

    DNS = "dns"
    REFUSED = "refused"
    CONNECT_TIMEOUT = "connect_timeout"
    TLS = "tls"
    TIMEOUT = "timeout"
    STATUS = "status"
    ASSERTION = "assertion"
    SLOW = "slow"
    PROTOCOL = "protocol"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of one monitor.

    ``started_at`` is Unix time in seconds (UTC). Phase timings are milliseconds
    and ``None`` when the phase did not happen (no TLS on plain HTTP, no first
    byte after a refused connection). A *slow* result is ``ok=False`` with
    ``failure=SLOW``: the user waited too long, which the agreement counts as bad.
    """

    monitor: str
    started_at: float
    ok: bool
    total_ms: float | None = None
    failure: FailureClass | None = None
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    transfer_ms: float | None = None
    status_code: int | None = None
    bytes_read: int | None = None
    detail: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if self.ok and self.failure is not None:
            raise ValueError("a successful result has no failure class")
        if not self.ok and self.failure is None:
            raise ValueError("a failed result needs a failure class")


class Probe(Protocol):
    """Checks one target the way a first-time visitor meets it.

    ``check`` never raises for anything the target does (every failure is a
    classified :class:`CheckResult`), finishes within the monitor's timeout, and
    never touches the database.
    """

    name: str
    """The monitor name the results are stored under."""

    target: str
    """What is checked, for people and for per-host concurrency caps (``host:port``)."""

    async def check(self, started_at: float) -> CheckResult:
        """Run one check that was planned for ``started_at`` (Unix seconds)."""
        ...
