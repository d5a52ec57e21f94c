"""Multiwindow burn-rate tiers: how fast the budget burns, and which alert fires.

The burn rate over a window is how many times faster than "exactly on budget"
bad events arrive there:

    burn(w) = bad(w) / budget(w),  budget(w) = Σ over the events in w of (1 - target(t))

For a constant target that is the error ratio divided by ``1 - target`` (the
SRE Workbook's definition); with lenient ranges an event at night brings more
budget, so the same failures burn slower there. A window without events has
no burn rate (``None``).

A tier's *condition* holds when the burn over its long window and over its
short window both reach the tier's rate and the long window holds at least
``min_bad_events`` bad events. A tier *fires* when its condition holds and no
faster tier's condition does (faster: a higher rate, then a shorter long
window), so one incident raises one alert, the most urgent one, and a slower
tier takes over only if the faster one stops holding while its own still does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from onwatch.slo.model import Tier, TierState

NANO = 1_000_000_000
"""Budget unit: a billionth of an event, so budgets of any target add up exactly."""


@dataclass(frozen=True, slots=True)
class WindowCount:
    """What a burn rate needs from one window."""

    events: int
    bad: int
    budget_nano: int
    """Σ round((1 - target) × 10⁹) over the window's events: an exact integer sum."""

    @property
    def budget(self) -> float:
        """The bad events the window may hold: Σ (1 - target) over its events."""
        return self.budget_nano / NANO


def burn(window: WindowCount) -> float | None:
    """``bad / budget`` over a window; None without events (infinite for a 100% target)."""
    if window.events == 0:
        return None
    if window.budget_nano <= 0:
        return float("inf") if window.bad else 0.0
    return window.bad * NANO / window.budget_nano


def _urgency(tier: Tier) -> tuple[float, int]:
    return -tier.burn_rate, tier.long_seconds


def tier_states(
    tiers: Sequence[Tier], count: Callable[[int], WindowCount], min_bad_events: int
) -> tuple[TierState, ...]:
    """Each tier's burn rates, condition and firing state, in the order of ``tiers``.

    ``count(seconds)`` gives the figures of the rolling window of that length
    ending now.
    """
    figures: dict[Tier, tuple[float | None, float | None, int, bool]] = {}
    for tier in tiers:
        long, short = count(tier.long_seconds), count(tier.short_seconds)
        long_burn, short_burn = burn(long), burn(short)
        condition = (
            long_burn is not None
            and short_burn is not None
            and long_burn >= tier.burn_rate
            and short_burn >= tier.burn_rate
            and long.bad >= min_bad_events
        )
        figures[tier] = (long_burn, short_burn, long.bad, condition)
    states = []
    for tier in tiers:
        long_burn, short_burn, long_bad, condition = figures[tier]
        faster_holds = any(figures[other][3] for other in tiers if _urgency(other) < _urgency(tier))
        states.append(
            TierState(
                tier, long_burn, short_burn, long_bad, condition, condition and not faster_holds
            )
        )
    return tuple(states)
