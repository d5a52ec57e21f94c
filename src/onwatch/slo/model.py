"""Plain value types shared by the SLO maths, the evaluator and the surfaces.

The policy models (:mod:`onwatch.policy.objectives`) are turned into an
:class:`ObjectiveSpec` once per policy load; nothing below imports the policy,
so the maths can be tested with hand-built specs and per-second event streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Literal

Severity = Literal["page", "ticket"]
Kind = Literal["availability", "latency"]
Phase = Literal["total", "first_byte"]


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """The period a budget is counted over: rolling seconds, or a calendar month/quarter."""

    kind: Literal["rolling", "month", "quarter"]
    seconds: int = 0
    """Length of a rolling window; 0 for calendar windows."""

    @property
    def label(self) -> str:
        """``30d``, ``month`` or ``quarter``: the policy spelling."""
        if self.kind != "rolling":
            return self.kind
        days, rest = divmod(self.seconds, 86400)
        return f"{days}d" if not rest else f"{self.seconds // 3600}h"


@dataclass(frozen=True, slots=True)
class LenientRange:
    """A daily wall-clock range with a softer target or an allowance of bad time.

    ``start == end`` is invalid; ``start > end`` crosses midnight (23:00 to 06:00).
    Exactly one of ``target`` (a fraction, e.g. 0.99) and ``allowance_seconds``.
    """

    start: time
    end: time
    target: float | None = None
    allowance_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Tier:
    """One multiwindow burn-rate alert rule."""

    severity: Severity
    long_seconds: int
    short_seconds: int
    burn_rate: float

    @property
    def name(self) -> str:
        """``page-1h``: severity and long window, unique within an objective."""
        return f"{self.severity}-{WindowSpec('rolling', self.long_seconds).label}"


DEFAULT_TIERS = (
    Tier("page", 3600, 300, 14.4),
    Tier("page", 6 * 3600, 1800, 6.0),
    Tier("ticket", 3 * 86400, 6 * 3600, 1.0),
)
"""The SRE Workbook's tiers: 2% of a 30-day budget in 1 h, 5% in 6 h, 10% in 3 d."""

DEFAULT_MIN_BAD_EVENTS = 3
"""Bad events a tier's long window must hold before it fires (see docs/objectives.md)."""


@dataclass(frozen=True, slots=True)
class TimeSlices:
    """Count minutes (or other slices) instead of checks: a slice is bad when more
    than ``bad_above`` of its checks failed."""

    seconds: int
    bad_above: float


@dataclass(frozen=True, slots=True)
class ObjectiveSpec:
    """One objective of one service, ready for the maths."""

    service: str
    name: str
    kind: Kind
    target: float
    """The day-time target as a fraction (0.999); lenient ranges override it."""
    window: WindowSpec
    timezone: str = "UTC"
    also_report: tuple[WindowSpec, ...] = ()
    monitors: tuple[str, ...] = ()
    lenient: tuple[LenientRange, ...] = ()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    min_bad_events: int = DEFAULT_MIN_BAD_EVENTS
    threshold_ms: float | None = None
    """Latency objectives: a check is good when its ``phase`` took at most this."""
    phase: Phase = "total"
    time_slices: TimeSlices | None = None
    title: str = ""
    """What people call the service (``Checkout``), for messages."""

    @property
    def key(self) -> str:
        """``service/name``: how the API and alert events name an objective."""
        return f"{self.service}/{self.name}"


@dataclass(frozen=True, slots=True)
class TierState:
    """One tier's figures at an evaluation."""

    tier: Tier
    long_burn: float | None
    short_burn: float | None
    long_bad: int
    condition: bool
    """Both burn rates at or above the tier's rate and enough bad events."""
    firing: bool
    """``condition`` and no faster tier's condition holds (slower tiers are suppressed)."""


@dataclass(frozen=True, slots=True)
class Standing:
    """An objective over one window (rolling or calendar): the SLI and the budget."""

    window: WindowSpec
    since: float
    until: float
    events: int
    bad: int
    sli: float | None
    """good / events; None without events."""
    budget_used: float | None
    """Fraction of the period's budget used (may exceed 1)."""
    budget_remaining: float | None
    """1 - budget_used, floored at 0 is NOT applied: negative means overspent."""
    allowed_bad_seconds: float
    """The period's budget as time (e.g. 43.2 min for 99.9% over 30 days)."""
    remaining_bad_seconds: float | None
    excluded_seconds: float
    """Time inside maintenance windows, left out of the budget."""
    lenient_seconds: float
    """Time inside lenient ranges (softer target or allowance)."""
    excused_bad: int
    """Bad events forgiven by an allowance."""
    excused_seconds: float = 0.0
    """Time those forgiven events stand for (at most the allowances of the nights counted)."""
    budget_events: float | None = None
    """The period's budget in events (bad events it may hold), estimated from the part counted."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything known about one objective at one moment."""

    spec: ObjectiveSpec
    at: float
    standing: Standing
    """Over the objective's own window."""
    also: tuple[Standing, ...] = ()
    tiers: tuple[TierState, ...] = field(default=())

    @property
    def firing(self) -> tuple[TierState, ...]:
        return tuple(t for t in self.tiers if t.firing)
