"""Incremental window sums: "how many (bad) events in the last w seconds" in O(1), for every window.

Counters only ever grow, so the sum over the last ``w`` seconds is ``C(now) -
C(now - w)``. A :class:`Ring` keeps the running totals ``C`` of a few integer
counters and, for each of its last ``length`` buckets, a snapshot of ``C`` at
the bucket's start, so a window sum is one subtraction. Moving to a later
bucket copies the totals into the buckets passed over (amortised O(1) per
bucket of time); an event for an earlier bucket (a late one) is added to the
totals and to the snapshots after its bucket, so it costs O(how late it is).

:class:`WindowSums` keeps three views of the same counters:

- a *fine* ring of ``resolution``-second buckets over the last few hours (6 h
  with the default tiers): every window up to that length and a multiple of
  the resolution is counted to the bucket (to the second in the golden tests,
  to the minute in production);
- a *coarse* ring of hour buckets over the longest rolling window (30 days
  and more): longer windows begin on an hour boundary, so a "30-day" window
  counts between 30 days less one hour and 30 days, never older data;
- per calendar window, the totals since the start of the current month or
  quarter, reset when the next period starts.

Memory: a snapshot is one C integer per counter and bucket (``array``),
allocated the first time that counter moves, so an objective that never sees
maintenance or leniency pays only for its event and bad counts. Snapshots are
kept modulo 2³² (``array('I')``, 4 bytes) while the counter's total stays under
2³¹, which makes every difference exact, and widen to ``array('q')`` after
(2³¹ checks is 68 years at one a second): with the default tiers and a 30-day
window, (360 + 720) × 2 × 4 bytes ≈ 8.6 kB an objective.

Events older than the coarse ring (relative to the latest time seen) are
dropped: they count for nothing, not even in a calendar total. Events older
than the fine ring but inside the coarse one still count in the coarse ring
and in the calendar totals of the period they fall in.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence

HOUR = 3600
FINE_SECONDS = 6 * HOUR
"""What the fine ring covers at most: every tier's windows up to 6 h."""

Deltas = Iterable[tuple[int, int]]
"""``(counter, amount)`` pairs added by one event or one piece of a bucket."""


_NARROW, _NARROW_MASK = "I", 0xFFFF_FFFF  # C unsigned int: 32 bits on every CPython platform
_WIDE, _WIDE_MASK = "q", 0xFFFF_FFFF_FFFF_FFFF
_NARROW_LIMIT = 1 << 31
"""A counter's snapshots widen to 64 bits before its total reaches this."""


class Ring:
    """Running totals of ``fields`` counters with a snapshot at the start of each recent bucket."""

    __slots__ = ("_masks", "_snapshots", "head", "length", "totals", "width")

    def __init__(self, width: int, length: int, fields: int) -> None:
        self.width = width
        """Seconds per bucket."""
        self.length = max(length, 1)
        """Buckets kept: the longest window this ring answers."""
        self.head: int | None = None
        """Index (Unix seconds // width) of the newest bucket; None before the first event."""
        self.totals = [0] * fields
        # Slot i % length: the totals before bucket i, modulo 2**32 while the counter's
        # total is below 2**31 (so a difference modulo 2**32 is exact), then in 64 bits.
        # None until the counter first moves, which is exact: its totals were zero so far.
        self._snapshots: list[array[int] | None] = [None] * fields
        self._masks = [_NARROW_MASK] * fields

    def advance(self, index: int) -> None:
        """Make bucket ``index`` the newest; the buckets passed over hold no events."""
        head = self.head
        if head is None:
            self.head = index
            return
        gap = index - head
        if gap <= 0:
            return
        length = self.length
        for field, snapshots in enumerate(self._snapshots):
            if snapshots is None:
                continue
            total = self.totals[field] & self._masks[field]
            if gap >= length:
                snapshots[:] = array(snapshots.typecode, (total,)) * length
            else:
                for bucket in range(head + 1, index + 1):
                    snapshots[bucket % length] = total
        self.head = index

    def holds(self, index: int) -> bool:
        """Whether bucket ``index`` is new or recent enough to be counted."""
        return self.head is None or index > self.head - self.length

    def add(self, index: int, deltas: Deltas) -> None:
        """Count ``deltas`` in bucket ``index`` (ignored when older than the ring)."""
        head = self.head
        if head is None or index > head:
            self.advance(index)
            head = index
        length = self.length
        if index <= head - length:
            return
        for field, amount in deltas:
            snapshots = self._snapshots[field]
            if snapshots is None:
                snapshots = self._snapshots[field] = array(_NARROW, (0,)) * length
            total = self.totals[field] + amount
            if total >= _NARROW_LIMIT and snapshots.typecode == _NARROW:
                snapshots = self._widen(field)
            self.totals[field] = total
            mask = self._masks[field]
            for bucket in range(index + 1, head + 1):  # empty unless the event is late
                slot = bucket % length
                snapshots[slot] = (snapshots[slot] + amount) & mask

    def _widen(self, field: int) -> array[int]:
        """Turn a counter's 32-bit snapshots into exact 64-bit ones (its total is still < 2**31)."""
        total, narrow = self.totals[field], self._snapshots[field]
        assert narrow is not None
        wide = array(_WIDE, (total - ((total - kept) & _NARROW_MASK) for kept in narrow))
        self._snapshots[field], self._masks[field] = wide, _WIDE_MASK
        return wide

    def start_of(self, buckets: int) -> float:
        """Unix seconds where the newest ``buckets`` buckets begin."""
        head = 0 if self.head is None else self.head
        return float((head - min(buckets, self.length) + 1) * self.width)

    def sums(self, buckets: int) -> list[int]:
        """Every counter summed over the newest ``buckets`` buckets (at most the ring's length)."""
        if self.head is None:
            return [0] * len(self.totals)
        slot = (self.head - min(buckets, self.length) + 1) % self.length
        return [
            total if snapshots is None else (total - snapshots[slot]) & mask
            for total, snapshots, mask in zip(
                self.totals, self._snapshots, self._masks, strict=True
            )
        ]


class CalendarSums:
    """Totals since the start of the current calendar period, reset when the next one begins."""

    __slots__ = ("end", "period_of", "start", "totals")

    def __init__(self, period_of: Callable[[float], tuple[float, float]], fields: int) -> None:
        self.period_of = period_of
        """``at`` → the ``(start, end)`` Unix seconds of the period holding it."""
        self.start = float("-inf")
        self.end = float("-inf")
        self.totals = [0] * fields

    def advance(self, now: float) -> None:
        """Start counting the period holding ``now`` if the current one is over."""
        if now >= self.end:
            self.start, self.end = self.period_of(now)
            self.totals = [0] * len(self.totals)

    def add(self, at: float, deltas: Deltas) -> None:
        """Count ``deltas`` if ``at`` falls in the current (or a later) period."""
        self.advance(at)
        if at >= self.start:
            for field, amount in deltas:
                self.totals[field] += amount


class WindowSums:
    """The fine ring, the coarse ring and the calendar totals of one objective's counters."""

    __slots__ = ("calendars", "coarse", "fine", "fine_from")

    def __init__(
        self,
        fields: int,
        *,
        resolution: int,
        fine_seconds: int,
        coarse_seconds: int,
        start: float,
        calendars: Sequence[Callable[[float], tuple[float, float]]] = (),
    ) -> None:
        self.fine = Ring(resolution, fine_seconds // resolution, fields)
        self.coarse = Ring(HOUR, -(-max(coarse_seconds, fine_seconds) // HOUR), fields)
        self.calendars = [CalendarSums(period_of, fields) for period_of in calendars]
        # A rebuild feeds days of history before ``start``; what is older than the fine
        # ring at ``start`` would only pass through it, so it goes to the coarse ring alone.
        self.fine_from = start - self.fine.length * resolution

    def accepts(self, at: float) -> bool:
        """Whether an event at ``at`` is still counted (not older than the coarse ring)."""
        return self.coarse.holds(int(at // HOUR))

    def add(self, at: float, deltas: Sequence[tuple[int, int]]) -> bool:
        """Count ``deltas`` at ``at`` everywhere it belongs; False when it is too old to count."""
        if not self.accepts(at):
            return False
        self.coarse.add(int(at // HOUR), deltas)
        if at >= self.fine_from:
            self.fine.add(int(at // self.fine.width), deltas)
        for calendar in self.calendars:
            calendar.add(at, deltas)
        return True

    def advance(self, now: float) -> None:
        """Move every view to ``now`` (never backwards)."""
        self.fine.advance(int(now // self.fine.width))
        self.coarse.advance(int(now // HOUR))
        for calendar in self.calendars:
            calendar.advance(now)

    def is_fine(self, seconds: int) -> bool:
        """Whether a rolling window of ``seconds`` is counted by the fine ring."""
        width = self.fine.width
        return seconds % width == 0 and seconds // width <= self.fine.length

    def rolling(self, seconds: int, now: float) -> tuple[float, list[int]]:
        """Where the last ``seconds`` before ``now`` begin as counted, and every counter's sum.

        A fine window begins ``seconds`` before ``now`` (counted to its bucket); a
        coarse one at the first hour boundary after ``now - seconds``.
        """
        if self.is_fine(seconds):
            return now - seconds, self.fine.sums(seconds // self.fine.width)
        buckets = max(seconds // HOUR, 1)
        return self.coarse.start_of(buckets), self.coarse.sums(buckets)
