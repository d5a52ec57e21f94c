"""When a maintenance window happens: a local start, a duration and an optional RFC 5545 rule.

A window repeats at the same wall-clock time in its time zone (a Sunday 22:00
window stays at 22:00 across summer time), and each occurrence lasts
``duration`` of elapsed time. A start that falls in the hour skipped when
clocks go forward is read with the offset before the change (02:30 becomes
03:30 summer time); a start in the hour repeated when they go back is the
first of the two. Times out are Unix seconds, as the store counts them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule as rfc5545

_TOO_OFTEN = ("SECONDLY", "MINUTELY")


def recurrence(text: str, start_local: datetime) -> rfc5545.rrule:
    """Parse an RFC 5545 ``RRULE`` value (``FREQ=WEEKLY;BYDAY=SU``) that repeats ``start_local``.

    Raises :class:`ValueError` with a message for people: the rule is refused when
    it holds its own ``DTSTART`` (the start gives it), holds more than one rule,
    repeats more often than hourly, gives no date at all, or does not give
    ``start_local`` as its first occurrence.
    """
    parsed = parse_rule(text, start_local)
    first = parsed.after(start_local, inc=True)
    if first is None:
        raise ValueError("gives no date at all; check BYMONTH, BYMONTHDAY, COUNT and UNTIL")
    if first != start_local:
        raise ValueError(
            f"does not give the start ({start_local:%Y-%m-%d %H:%M}, a {start_local:%A}) as its "
            f"first occurrence ({first:%Y-%m-%d %H:%M}, a {first:%A}); make start the first one"
        )
    return parsed


@lru_cache(maxsize=256)
def parse_rule(text: str, start_local: datetime) -> rfc5545.rrule:
    """The rule's syntax checks of :func:`recurrence`, without comparing it to the start."""
    rule_text = text.strip()
    rule_text = rule_text[len("RRULE:") :] if rule_text.upper().startswith("RRULE:") else rule_text
    if "DTSTART" in rule_text.upper():
        raise ValueError("holds DTSTART; leave it out, start gives it")
    if not rule_text or "\n" in rule_text or ":" in rule_text:
        raise ValueError(
            "must be one RRULE value such as FREQ=WEEKLY;BYDAY=SU "
            "(no DTSTART, EXDATE or RDATE lines)"
        )
    frequency = re.search(r"(?:^|;)FREQ=([A-Za-z]+)", rule_text)
    if frequency is None:
        raise ValueError("needs FREQ (e.g. FREQ=WEEKLY;BYDAY=SU)")
    if frequency.group(1).upper() in _TOO_OFTEN:
        raise ValueError("repeats too often; maintenance can repeat at most hourly (FREQ=HOURLY)")
    try:
        parsed = rfc5545.rrulestr(rule_text, dtstart=start_local)
    except ValueError as exc:
        if "UNTIL" in str(exc):
            raise ValueError(
                "UNTIL is in local time here: write it without Z (e.g. UNTIL=20271231T235900)"
            ) from None
        raise ValueError(f"is not an RFC 5545 rule: {exc}") from None
    except TypeError:
        raise ValueError("is not an RFC 5545 rule (e.g. FREQ=WEEKLY;BYDAY=SU)") from None
    if not isinstance(parsed, rfc5545.rrule):
        raise ValueError("must be one RRULE value such as FREQ=WEEKLY;BYDAY=SU")
    return parsed


def occurrences(
    start_local: datetime,
    timezone: str,
    duration: timedelta,
    rrule: str | None,
    since: float,
    until: float,
) -> list[tuple[float, float]]:
    """The ``(begin, end)`` Unix seconds of every occurrence overlapping ``[since, until)``.

    ``start_local`` is a naive wall-clock time in ``timezone`` (an aware one is
    first converted to it); ``rrule`` repeats it (see :func:`recurrence`), and the
    start itself always counts, as RFC 5545 has it. The list is in time order;
    occurrences are not merged.
    """
    zone = ZoneInfo(timezone)
    if start_local.tzinfo is not None:
        start_local = start_local.astimezone(zone).replace(tzinfo=None)
    if until <= since:
        return []
    span = duration.total_seconds()
    if rrule is None:
        starts = [start_local]
    else:
        margin = timedelta(seconds=span, days=1)  # offsets change by hours, never by a day
        low = _wall_clock(since, zone) - margin
        high = _wall_clock(until, zone) + timedelta(days=1)
        repeats = parse_rule(rrule, start_local).between(max(low, start_local), high, inc=True)
        starts = sorted({start_local, *repeats})  # RFC 5545: the start is always the first
    found = []
    for local in starts:
        begin = local.replace(tzinfo=zone).timestamp()
        if begin < until and begin + span > since:
            found.append((begin, begin + span))
    return found


def _wall_clock(moment: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(moment, UTC).astimezone(zone).replace(tzinfo=None)
