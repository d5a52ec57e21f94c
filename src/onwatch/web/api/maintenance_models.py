"""The shapes of ``/api/v1/maintenance``: a window as asked for, and as stored.

Times are ISO 8601 in UTC except ``start_local``, the wall-clock start in the
window's own time zone (that is what repeats); durations are seconds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onwatch.store.maintenance import ListedWindow, State
from onwatch.web.api.models import utc


class WindowState(StrEnum):
    """Which windows to list: ``current`` is active and upcoming ones."""

    CURRENT = "current"
    ACTIVE = "active"
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"

    @property
    def states(self) -> tuple[State, ...]:
        """The stored states this choice lists."""
        return _STATES[self.value]


_STATES: dict[str, tuple[State, ...]] = {
    "current": ("active", "upcoming"),
    "active": ("active",),
    "upcoming": ("upcoming",),
    "past": ("past",),
    "all": ("active", "upcoming", "past"),
}


class NewWindow(BaseModel):
    """A runtime maintenance window to add."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, description="Why, for the people who see it", examples=["Database upgrade"]
    )
    services: list[str] = Field(default_factory=list, examples=[["checkout"]])
    monitors: list[str] = Field(
        default_factory=list, description="Monitors, pools or pool backends (api#1)"
    )
    start: str | None = Field(
        default=None,
        description="Wall-clock time in timezone, or with an offset (default: now)",
        examples=["2026-12-06 22:00", "2026-12-06T22:00+01:00"],
    )
    end: str | None = Field(
        default=None, description="Instead of duration", examples=["2026-12-07 00:00"]
    )
    duration: str | float | None = Field(
        default=None, description="A duration (2h, 90m) or seconds", examples=["2h", 7200]
    )
    rrule: str | None = Field(
        default=None,
        description="RFC 5545 rule repeating the start",
        examples=["FREQ=WEEKLY;BYDAY=SU"],
    )
    timezone: str | None = Field(
        default=None, description="Zone of start and end (default: the policy's settings.timezone)"
    )


class Occurrence(BaseModel):
    """One occurrence of a window."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime


class MaintenanceWindow(BaseModel):
    """A stored window: from the policy or added at runtime, with its state now."""

    model_config = ConfigDict(frozen=True)

    id: int
    source: Literal["policy", "runtime"]
    name: str | None = Field(description="The policy's name for it; null for runtime windows")
    reason: str
    services: list[str]
    monitors: list[str]
    start_local: str = Field(examples=["2026-12-06T22:00:00"])
    timezone: str = Field(examples=["Europe/Brussels"])
    duration_seconds: float
    rrule: str | None
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    state: Literal["active", "upcoming", "past"]
    occurrence: Occurrence | None = Field(
        description="The current occurrence (active), the next (upcoming) or the last (past)"
    )

    @classmethod
    def of(cls, item: ListedWindow) -> MaintenanceWindow:
        window = item.window
        occurrence = item.occurrence
        return cls(
            id=window.id,
            source=window.source,
            name=window.name,
            reason=window.reason,
            services=list(window.services),
            monitors=list(window.monitors),
            start_local=window.start_local.isoformat(),
            timezone=window.timezone,
            duration_seconds=window.duration.total_seconds(),
            rrule=window.rrule,
            created_by=window.created_by,
            created_at=utc(window.created_at),
            cancelled_at=None if window.cancelled_at is None else utc(window.cancelled_at),
            cancelled_by=window.cancelled_by,
            state=item.state,
            occurrence=None
            if occurrence is None
            else Occurrence(start=utc(occurrence[0]), end=utc(occurrence[1])),
        )
