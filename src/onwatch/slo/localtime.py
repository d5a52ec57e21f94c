"""Wall-clock times in an IANA time zone turned into Unix seconds, with one rule for DST.

Lenient ranges ("00:00 to 02:00") and calendar periods ("midnight on the 1st")
are written as local wall times, but every count is kept in Unix seconds. Twice
a year a wall time does not map to exactly one instant, so this module fixes
the rule once:

    A wall time on a date is the first instant at which the local clock shows
    that time or later.

- A time the clock shows twice (the repeated hour when summer time ends, e.g.
  02:30 on the last Sunday of October in Europe/Brussels) is its *first*
  showing, the same as zoneinfo's ``fold=0``.
- A time the clock skips (02:30 on the last Sunday of March) is the moment of
  the jump, when the clock goes from 01:59:59 to 03:00. zoneinfo's ``fold=0``
  would land 30 minutes after the jump instead (03:30 local), so a night range
  ending at 02:30 would last half an hour longer than the clock ever showed it.

With this rule a range lasts exactly as long as the clock reads inside it on a
normal day, loses the skipped hour in March and gains the repeated one in
October when those hours fall inside it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (``Europe/Brussels``); raises ``ZoneInfoNotFoundError``."""
    return ZoneInfo(name)


def local_date(at: float, zone_name: str) -> date:
    """The calendar date the clock in ``zone_name`` shows at Unix time ``at``."""
    return datetime.fromtimestamp(at, zone(zone_name)).date()


@lru_cache(maxsize=65_536)
def instant(day: date, wall: time, zone_name: str) -> float:
    """Unix seconds of ``wall`` on ``day`` in ``zone_name``, by the rule in the module docstring."""
    tz = zone(zone_name)
    local = datetime.combine(day, wall, tzinfo=tz)
    first = local.timestamp()  # fold=0: the first showing, or after the jump for a skipped time
    shown = datetime.fromtimestamp(first, tz).replace(tzinfo=None)
    if shown == local.replace(tzinfo=None):
        return first
    return _jump_before(first, tz)


def _jump_before(after: float, tz: ZoneInfo) -> float:
    """The instant of the forward jump at most a day before ``after`` (a skipped wall time).

    Offsets change on whole seconds, so a search over whole seconds finds the
    first second that already has the later offset.
    """
    later = _offset(after, tz)
    low, high = int(after) - 86_400, int(after)  # low has the earlier offset, high the later
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(middle, tz) == later:
            high = middle
        else:
            low = middle
    return float(high)


def _offset(at: float, tz: ZoneInfo) -> float:
    offset = datetime.fromtimestamp(at, UTC).astimezone(tz).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0
