"""Window sums: the last w seconds in O(1), late events, wrap-around, and what is too old to count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from onwatch.slo.windows import HOUR, Ring, WindowSums

EVENTS, BAD = 0, 1


def sums_by_hand(events: list[tuple[int, int]], newest: int, buckets: int, length: int) -> int:
    """What a ring should answer: the amounts of the newest ``buckets`` buckets it still holds."""
    oldest = newest - min(buckets, length) + 1
    return sum(amount for bucket, amount in events if oldest <= bucket <= newest)


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(-12, 3), st.integers(1, 5)),
        min_size=1,
        max_size=80,
    ),
    st.integers(1, 12),
)
def test_a_ring_sums_the_newest_buckets_as_a_plain_list_would(
    steps: list[tuple[int, int, int]], buckets: int
) -> None:
    """Time moves forward by ``gap`` buckets (sometimes past the whole ring); each event may be
    late by up to 12 buckets; only events still inside the ring count."""
    length = 8
    ring = Ring(width=60, length=length, fields=2)
    newest, counted = 0, []
    for gap, lateness, amount in steps:
        newest += gap
        ring.advance(newest)
        bucket = newest + min(lateness, 0)
        ring.add(bucket, [(BAD, amount)])
        if bucket > newest - length:
            counted.append((bucket, amount))
        assert ring.sums(buckets)[BAD] == sums_by_hand(counted, newest, buckets, length)
        assert ring.sums(buckets)[EVENTS] == 0  # a counter that never moved


def test_moving_past_the_whole_ring_forgets_everything_in_it() -> None:
    ring = Ring(width=1, length=10, fields=1)
    ring.add(100, [(EVENTS, 5)])
    ring.advance(105)
    assert ring.sums(10) == [5]
    ring.advance(110)  # bucket 100 is now eleven buckets old
    assert ring.sums(10) == [0]
    ring.add(125, [(EVENTS, 1)])
    assert ring.sums(10) == [1]
    assert ring.sums(3) == [1]


def test_a_counter_costs_memory_only_once_it_moves() -> None:
    ring = Ring(width=60, length=360, fields=6)
    ring.add(0, [(EVENTS, 1)])
    assert [snapshots is not None for snapshots in ring._snapshots] == [True] + [False] * 5


def sums(start: float, calendar: tuple[float, float] | None = None) -> WindowSums:
    """Counters of (events, bad) with a fine ring of 1-second buckets over 6 h and 30 days of hours."""
    periods = [lambda _: calendar] if calendar else []
    return WindowSums(
        2,
        resolution=1,
        fine_seconds=6 * HOUR,
        coarse_seconds=30 * 86400,
        start=start,
        calendars=periods,  # type: ignore[list-item]
    )


def test_the_last_w_seconds_hold_exactly_the_events_of_those_seconds() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start)
    for second in range(7200):
        windows.add(start + second, [(EVENTS, 1)])
    now = start + 7199
    since, counted = windows.rolling(300, now)
    assert (since, counted[EVENTS]) == (now - 300, 300)
    assert windows.rolling(3600, now)[1][EVENTS] == 3600


def test_a_window_longer_than_the_fine_ring_begins_on_the_hour() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start)
    for minute in range(0, 30 * 60, 1):
        windows.add(start + minute * 60, [(EVENTS, 1)])
    now = start + 29 * HOUR + 59 * 60 + 30  # 29 h 59 min 30 s after the first event
    since, counted = windows.rolling(24 * HOUR, now)
    assert since == start + 6 * HOUR  # the first hour boundary after now - 24 h
    assert counted[EVENTS] == 24 * 60  # 23 h 59 min 30 s of events: one a minute


def test_a_late_event_still_counts_in_the_fine_ring() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start)
    windows.add(start + 600, [(EVENTS, 1)])
    windows.add(start + 300, [(BAD, 1)])  # five minutes late
    assert windows.rolling(360, start + 600)[1] == [1, 1]
    assert windows.rolling(200, start + 600)[1] == [1, 0]


def test_an_event_older_than_the_fine_ring_counts_in_the_hours_and_the_calendar() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start, calendar=(start - 86400, start + 86400))
    windows.add(start + 8 * HOUR, [(EVENTS, 1)])
    assert windows.accepts(start + HOUR)
    assert windows.add(start + HOUR, [(BAD, 1)])  # seven hours late
    now = start + 8 * HOUR
    assert windows.rolling(6 * HOUR, now)[1] == [1, 0]
    assert windows.rolling(24 * HOUR, now)[1] == [1, 1]
    assert windows.calendars[0].totals == [1, 1]


def test_an_event_older_than_the_longest_window_counts_for_nothing() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start, calendar=(start - 90 * 86400, start + 86400))
    windows.add(start, [(EVENTS, 1)])
    too_old = start - 31 * 86400
    assert not windows.accepts(too_old)
    assert not windows.add(too_old, [(BAD, 1)])
    assert windows.rolling(30 * 86400, start)[1] == [1, 0]
    assert windows.calendars[0].totals == [1, 0]


def test_a_rebuild_of_old_history_skips_the_fine_ring_and_keeps_the_hours() -> None:
    start = 1_000_000 * HOUR
    windows = sums(start)
    for hour in range(48, 6, -1):
        windows.add(start - hour * HOUR, [(EVENTS, 3600)])
    assert windows.fine.head is None  # none of it was recent enough for the fine ring
    windows.advance(start)
    assert windows.rolling(24 * HOUR, start)[1][EVENTS] == 17 * 3600  # 23 to 7 hours ago


def test_a_calendar_total_starts_again_with_the_next_period() -> None:
    periods = {0: (0.0, 100.0), 1: (100.0, 200.0)}
    windows = WindowSums(
        1,
        resolution=1,
        fine_seconds=60,
        coarse_seconds=HOUR,
        start=0,
        calendars=[lambda at: periods[int(at // 100)]],
    )
    windows.add(10, [(EVENTS, 4)])
    windows.add(99, [(EVENTS, 1)])
    assert windows.calendars[0].totals == [5]
    windows.advance(100)
    assert windows.calendars[0].totals == [0]
    windows.add(99, [(EVENTS, 1)])  # late, for the period that is over: not this one's
    assert windows.calendars[0].totals == [0]
    assert windows.rolling(60, 100)[1] == [2]


def test_a_counter_past_two_billion_widens_and_its_sums_stay_exact() -> None:
    ring = Ring(width=1, length=4, fields=1)
    big = 1 << 30
    for bucket in range(6):
        ring.add(bucket, [(EVENTS, big)])
    ring.add(3, [(EVENTS, 7)])  # late, after the widening
    assert ring.totals == [6 * big + 7]
    assert ring.sums(4) == [4 * big + 7]
    assert ring.sums(2) == [2 * big]
    assert ring._snapshots[EVENTS] is not None
    assert ring._snapshots[EVENTS].typecode == "q"


def test_below_two_billion_a_counter_keeps_4_bytes_a_bucket() -> None:
    ring = Ring(width=1, length=4, fields=1)
    ring.add(0, [(EVENTS, (1 << 31) - 1)])
    ring.add(1, [(EVENTS, 0)])
    assert ring._snapshots[EVENTS] is not None
    assert ring._snapshots[EVENTS].itemsize == 4
    assert ring.sums(1) == [0]
    assert ring.sums(2) == [(1 << 31) - 1]
