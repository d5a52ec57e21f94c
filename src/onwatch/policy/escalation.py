"""Who gets paged: teams, on-call rotations, escalation cascades and the routes between them.

``teams:`` are named lists of contacts; ``oncall:`` rotations hand over from one
member to the next every N days or weeks at a local time; ``escalation:``
policies are steps that notify targets (``alice.sms``, ``platform.email`` for
every member of a team, ``primary.sms`` for whoever is on call) after a delay,
repeated and held back in quiet hours; ``routes:`` pick a policy by severity and
service, falling back to the one named ``default``. Contacts, teams and
rotations share one name space, so a target always means one thing.
References between sections are checked in :mod:`onwatch.policy.escalation_checks`.
The runtime side lives in :mod:`onwatch.notify.oncall` and
:mod:`onwatch.notify.recipients`; docs/escalation.md explains a cascade.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from onwatch.policy.agreement import Day
from onwatch.policy.names import Name
from onwatch.policy.secrets import PolicyModel
from onwatch.policy.types import (
    ClockTime,
    Duration,
    TimeZoneName,
    format_duration,
    parse_duration,
    parse_time_zone,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Severity = Literal["page", "ticket"]
DEFAULT_ESCALATION = "default"
"""The escalation policy used when no route matches."""
MIN_REPEAT_SPACING = timedelta(minutes=5)
"""The shortest pause before a chain runs again, so a repeat never floods anyone."""
TARGET_SECTIONS = ("contacts", "teams", "oncall")
"""The sections whose names a step's target may start with; one name space."""

_ZERO = re.compile(r"(0+(\.0+)?(ms|s|m|h|d|w)?)+")


def parse_delay(value: Any) -> timedelta:
    """A step's delay: a duration (``5m``) or zero (``0m``, ``0s``, ``0``)."""
    if (value == 0 and not isinstance(value, bool)) or (
        isinstance(value, str) and _ZERO.fullmatch(value.strip())
    ):
        return timedelta(0)
    return parse_duration(value)


Delay = Annotated[
    timedelta,
    BeforeValidator(parse_delay),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0m", "5m", "15m"]}),
]
"""How long after an incident opens a step runs: ``0m`` or a duration."""


def _check_target(value: str) -> str:
    name, dot, channel = value.partition(".")
    if not dot or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) or not channel:
        raise ValueError(
            f'"{value}" is not name.channel (a contact, team or rotation and a channel, '
            "e.g. alice.sms)"
        )
    return value


Target = Annotated[
    str, AfterValidator(_check_target), Field(examples=["alice.sms", "platform.email"])
]
"""``name.channel``: a contact's channel, every team member's, or the on-call person's."""


def _whole_days(value: timedelta) -> timedelta:
    if value.total_seconds() % 86400:
        raise ValueError(f"{format_duration(value)} is not whole days or weeks (e.g. 1d, 1w, 2w)")
    return value


class Team(PolicyModel):
    """A named group of contacts; ``team.channel`` reaches every member on that channel."""

    name: Name
    members: Annotated[list[Name], Field(min_length=1)]


class Handover(PolicyModel):
    """When a rotation passes to the next member: every N days or weeks at a local time."""

    at: ClockTime = time(9, 0)
    every: Annotated[Duration, AfterValidator(_whole_days)] = timedelta(weeks=1)
    day: Weekday | None = Field(
        default=None, description="Weekday of the handover (weekly rotations only)"
    )

    @field_validator("day")
    @classmethod
    def _weeks_only(cls, day: str | None, info: ValidationInfo) -> str | None:
        every: timedelta | None = info.data.get("every")
        if day is not None and every is not None and every.days % 7:
            raise ValueError(
                f"a handover day needs every in whole weeks (e.g. 1w), not {format_duration(every)}"
            )
        return day

    @property
    def days(self) -> int:
        """Length of a shift in days."""
        return self.every.days


class Rotation(PolicyModel):
    """Members on call in turn, starting with the first on ``start`` at ``handover.at``."""

    name: Name
    members: Annotated[list[Name], Field(min_length=1)]
    handover: Handover = Handover()
    timezone: TimeZoneName = Field(
        default="UTC", description="Zone of the handover time (default: settings.timezone)"
    )
    start: Day = Field(description="The day the first member's first shift begins")

    @field_validator("start")
    @classmethod
    def _on_the_handover_day(cls, start: date, info: ValidationInfo) -> date:
        handover: Handover | None = info.data.get("handover")
        weekday = WEEKDAYS[start.weekday()]
        if handover is not None and handover.day not in (None, weekday):
            raise ValueError(
                f"{start.isoformat()} is a {weekday}, but handovers are on {handover.day}: "
                f"start on a {handover.day}"
            )
        return start


class Step(PolicyModel):
    """Notify ``notify`` once the incident has been open ``after`` without an acknowledgement."""

    after: Delay
    notify: Annotated[list[Target], Field(min_length=1)]


class QuietHours(PolicyModel):
    """A daily range when only incidents of severity ``only`` notify; the rest wait for its end.

    ``from`` after ``to`` crosses midnight: 22:00 to 07:00 covers the night.
    """

    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")
    timezone: TimeZoneName = Field(default="UTC", description="default: settings.timezone")
    only: Severity = "page"

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: time, info: ValidationInfo) -> time:
        if info.data.get("start") == end:
            clock = end.strftime("%H:%M")
            raise ValueError(
                f"the range {clock} to {clock} is empty; from and to must differ "
                "(a range may cross midnight, e.g. 22:00 to 07:00)"
            )
        return end


class Escalation(PolicyModel):
    """Steps run in order until someone acknowledges; then the chain runs again ``repeat`` times."""

    name: Name
    steps: Annotated[list[Step], Field(min_length=1)]
    repeat: Annotated[int, Field(ge=0)] = Field(
        default=0, description="How many more times the whole chain runs after its last step"
    )
    quiet_hours: QuietHours | None = None

    def spacing(self) -> timedelta:
        """The pause between the last step and the chain's next run: the gap between the
        last two steps (the one step's own ``after`` when there is one), at least 5 minutes."""
        before = self.steps[-2].after if len(self.steps) > 1 else timedelta(0)
        return max(self.steps[-1].after - before, MIN_REPEAT_SPACING)

    def schedule(self) -> list[tuple[timedelta, int]]:
        """``(delay since open, step index)`` of every step run, repeats included."""
        cycle = self.steps[-1].after + self.spacing()
        return [
            (round_ * cycle + step.after, index)
            for round_ in range(self.repeat + 1)
            for index, step in enumerate(self.steps)
        ]


class Route(PolicyModel):
    """Incidents of ``severity`` (and ``service``) go to ``escalation``; omitted keys match all."""

    severity: Severity | None = None
    service: Name | None = None
    escalation: Name

    def matches(self, severity: str, service: str | None) -> bool:
        return (self.severity in (None, severity)) and (self.service in (None, service))


def with_default_zones(data: Any) -> Any:
    """Raw policy data with ``settings.timezone`` written into rotations and quiet hours
    that name no zone of their own (an invalid setting is reported by its own field)."""
    if not isinstance(data, dict):
        return data
    settings = data.get("settings")
    zone = settings.get("timezone", "UTC") if isinstance(settings, dict) else "UTC"
    try:
        parse_time_zone(zone)
    except ValueError:
        return data
    result = dict(data)
    if isinstance(data.get("oncall"), list):
        result["oncall"] = [
            {**item, "timezone": zone}
            if isinstance(item, dict) and "timezone" not in item
            else item
            for item in data["oncall"]
        ]
    if isinstance(data.get("escalation"), list):
        result["escalation"] = [_quiet_zone(item, zone) for item in data["escalation"]]
    return result


def _quiet_zone(item: Any, zone: str) -> Any:
    quiet = item.get("quiet_hours") if isinstance(item, dict) else None
    if not isinstance(quiet, dict) or "timezone" in quiet:
        return item
    return {**item, "quiet_hours": {**quiet, "timezone": zone}}
