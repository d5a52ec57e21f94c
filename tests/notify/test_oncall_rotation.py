"""Who is on call: weekly and daily rotations in local time across DST, and overrides on top."""

from __future__ import annotations

from datetime import UTC, datetime

from onwatch.notify.oncall import Override, next_change, next_handover, on_call, shift_start
from onwatch.policy import parse_policy
from onwatch.policy.escalation import Rotation

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
contacts:
  - {name: alice, channels: {sms: "json://sms.example/alice"}}
  - {name: bob, channels: {sms: "json://sms.example/bob"}}
  - {name: carol, channels: {sms: "json://sms.example/carol"}}
oncall:
  - name: weekly
    members: [alice, bob, carol]
    handover: {day: monday, at: "09:00", every: 1w}
    start: 2026-03-16
  - name: daily
    members: [alice, bob]
    handover: {at: "18:30", every: 1d}
    timezone: America/New_York
    start: 2026-11-01
"""


def rotation(name: str) -> Rotation:
    found = parse_policy(POLICY).rotation(name)
    assert found is not None
    return found


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def test_the_first_member_starts_on_the_start_day_at_the_handover_time() -> None:
    weekly = rotation("weekly")
    assert on_call(weekly, utc(2026, 3, 16, 8, 0), []) == "alice"  # 09:00 CET
    assert on_call(weekly, utc(2026, 3, 16, 7, 59, 59), []) == "carol"  # the rotation runs back
    assert on_call(weekly, utc(2026, 3, 22, 12), []) == "alice"
    assert on_call(weekly, utc(2026, 4, 2, 7), []) == "carol"  # the third week
    assert on_call(weekly, utc(2026, 4, 6, 7), []) == "alice"  # and round again


def test_a_monday_nine_oclock_handover_stays_at_nine_across_spring_forward() -> None:
    weekly = rotation("weekly")
    # Monday 23 March 09:00 CET is 08:00 UTC; after 29 March, 09:00 CEST is 07:00 UTC.
    assert next_handover(weekly, utc(2026, 3, 20, 12)) == (utc(2026, 3, 23, 8), "bob")
    assert next_handover(weekly, utc(2026, 3, 28, 12)) == (utc(2026, 3, 30, 7), "carol")
    assert on_call(weekly, utc(2026, 3, 30, 6, 59, 59), []) == "bob"
    assert on_call(weekly, utc(2026, 3, 30, 7, 0), []) == "carol"


def test_a_monday_nine_oclock_handover_stays_at_nine_across_fall_back() -> None:
    weekly = rotation("weekly")
    # Monday 19 October 09:00 CEST is 07:00 UTC; after 25 October, 09:00 CET is 08:00 UTC.
    assert shift_start(weekly, 31) == utc(2026, 10, 19, 7)
    assert next_handover(weekly, utc(2026, 10, 24, 12)) == (utc(2026, 10, 26, 8), "carol")
    assert on_call(weekly, utc(2026, 10, 26, 7, 30), []) == "bob"  # 08:30 local: not yet
    assert on_call(weekly, utc(2026, 10, 26, 8, 0), []) == "carol"


def test_a_daily_rotation_hands_over_every_evening_in_its_own_zone() -> None:
    daily = rotation("daily")
    assert daily.timezone == "America/New_York"
    # 1 November 2026 is the day New York falls back: 18:30 EST is 23:30 UTC.
    assert next_handover(daily, utc(2026, 11, 1, 12)) == (utc(2026, 11, 1, 23, 30), "alice")
    assert on_call(daily, utc(2026, 11, 2, 0), []) == "alice"
    assert next_handover(daily, utc(2026, 11, 2, 0)) == (utc(2026, 11, 2, 23, 30), "bob")


def test_an_override_wins_while_it_lasts() -> None:
    weekly = rotation("weekly")
    cover = Override("weekly", "carol", utc(2026, 3, 17, 18), utc(2026, 3, 18, 9))
    assert on_call(weekly, utc(2026, 3, 17, 17, 59), [cover]) == "alice"
    assert on_call(weekly, utc(2026, 3, 17, 18), [cover]) == "carol"
    assert on_call(weekly, utc(2026, 3, 18, 9), [cover]) == "alice"  # the end is not covered


def test_the_override_created_last_wins_and_other_rotations_overrides_do_not_count() -> None:
    weekly = rotation("weekly")
    at = utc(2026, 3, 17, 20)
    overrides = [
        Override("weekly", "bob", utc(2026, 3, 17), utc(2026, 3, 19), created_at=200.0),
        Override("weekly", "carol", utc(2026, 3, 17), utc(2026, 3, 19), created_at=100.0),
        Override("daily", "carol", utc(2026, 3, 17), utc(2026, 3, 19), created_at=300.0),
    ]
    assert on_call(weekly, at, overrides) == "bob"
    assert on_call(weekly, at, overrides[1:]) == "carol"
    assert on_call(weekly, at, overrides[2:]) == "alice"


def test_the_next_change_counts_overrides_and_skips_handovers_to_the_same_person() -> None:
    weekly = rotation("weekly")
    at = utc(2026, 3, 17, 12)  # alice's week
    assert next_change(weekly, at, []) == (utc(2026, 3, 23, 8), "bob")
    cover = Override("weekly", "carol", utc(2026, 3, 18, 8), utc(2026, 3, 19, 8))
    assert next_change(weekly, at, [cover]) == (utc(2026, 3, 18, 8), "carol")
    assert next_change(weekly, utc(2026, 3, 18, 9), [cover]) == (utc(2026, 3, 19, 8), "alice")
    # bob covers past his own handover: the next change is when his own week ends.
    long = Override("weekly", "bob", utc(2026, 3, 20, 8), utc(2026, 3, 24, 8))
    assert next_change(weekly, utc(2026, 3, 21, 8), [long]) == (utc(2026, 3, 30, 7), "carol")
