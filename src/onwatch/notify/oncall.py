"""Who is on call at a moment: a rotation's shifts in local time, and overrides on top.

Shift ``k`` of a rotation begins on ``start + k × every`` at ``handover.at`` in
the rotation's zone, and belongs to member ``k mod len(members)``; shifts go on
backwards before ``start`` in the same order. Handovers are wall-clock times,
so a Monday 09:00 handover stays at 09:00 across daylight-saving changes (a
time the clock skips or shows twice follows :mod:`onwatch.slo.localtime`'s rule). An override covering the moment wins over the rotation; among several,
the one created last. Pure functions of their arguments: no clock, no store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from onwatch.policy.escalation import Rotation
from onwatch.slo.localtime import instant, local_date

__all__ = ["Override", "next_change", "next_handover", "on_call", "shift_index", "shift_start"]


@dataclass(frozen=True)
class Override:
    """``contact`` is on call for ``rotation`` from ``starts_at`` until ``ends_at`` (Unix seconds)."""

    rotation: str
    contact: str
    starts_at: float
    ends_at: float
    created_at: float = 0.0
    """Among overlapping overrides, the one created last wins (ties: the later in the list)."""

    def covers(self, at: float) -> bool:
        return self.starts_at <= at < self.ends_at


def shift_start(rotation: Rotation, index: int) -> float:
    """Unix seconds at which shift ``index`` begins (0 is the first member's first shift)."""
    day = rotation.start + timedelta(days=index * rotation.handover.days)
    return instant(day, rotation.handover.at, rotation.timezone)


def shift_index(rotation: Rotation, at: float) -> int:
    """The shift running at ``at`` (negative before the rotation's start)."""
    index = (local_date(at, rotation.timezone) - rotation.start).days // rotation.handover.days
    while shift_start(rotation, index) > at:
        index -= 1
    while shift_start(rotation, index + 1) <= at:
        index += 1
    return index


def _member(rotation: Rotation, index: int) -> str:
    return rotation.members[index % len(rotation.members)]


def on_call(rotation: Rotation, at: float, overrides: Sequence[Override] = ()) -> str:
    """The contact on call for ``rotation`` at ``at``: an override's, else the rotation's."""
    covering = [
        (override.created_at, position, override.contact)
        for position, override in enumerate(overrides)
        if override.rotation == rotation.name and override.covers(at)
    ]
    if covering:
        return max(covering)[2]
    return _member(rotation, shift_index(rotation, at))


def next_handover(rotation: Rotation, at: float) -> tuple[float, str]:
    """When the current shift ends (Unix seconds) and who takes over, by the rotation alone."""
    index = shift_index(rotation, at) + 1
    return shift_start(rotation, index), _member(rotation, index)


def next_change(
    rotation: Rotation, at: float, overrides: Sequence[Override] = ()
) -> tuple[float, str]:
    """When someone else is next on call after ``at``, overrides counted, and who.

    Looks at the handovers and the overrides' starts and ends up to one full turn
    of the rotation ahead; with one member and no override, that is the next handover.
    """
    now = on_call(rotation, at, overrides)
    first = shift_index(rotation, at) + 1
    turn = [shift_start(rotation, first + k) for k in range(len(rotation.members) + 1)]
    edges = {
        edge
        for override in overrides
        if override.rotation == rotation.name
        for edge in (override.starts_at, override.ends_at)
        if at < edge < turn[-1]
    }
    for moment in sorted({*turn, *edges}):
        who = on_call(rotation, moment, overrides)
        if who != now:
            return moment, who
    return turn[0], _member(rotation, first)
