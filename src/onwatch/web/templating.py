"""The Jinja2 environment of every server-rendered page, and the filters people read.

Templates live in ``onwatch/web/templates`` and autoescape everything. Routes
render with ``templates.TemplateResponse(request, "page.html", context)``.
Filters (all safe with ``None``, shown as an em dash):

- ``ms``: milliseconds for people (``0.4 ms``, ``250 ms``, ``1.42 s``);
- ``duration``: seconds or a timedelta (``30 s``, ``5 min``, ``1 h 30 min``);
- ``ago``: a Unix time relative to ``now`` (``12 s ago``, ``in 5 min``);
- ``percent``: a fraction (``0.99953`` → ``99.95%``; never rounds up to 100%);
- ``clock``: a Unix time as ``2026-11-22 14:05:09`` in a time zone;
- ``iso``: a Unix time in ISO 8601 UTC, for ``<time datetime=...>``;
- ``number``: a count with thousands separators (``5,000``).

Globals: ``csrf_token(request)`` for the hidden field of every POST form, and
``version``. ``base.html`` shows the navigation and the logout form when the
context holds a ``principal``; ``section`` (``monitors``, ``pools``) marks the
current one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from onwatch import __version__
from onwatch.probes.slow import format_ms

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = Path(__file__).parent / "static" / "onwatch.css"
"""The one stylesheet; standalone HTML exports inline it."""
NOTHING = "—"

__all__ = ["STYLESHEET", "TEMPLATES", "clock", "duration", "ms", "percent", "relative", "templates"]


def ms(value: float | None) -> str:
    """Milliseconds as people say them: ``0.4 ms``, ``250 ms``, ``1.42 s``."""
    return NOTHING if value is None else format_ms(value)


def duration(value: float | timedelta | None) -> str:
    """A length of time in seconds (or a timedelta): ``30 s``, ``5 min``, ``1 h 30 min``."""
    if value is None:
        return NOTHING
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        return format_ms(seconds * 1000)
    if seconds < 60:
        return f"{seconds:.3g} s" if seconds != int(seconds) else f"{int(seconds)} s"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2])


def relative(when: float | None, now: float) -> str:
    """A Unix time relative to ``now``: ``just now``, ``12 s ago``, ``3 h ago``, ``in 5 min``."""
    if when is None:
        return "never"
    delta = now - when
    if abs(delta) < 1:
        return "just now"
    size = abs(delta)
    for unit, seconds in (("d", 86400), ("h", 3600), ("min", 60)):
        if size >= seconds:
            text = f"{int(size // seconds)} {unit}"
            break
    else:
        text = f"{int(size)} s"
    return f"{text} ago" if delta > 0 else f"in {text}"


def percent(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage with ``digits`` decimals, rounded down so that
    99.999% never reads as 100%; exactly 1 is ``100%``."""
    if fraction is None:
        return NOTHING
    if fraction >= 1:
        return "100%"
    scale = 10**digits
    shown = math.floor(fraction * 100 * scale + 1e-9) / scale
    return f"{shown:.{digits}f}%"


def clock(when: float | None, zone: str = "UTC", seconds: bool = True) -> str:
    """A Unix time as local wall-clock time in ``zone``: ``2026-11-22 14:05:09``."""
    if when is None:
        return NOTHING
    moment = datetime.fromtimestamp(when, UTC).astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def number(value: int | None) -> str:
    """A count with thousands separators: ``5,000``."""
    return NOTHING if value is None else f"{value:,}"


def iso(when: float | None) -> str:
    """A Unix time in ISO 8601 UTC, for ``<time datetime=...>``."""
    if when is None:
        return ""
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _csrf_token(request: Request) -> str:
    from onwatch.web.auth import csrf_token  # auth renders pages too: import at call time

    return csrf_token(request)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ms=ms, duration=duration, ago=relative, percent=percent, clock=clock, iso=iso, number=number
    )
    env.globals["csrf_token"] = _csrf_token
    env.globals["version"] = __version__
    return env


templates = Jinja2Templates(env=_environment())
"""The one template renderer of the web app (configuration only, no state)."""
