"""Where a budget window begins and ends at a moment: rolling seconds, or a calendar month or quarter.

A rolling window is the last ``seconds`` before the moment. A calendar window
is the current month or quarter in the objective's time zone: from local
midnight on its first day to local midnight on the first day of the next one,
mapped to Unix seconds by :func:`onwatch.slo.localtime.instant`. So a month
that holds the start of summer time is an hour shorter in real time than its
days times 24 hours, one that holds its end an hour longer, and every budget
counted over it follows real time.

(:mod:`onwatch.slo.windows` decides how precisely a *rolling* window's start
is counted: windows longer than its fine ring begin on an hour boundary.)
"""

from __future__ import annotations

from datetime import date, time

from onwatch.slo.localtime import instant, local_date
from onwatch.slo.model import WindowSpec

_MIDNIGHT = time(0, 0)


def period_bounds(window: WindowSpec, at: float, timezone: str = "UTC") -> tuple[float, float]:
    """The whole period holding ``at``: ``(at - seconds, at)`` rolling, else the month or quarter."""
    if window.kind == "rolling":
        return at - window.seconds, at
    today = local_date(at, timezone)
    months = 3 if window.kind == "quarter" else 1
    first_month = (today.month - 1) // months * months + 1
    first = date(today.year, first_month, 1)
    carry, next_month = divmod(first_month - 1 + months, 12)
    following = date(today.year + carry, next_month + 1, 1)
    return instant(first, _MIDNIGHT, timezone), instant(following, _MIDNIGHT, timezone)


def window_bounds(window: WindowSpec, at: float, timezone: str = "UTC") -> tuple[float, float]:
    """What has been counted so far at ``at``: rolling ``(at - seconds, at)``, calendar ``(first day, at)``."""
    since, _ = period_bounds(window, at, timezone)
    return since, at


def period_seconds(window: WindowSpec, at: float, timezone: str = "UTC") -> float:
    """The length of the period holding ``at``: the rolling length, or this month's or quarter's."""
    since, until = period_bounds(window, at, timezone)
    return until - since
