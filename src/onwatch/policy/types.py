"""The value types people write in a policy: durations, percentages, clock times, time zones.

Each type accepts the human spelling (``30s``, ``99.9%``, ``00:00``,
``Europe/Brussels``), stores the precise Python value, exports a JSON Schema
with a pattern and example for editors, and rejects anything else with a
message that says what was expected.
"""

from __future__ import annotations

import difflib
import re
from datetime import time, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"
_DURATION_HINT = "(e.g. 30s, 5m, 1h)"


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def parse_duration(value: Any) -> timedelta:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``; units ms, s, m, h, d, w."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f"{value} has no unit; write a duration such as {value}s {_DURATION_HINT}"
            )
        raise ValueError(f"{_quote(value)} is not a duration {_DURATION_HINT}")
    text = value.strip()
    if not re.fullmatch(_DURATION_PATTERN, text):
        raise ValueError(f"{_quote(value)} is not a duration {_DURATION_HINT}")
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    try:
        duration = timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{_quote(value)} is too long to be a duration") from None
    if duration <= timedelta(0):  # also below a microsecond, e.g. 0.0001ms
        raise ValueError(f"{_quote(value)} must be longer than zero")
    return duration


def format_duration(value: timedelta) -> str:
    """The shortest policy spelling of a duration (``timedelta(minutes=90)`` → ``1h30m``)."""
    millis = round(value.total_seconds() * 1000)
    if millis % 1000:
        return f"{millis}ms"
    seconds = millis // 1000
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_percent(value: Any) -> float:
    """``"99.9%"`` → ``0.999`` (a fraction); the ``%`` sign is required."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value} needs a % sign; write it as a percentage such as {value}%")
        raise ValueError(f"{_quote(value)} is not a percentage (e.g. 99.9%)")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
    if not match:
        raise ValueError(f"{_quote(value)} is not a percentage (e.g. 99.9%)")
    number = float(match.group(1))
    if not 0 <= number <= 100:
        raise ValueError(f"{_quote(value)} must lie between 0% and 100%")
    return float(f"{match.group(1)}e-2")  # the float nearest the written decimal: 99.9% → 0.999


def format_percent(fraction: float) -> str:
    """``0.999`` → ``99.9%``."""
    return f"{fraction * 100:.10g}%"


def parse_clock_time(value: Any) -> time:
    """``"00:00"`` → ``time(0, 0)``; 24-hour ``HH:MM``."""
    if isinstance(value, time):
        return value
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{_quote(value)} is not a clock time (HH:MM, 24-hour, e.g. 00:00 or 23:30)"
        )
    return time(int(match.group(1)), int(match.group(2)))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_time_zone(value: Any) -> str:
    """Check an IANA time zone name (``Europe/Brussels``), suggesting the closest on a typo."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{_quote(value)} is not an IANA time zone (e.g. Europe/Brussels, UTC)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, sorted(_known_zones()), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else " (e.g. Europe/Brussels, UTC)"
        raise ValueError(f"{_quote(value)} is not an IANA time zone{hint}") from None
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": _DURATION_PATTERN, "examples": ["30s", "5m", "1h", "7d"]}
    ),
]
"""A length of time: ``30s``, ``5m``, ``1h``, ``7d``, ``1h30m``, ``250ms``."""

Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?%$", "examples": ["99.9%"]}),
]
"""A percentage such as ``99.9%``, held as the fraction 0.999."""

ClockTime = Annotated[
    time,
    BeforeValidator(parse_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "examples": ["00:00"]}
    ),
]
"""A wall-clock time, ``HH:MM`` in 24-hour form."""

TimeZoneName = Annotated[
    str,
    BeforeValidator(parse_time_zone),
    WithJsonSchema({"type": "string", "examples": ["UTC", "Europe/Brussels"]}),
]
"""An IANA time zone name."""
