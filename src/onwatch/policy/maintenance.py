"""Planned maintenance: announced windows that are left out of every error budget.

``maintenance:`` lists windows, each a local start, a duration, an optional
RFC 5545 rule that repeats it (``FREQ=WEEKLY;BYDAY=SU``) and the services or
monitors it covers. The times are wall-clock times in the window's time zone;
:func:`onwatch.slo.occurrences.occurrences` turns them into Unix seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

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

from onwatch.policy.checks import cross_check, names_in, section_items, suggest, unique_names
from onwatch.policy.issues import Issue
from onwatch.policy.names import Name
from onwatch.policy.secrets import PolicyModel
from onwatch.policy.source import Document
from onwatch.policy.types import Duration, TimeZoneName
from onwatch.slo.occurrences import occurrences, parse_rule, recurrence

_START = r"\d{4}-\d{2}-\d{2}[ Tt]\d{2}:\d{2}(:\d{2})?([Zz]|[+-]\d{2}:\d{2})?"


def parse_start(value: Any) -> datetime:
    """``"2026-12-06 22:00"`` (wall time), ``"2026-12-06T22:00"`` or with an offset (``+01:00``)."""
    if isinstance(value, datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not re.fullmatch(_START, text):
            raise ValueError
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ValueError(
            f"{shown} is not a date and time; write YYYY-MM-DD HH:MM in the window's time zone "
            '(e.g. "2026-12-06 22:00"), or add an offset ("2026-12-06T22:00+01:00")'
        ) from None


LocalStart = Annotated[
    datetime,
    BeforeValidator(parse_start),
    PlainSerializer(lambda moment: moment.isoformat(sep=" ", timespec="minutes"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": f"^{_START}$", "examples": ["2026-12-06 22:00"]}),
]
"""A wall-clock date and time, optionally with a UTC offset."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must say why, for the people who see the window (e.g. Database upgrade)")
    return value.strip()


class MaintenanceWindow(PolicyModel):
    """One planned window (or a series of them) when failures do not count."""

    name: Name
    reason: Annotated[str, AfterValidator(_not_blank)]
    start: LocalStart
    duration: Duration
    rrule: str | None = Field(
        default=None, description="RFC 5545 rule repeating the start, e.g. FREQ=WEEKLY;BYDAY=SU"
    )
    timezone: TimeZoneName | None = Field(
        default=None, description="Zone of start and rrule (default: settings.timezone)"
    )
    services: list[Name] = Field(default_factory=list)
    monitors: list[Name] = Field(default_factory=list)

    @field_validator("rrule")
    @classmethod
    def _valid_rule(cls, rule: str | None, info: ValidationInfo) -> str | None:
        if rule is None:
            return None
        start: datetime | None = info.data.get("start")
        if start is None:  # a bad start is reported on its own; check the rule's syntax only
            parse_rule(rule, datetime(2000, 1, 1))
        else:  # the wall time as written is what repeats
            recurrence(rule, start.replace(tzinfo=None))
        return rule

    @model_validator(mode="after")
    def _covers_something(self) -> MaintenanceWindow:
        if not self.services and not self.monitors:
            raise ValueError(
                "covers nothing; give services, monitors or both (e.g. services: [checkout])"
            )
        return self

    def zone(self, default: str) -> str:
        """The window's time zone: its own, else ``default`` (``settings.timezone``)."""
        return self.timezone or default

    def local_start(self, zone: str) -> datetime:
        """The start as a naive wall-clock time in ``zone``."""
        if self.start.tzinfo is None:
            return self.start
        return self.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)

    def occurrences(
        self, default_zone: str, since: float, until: float
    ) -> list[tuple[float, float]]:
        """``(begin, end)`` Unix seconds of the occurrences overlapping ``[since, until)``."""
        zone = self.zone(default_zone)
        return occurrences(self.local_start(zone), zone, self.duration, self.rrule, since, until)


cross_check(unique_names("maintenance"))


@cross_check
def _maintenance_names_known_services_and_monitors(document: Document) -> Iterator[Issue]:
    services = names_in(document, "services")
    monitors = {**names_in(document, "monitors"), **names_in(document, "pools")}
    for path, item in section_items(document, "maintenance"):
        for key, known, what in (
            ("services", services, "a service"),
            ("monitors", monitors, "a monitor or pool"),
        ):
            names = item.get(key)
            if not isinstance(names, list):
                continue
            for index, name in enumerate(names):
                if isinstance(name, str) and name not in known:
                    yield document.issue(
                        (*path, key, index), f'"{name}" is not {what}{suggest(name, known)}'
                    )
