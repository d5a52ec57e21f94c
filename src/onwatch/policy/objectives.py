"""Objectives: what each service promises, as a target over a window, and how to alert on it.

``services[].objectives`` holds availability and latency objectives (one mapping
or a list of them each), night-time leniency, burn-rate alert tiers and the
recovery numbers (``data_loss``, ``restore_time``). A rule about one value or
one objective is checked by its model, so the error points at the key; rules
that need the line of another entry or another section (unique names, overlapping
ranges, monitors of the right service) are registered cross checks. The maths
lives in :mod:`onwatch.slo`; :func:`onwatch.slo.specs.objective_specs` turns
these models into its plain values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from onwatch.policy.alert_tiers import Alerts
from onwatch.policy.checks import cross_check, section_items, suggest
from onwatch.policy.issues import Issue
from onwatch.policy.names import Name
from onwatch.policy.secrets import PolicyModel
from onwatch.policy.source import DataPath, Document
from onwatch.policy.types import (
    ClockTime,
    Duration,
    Percent,
    TimeZoneName,
    format_duration,
    format_percent,
    parse_clock_time,
    parse_duration,
)
from onwatch.slo.model import WindowSpec

KINDS = ("availability", "latency")
"""The objective kinds, as keys under ``objectives:``; each is also the default name."""

SLICE_LENGTHS = ("1m", "5m", "10m", "15m", "30m", "1h")
"""Time-slice lengths: whole minutes (slices are counted from minute rollups) that divide an hour."""

_SHORTEST_CALENDAR = {"month": 28 * 86400, "quarter": 90 * 86400}
_DURATION = r"(\d+(\.\d+)?(ms|s|m|h|d|w))+"
_WINDOW_HINT = "a duration such as 30d, or month or quarter"


# --- value types ---------------------------------------------------------------------


def _check_target(value: float) -> float:
    if value >= 1:
        raise ValueError(
            f"{format_percent(value)} leaves no error budget; a target must be below 100% (e.g. 99.9%)"
        )
    if value <= 0:
        raise ValueError(f"{format_percent(value)} promises nothing; a target must be above 0%")
    return value


Target = Annotated[Percent, AfterValidator(_check_target)]
"""A percentage above 0% and below 100%."""


def parse_window(value: Any) -> WindowSpec:
    """``"30d"`` → rolling 30 days; ``"month"`` and ``"quarter"`` → calendar periods."""
    if isinstance(value, WindowSpec):
        return value
    if value in ("month", "quarter"):
        return WindowSpec(value)
    try:
        duration = parse_duration(value)
    except ValueError:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is not a window: write {_WINDOW_HINT}") from None
    seconds = duration.total_seconds()
    if seconds % 3600:
        raise ValueError(
            f'"{value}" is not a whole number of hours; a rolling window is counted in '
            "hours or days (e.g. 30d, 7d, 12h)"
        )
    return WindowSpec("rolling", int(seconds))


Window = Annotated[
    WindowSpec,
    BeforeValidator(parse_window),
    PlainSerializer(lambda window: window.label, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^({_DURATION}|month|quarter)$",
            "examples": ["30d", "month", "quarter"],
        }
    ),
]
"""A budget period: a rolling duration (``30d``) or a calendar ``month`` / ``quarter``."""


def _check_slice_length(value: timedelta) -> timedelta:
    if format_duration(value) not in SLICE_LENGTHS:
        raise ValueError(
            f"{format_duration(value)} is not a slice length; use one of {', '.join(SLICE_LENGTHS)} "
            "(slices are counted from minute rollups, so a slice is whole minutes dividing an hour)"
        )
    return value


def _below_full(value: float) -> float:
    if value >= 1:
        raise ValueError("100% would never mark a slice bad; bad_above must be below 100%")
    return value


def _one_or_many(value: Any) -> Any:
    """One objective may be written as a mapping instead of a one-item list."""
    return [value] if isinstance(value, dict) else value


# --- models --------------------------------------------------------------------------


class TimeSlicing(PolicyModel):
    """Count slices of time instead of checks: a slice is bad when more than
    ``bad_above`` of its checks failed."""

    length: Annotated[Duration, AfterValidator(_check_slice_length)] = timedelta(minutes=1)
    bad_above: Annotated[Percent, AfterValidator(_below_full)] = 0.0


class LenientHours(PolicyModel):
    """A daily range in the objective's time zone with a softer target or an allowance.

    ``from`` after ``to`` crosses midnight: 23:00 to 06:00 covers both ends of the day.
    """

    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")
    target: Target | None = Field(default=None, description="A softer target inside the range")
    allowance: Duration | None = Field(
        default=None, description="Bad time per day inside the range that does not count"
    )

    @property
    def seconds(self) -> int:
        """How long the range lasts each day."""
        return range_minutes(self.start, self.end) * 60

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start == end:
            clock = end.strftime("%H:%M")
            raise ValueError(
                f"the range {clock} to {clock} is empty; from and to must differ "
                "(a range may cross midnight, e.g. 23:00 to 06:00)"
            )
        return end

    @field_validator("allowance")
    @classmethod
    def _allowance_fits(cls, allowance: timedelta | None, info: ValidationInfo) -> timedelta | None:
        if allowance is None:
            return None
        if info.data.get("target") is not None:
            raise ValueError("give either target or allowance, not both")
        start, end = info.data.get("start"), info.data.get("end")
        if start is not None and end is not None and start != end:
            length = timedelta(minutes=range_minutes(start, end))
            if allowance > length:
                raise ValueError(
                    f"allowance {format_duration(allowance)} is longer than the range itself "
                    f"({format_duration(length)})"
                )
        return allowance

    @model_validator(mode="after")
    def _target_or_allowance(self) -> LenientHours:
        if self.target is None and self.allowance is None:
            raise ValueError(
                "give a softer target (e.g. target: 99%) or an allowance of bad time "
                "(e.g. allowance: 10m)"
            )
        return self


class ObjectiveBase(PolicyModel):
    """What availability and latency objectives share."""

    name: Name
    target: Target
    monitors: Annotated[list[Name], Field(min_length=1)] | None = Field(
        default=None, description="Monitors and pools counted (default: all of the service's)"
    )
    timezone: TimeZoneName | None = Field(
        default=None, description="Zone of lenient ranges and calendar windows (default: settings)"
    )
    also_report: list[Window] = Field(default_factory=list)
    time_slices: TimeSlicing | None = None
    lenient: list[LenientHours] = Field(default_factory=list)
    alerts: Alerts = Alerts()
    # Declared after ``alerts`` so that its check can compare the two.
    window: Window = Field(default="30d", validate_default=True)

    @field_validator("window")
    @classmethod
    def _longer_than_every_tier(cls, window: WindowSpec, info: ValidationInfo) -> WindowSpec:
        alerts: Alerts | None = info.data.get("alerts")
        if alerts is None:
            return window
        shortest = window.seconds or _SHORTEST_CALENDAR[window.kind]
        for tier in alerts.tiers:
            if tier.long.total_seconds() > shortest:
                what = (
                    f"the {window.label} window is shorter"
                    if window.kind == "rolling"
                    else f"a {window.kind} ({shortest // 86400} days at the shortest) is shorter"
                )
                default = "tiers" not in alerts.model_fields_set
                raise ValueError(
                    f"{what} than the long window of tier {tier.as_tier().name} "
                    f"({format_duration(tier.long)}); a tier cannot look back further than the "
                    "budget is counted"
                    + ("; it is a default tier: give alerts.tiers to choose others" * default)
                )
        return window


class AvailabilityObjective(ObjectiveBase):
    """The share of checks (or time slices) that succeed."""

    name: Name = "availability"


class LatencyObjective(ObjectiveBase):
    """The share of checks whose ``phase`` took at most ``threshold``."""

    name: Name = "latency"
    threshold: Duration
    phase: Literal["total", "first_byte"] = "total"


class Objectives(PolicyModel):
    """A service's objectives and recovery numbers."""

    availability: Annotated[
        list[AvailabilityObjective],
        BeforeValidator(
            _one_or_many,
            json_schema_input_type=AvailabilityObjective | list[AvailabilityObjective],
        ),
    ] = Field(default_factory=list)
    latency: Annotated[
        list[LatencyObjective],
        BeforeValidator(
            _one_or_many, json_schema_input_type=LatencyObjective | list[LatencyObjective]
        ),
    ] = Field(default_factory=list)
    data_loss: Duration | None = Field(
        default=None, description="Recovery point objective: the most data a restore may lose"
    )
    restore_time: Duration | None = Field(
        default=None, description="Recovery time objective: how long a restore may take"
    )

    @property
    def all(self) -> list[AvailabilityObjective | LatencyObjective]:
        """Availability objectives, then latency objectives, as written."""
        return [*self.availability, *self.latency]


# --- helpers and checks across entries -----------------------------------------------


def range_minutes(start: time, end: time) -> int:
    """Minutes from ``start`` to ``end``, crossing midnight when ``end`` is earlier."""
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % 1440


def _day_spans(start: time, end: time) -> list[tuple[int, int]]:
    """A daily range as minute spans within one day: 23:00-06:00 → [(1380, 1440), (0, 360)]."""
    begin, finish = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    return [(begin, finish)] if begin < finish else [(begin, 1440), (0, finish)]


def objective_items(
    document: Document,
) -> Iterator[tuple[dict[str, Any], str, DataPath, dict[str, Any]]]:
    """Every objective mapping in the raw document: (service item, kind, path, objective)."""
    for service_path, service in section_items(document, "services"):
        objectives = service.get("objectives")
        if not isinstance(objectives, dict):
            continue
        for kind in KINDS:
            value = objectives.get(kind)
            path: DataPath = (*service_path, "objectives", kind)
            if isinstance(value, dict):
                yield service, kind, path, value
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        yield service, kind, (*path, index), item


@cross_check
def _objective_names_are_unique_within_a_service(document: Document) -> Iterator[Issue]:
    seen: dict[tuple[int, str], DataPath] = {}
    for service, kind, path, item in objective_items(document):
        name = item.get("name", kind)
        if not isinstance(name, str):
            continue
        key = (id(service), name)
        if key not in seen:
            seen[key] = path
            continue
        line = document.position(seen[key])[0]
        given = "name" in item
        yield document.issue(
            (*path, "name") if given else path,
            f'"{name}" is already the name of the objective on line {line}; '
            "objective names must be unique within a service"
            + ("" if given else f' ("{kind}" is the default name: give each one a name)'),
        )


@cross_check
def _objectives_count_monitors_of_their_service(document: Document) -> Iterator[Issue]:
    owners: dict[str, Any] = {}
    for section in ("monitors", "pools"):
        for _, item in section_items(document, section):
            if isinstance(item.get("name"), str):
                owners.setdefault(item["name"], item.get("service"))
    for service, _, path, item in objective_items(document):
        names, own = item.get("monitors"), service.get("name")
        if not isinstance(names, list) or not isinstance(own, str):
            continue
        mine = [name for name, owner in owners.items() if owner == own]
        for index, name in enumerate(names):
            if not isinstance(name, str):
                continue
            where = (*path, "monitors", index)
            if name not in owners:
                hint = suggest(name, mine) or suggest(name, owners)
                yield document.issue(where, f'"{name}" is not a monitor or pool{hint}')
            elif owners[name] is None:
                yield document.issue(
                    where,
                    f'"{name}" belongs to no service; give it service: {own} to count it here',
                )
            elif owners[name] != own:
                yield document.issue(
                    where,
                    f'"{name}" watches service "{owners[name]}", not "{own}"; '
                    "an objective counts only its own service's monitors",
                )


@cross_check
def _lenient_ranges_do_not_overlap(document: Document) -> Iterator[Issue]:
    for _, _, path, item in objective_items(document):
        ranges = item.get("lenient")
        if not isinstance(ranges, list):
            continue
        earlier: list[tuple[DataPath, str, list[tuple[int, int]]]] = []
        for index, entry in enumerate(ranges):
            try:
                start = parse_clock_time(entry.get("from"))
                end = parse_clock_time(entry.get("to"))
            except (AttributeError, ValueError):
                continue  # not a mapping, or a bad clock time: validation reports it
            if start == end:
                continue
            here = (*path, "lenient", index)
            label = f"{start:%H:%M} to {end:%H:%M}"
            spans = _day_spans(start, end)
            for other_path, other_label, other_spans in earlier:
                if any(a < d and c < b for a, b in spans for c, d in other_spans):
                    line = document.position(other_path)[0]
                    yield document.issue(
                        here,
                        f"{label} overlaps {other_label} on line {line}; "
                        "lenient ranges of one objective must not overlap",
                    )
                    break
            earlier.append((here, label, spans))
