"""A runtime maintenance window as people ask for it, checked against the running policy.

The command line (``onwatch maintenance add``) and the API (``POST
/api/v1/maintenance``) both hand what they were given to :func:`check_window`,
which returns a :class:`WindowRequest` ready for
:func:`~onwatch.store.maintenance.add_window` or raises
:class:`InvalidWindowError` naming the field at fault, so the API answers 422
with that field and the command line names its flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from onwatch.errors import OnwatchError
from onwatch.policy import Policy
from onwatch.policy.checks import suggest
from onwatch.policy.maintenance import parse_start
from onwatch.policy.types import parse_duration, parse_time_zone
from onwatch.slo.occurrences import occurrences, recurrence
from onwatch.store.maintenance import HORIZON

__all__ = ["InvalidWindowError", "WindowRequest", "check_window", "monitor_names"]

Field = str
"""One of ``services``, ``monitors``, ``start``, ``end``, ``duration``, ``reason``,
``rrule``, ``timezone``."""


class InvalidWindowError(OnwatchError):
    """A requested window is refused; :attr:`field` says which input is at fault."""

    def __init__(self, field: Field, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        """What is wrong, without the field's name (each surface names it its own way)."""


@dataclass(frozen=True)
class WindowRequest:
    """A checked runtime window."""

    reason: str
    services: tuple[str, ...]
    monitors: tuple[str, ...]
    start_local: datetime
    """Naive wall-clock time in :attr:`timezone`."""
    timezone: str
    duration: timedelta
    rrule: str | None


def monitor_names(policy: Policy) -> list[str]:
    """Every name a window may cover: monitors, pools and each pool backend (``api#1``)."""
    names = [monitor.name for monitor in policy.monitors]
    for pool in policy.pools:
        names.append(pool.name)
        names.extend(pool.target_monitor_name(i) for i in range(len(pool.targets)))
    return names


def _local(value: str | datetime, zone: ZoneInfo, field: Field) -> datetime:
    """A wall-clock time in ``zone``; one with an offset is converted to it."""
    try:
        moment = parse_start(value)
    except ValueError as exc:
        raise InvalidWindowError(field, str(exc)) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def _instant(local: datetime, zone: ZoneInfo) -> float:
    return local.replace(tzinfo=zone).timestamp()


def _names(given: list[str], known: list[str], field: Field, what: str) -> tuple[str, ...]:
    for name in given:
        if name not in known:
            raise InvalidWindowError(field, f'"{name}" is not {what}{suggest(name, known)}')
    return tuple(dict.fromkeys(given))  # each once, in the order given


def _duration(value: str | float | timedelta) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 0:
            raise InvalidWindowError("duration", f"{value:g} seconds must be above 0")
        return timedelta(seconds=value)
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise InvalidWindowError("duration", str(exc)) from None


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def check_window(
    policy: Policy,
    *,
    reason: str | None,
    services: list[str],
    monitors: list[str],
    now: float,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    duration: str | float | timedelta | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
) -> WindowRequest:
    """Check a requested window; :class:`InvalidWindowError` names the first field at fault.

    ``start`` and ``end`` are wall-clock times in ``timezone`` (default: the
    policy's ``settings.timezone``) unless they carry an offset; ``start``
    defaults to ``now``. Exactly one of ``end`` and ``duration`` (``2h``, or
    seconds). A window already over at ``now`` is refused: maintenance cannot
    excuse what has happened.
    """
    if reason is None or not reason.strip():
        raise InvalidWindowError(
            "reason", "say why, for the people who see the window (e.g. Database upgrade)"
        )
    if not services and not monitors:
        raise InvalidWindowError(
            "services", "give services, monitors or both; the window covers nothing"
        )
    covered_services = _names(services, [s.name for s in policy.services], "services", "a service")
    covered_monitors = _names(monitors, monitor_names(policy), "monitors", "a monitor or pool")
    try:
        zone_name = parse_time_zone(timezone or policy.settings.timezone)
    except ValueError as exc:
        raise InvalidWindowError("timezone", str(exc)) from None
    zone = ZoneInfo(zone_name)
    if start is None:
        start_local = datetime.fromtimestamp(int(now), UTC).astimezone(zone).replace(tzinfo=None)
    else:
        start_local = _local(start, zone, "start")
    if end is not None and duration is not None:
        raise InvalidWindowError("end", "give end or duration, not both")
    if end is not None:
        end_local = _local(end, zone, "end")
        seconds = _instant(end_local, zone) - _instant(start_local, zone)
        if seconds <= 0:
            raise InvalidWindowError(
                "end", f"{_clock(end_local)} is not after start ({_clock(start_local)})"
            )
        length = timedelta(seconds=seconds)
    elif duration is not None:
        length = _duration(duration)
    else:
        raise InvalidWindowError("duration", "give duration (e.g. 2h) or end")
    rule = rrule.strip() if rrule and rrule.strip() else None
    if rule is not None:
        try:
            recurrence(rule, start_local)
        except ValueError as exc:
            raise InvalidWindowError("rrule", f'"{rule}" {exc}') from None
    if not occurrences(start_local, zone_name, length, rule, now, now + HORIZON):
        field = "end" if end is not None else "start"
        raise InvalidWindowError(
            field,
            f"the window is over before it is added (it starts {_clock(start_local)} "
            f"{zone_name}); maintenance cannot excuse what has already happened",
        )
    return WindowRequest(
        reason.strip(),
        covered_services,
        covered_monitors,
        start_local,
        zone_name,
        length,
        rule,
    )
