"""Checking a requested runtime window: every refusal names the field at fault and says why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onwatch.policy import Policy, parse_policy
from onwatch.store.maintenance_request import InvalidWindowError, check_window

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
monitors:
  - {name: checkout-page, type: http, url: https://shop.example/checkout, service: checkout}
pools:
  - name: api-pool
    service: checkout
    targets: [http://10.0.0.1/health, http://10.0.0.2/health]
"""
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Brussels")).timestamp()


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(POLICY)


def refusal(policy: Policy, **asked: object) -> InvalidWindowError:
    fields: dict[str, object] = {
        "reason": "Upgrade",
        "services": ["checkout"],
        "monitors": [],
        "duration": "1h",
    }
    fields.update(asked)
    with pytest.raises(InvalidWindowError) as caught:
        check_window(policy, now=NOW, **fields)  # type: ignore[arg-type]
    return caught.value


def test_a_window_is_read_in_the_policy_time_zone_with_an_end_or_a_duration(
    policy: Policy,
) -> None:
    by_end = check_window(
        policy,
        reason="  Upgrade ",
        services=["checkout"],
        monitors=["api-pool#2", "checkout-page", "checkout-page"],
        now=NOW,
        start="2026-12-06 22:00",
        end="2026-12-07T00:30+01:00",
        rrule="FREQ=WEEKLY;BYDAY=SU",
    )
    by_default = check_window(
        policy, reason="Now", services=[], monitors=["api-pool"], now=NOW, duration=90
    )

    assert by_end.reason == "Upgrade"
    assert by_end.monitors == ("api-pool#2", "checkout-page")
    assert (by_end.start_local, by_end.timezone) == (datetime(2026, 12, 6, 22), "Europe/Brussels")
    assert by_end.duration == timedelta(hours=2, minutes=30)
    assert by_end.rrule == "FREQ=WEEKLY;BYDAY=SU"
    assert by_default.start_local == datetime(2026, 12, 1, 9)
    assert by_default.duration == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("asked", "field", "words"),
    [
        (
            {"services": ["chekout"]},
            "services",
            'services: "chekout" is not a service (did you mean "checkout"?)',
        ),
        (
            {"services": [], "monitors": ["api-pol"]},
            "monitors",
            '"api-pol" is not a monitor or pool (did you mean "api-pool"?)',
        ),
        ({"services": []}, "services", "covers nothing"),
        ({"reason": " "}, "reason", "reason: say why"),
        ({"reason": None}, "reason", "reason: say why"),
        (
            {"start": "2026-12-06 22:00", "end": "2026-12-06 21:00", "duration": None},
            "end",
            "end: 2026-12-06 21:00 is not after start (2026-12-06 22:00)",
        ),
        ({"end": "2026-12-06 23:00"}, "end", "give end or duration, not both"),
        ({"duration": None}, "duration", "give duration (e.g. 2h) or end"),
        ({"duration": "soon"}, "duration", 'duration: "soon" is not a duration'),
        ({"duration": -5}, "duration", "must be above 0"),
        ({"start": "tomorrow"}, "start", 'start: "tomorrow" is not a date and time'),
        (
            {"start": "2026-12-06 22:00", "rrule": "FREQ=WEEKLY;BYDAY=MO"},
            "rrule",
            "does not give the start",
        ),
        ({"rrule": "FREQ=MINUTELY"}, "rrule", "repeats too often"),
        ({"timezone": "Europe/Brusels"}, "timezone", 'did you mean "Europe/Brussels"?'),
        ({"start": "2026-11-30 09:00"}, "start", "the window is over before it is added"),
    ],
)
def test_a_bad_request_is_refused_naming_its_field(
    policy: Policy, asked: dict[str, object], field: str, words: str
) -> None:
    error = refusal(policy, **asked)

    assert error.field == field
    assert words in str(error)
