"""``maintenance:``: planned windows in local time, repeated by an RFC 5545 rule, covering
services or monitors, each mistake reported at its key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from textwrap import dedent

import pytest

from onwatch.policy import Policy, PolicyError, parse_policy

# Entries given to load() and problems() start on line 10.
HEAD = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
monitors:
  - {name: checkout-page, type: http, service: checkout, url: "https://shop.example/checkout"}
pools:
  - {name: api-pool, targets: ["http://10.0.0.1/", "http://10.0.0.2/"]}
maintenance:
"""


def load(body: str) -> Policy:
    """The policy above with ``body`` as its ``maintenance:`` entries."""
    return parse_policy(HEAD + dedent(body))


def problems(body: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(body)
    return [str(issue) for issue in caught.value.issues]


def test_a_weekly_window_loads_with_every_key() -> None:
    (window,) = load(
        """\
        - name: weekly-db-upgrade
          reason: Database upgrades (shop is read-only)
          start: "2026-12-06 22:00"
          duration: 2h
          rrule: FREQ=WEEKLY;BYDAY=SU
          timezone: Europe/London
          services: [checkout]
          monitors: [api-pool, checkout-page]
        """
    ).maintenance
    assert window.name == "weekly-db-upgrade"
    assert window.reason == "Database upgrades (shop is read-only)"
    assert window.start == datetime(2026, 12, 6, 22)
    assert window.duration == timedelta(hours=2)
    assert window.rrule == "FREQ=WEEKLY;BYDAY=SU"
    assert window.zone("UTC") == "Europe/London"
    assert (window.services, window.monitors) == (["checkout"], ["api-pool", "checkout-page"])


def test_a_window_has_no_rule_and_the_settings_zone_by_default() -> None:
    (window,) = load(
        """\
        - {name: move, reason: Moving racks, start: 2026-12-06T22:00, duration: 4h, services: [checkout]}
        """
    ).maintenance
    assert (window.rrule, window.timezone, window.monitors) == (None, None, [])
    assert window.zone("Europe/Brussels") == "Europe/Brussels"


def test_a_start_with_an_offset_is_read_in_the_windows_zone() -> None:
    policy = load(
        """\
        - name: move
          reason: Moving racks
          start: 2026-12-06T21:00Z
          duration: 1h
          monitors: [api-pool]
        """
    )
    (window,) = policy.maintenance
    assert window.local_start("Europe/Brussels") == datetime(2026, 12, 6, 22)
    since = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    until = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    begin = datetime(2026, 12, 6, 21, tzinfo=UTC).timestamp()
    assert window.occurrences(policy.settings.timezone, since, until) == [(begin, begin + 3600)]


def test_a_weekly_window_occurs_at_the_same_local_time_each_week() -> None:
    policy = load(
        """\
        - name: weekly
          reason: Upgrades
          start: "2026-10-18 22:00"
          duration: 30m
          rrule: FREQ=WEEKLY;BYDAY=SU
          services: [checkout]
        """
    )
    since = datetime(2026, 10, 18, tzinfo=UTC).timestamp()
    until = datetime(2026, 10, 26, tzinfo=UTC).timestamp()
    begins = [
        datetime.fromtimestamp(begin, UTC).hour
        for begin, _ in policy.maintenance[0].occurrences(policy.settings.timezone, since, until)
    ]
    assert begins == [20, 21]  # 22:00 summer time, then 22:00 winter time


def test_a_window_must_say_why_when_and_what_it_covers() -> None:
    assert problems(
        """\
        - name: nothing
          reason: Upgrades
          start: "2026-12-06 22:00"
          duration: 2h
        - name: blank
          reason: "  "
          start: 6 December 22:00
          duration: 0s
          services: [checkout]
        - {name: missing}
        """
    ) == [
        "onwatch.yaml:10:3: maintenance[0]: covers nothing; give services, monitors or both "
        "(e.g. services: [checkout])",
        "onwatch.yaml:15:11: maintenance[1].reason: must say why, for the people who see the "
        "window (e.g. Database upgrade)",
        'onwatch.yaml:16:10: maintenance[1].start: "6 December 22:00" is not a date and time; '
        'write YYYY-MM-DD HH:MM in the window\'s time zone (e.g. "2026-12-06 22:00"), '
        'or add an offset ("2026-12-06T22:00+01:00")',
        'onwatch.yaml:17:13: maintenance[1].duration: "0s" must be longer than zero',
        'onwatch.yaml:19:3: maintenance[2].duration: missing required key "duration"',
        'onwatch.yaml:19:3: maintenance[2].reason: missing required key "reason"',
        'onwatch.yaml:19:3: maintenance[2].start: missing required key "start"',
    ]


def test_a_rule_is_checked_against_the_start() -> None:
    assert problems(
        """\
        - {name: a, reason: x, start: "2026-12-05 22:00", duration: 2h, rrule: FREQ=WEEKLY;BYDAY=SU, services: [checkout]}
        - {name: b, reason: x, start: "2026-12-06 22:00", duration: 2h, rrule: "DTSTART:20261206T220000", services: [checkout]}
        - {name: c, reason: x, start: "2026-12-06 22:00", duration: 2h, rrule: FREQ=WEEKLY;BYDAY=SUN, services: [checkout]}
        - {name: d, reason: x, start: "2026-12-06 22:00", duration: 2h, rrule: FREQ=MINUTELY, services: [checkout]}
        - {name: e, reason: x, start: "not yet", duration: 2h, rrule: FREQ=WEEKLY;BYDAY=SU, services: [checkout]}
        """
    ) == [
        "onwatch.yaml:10:72: maintenance[0].rrule: does not give the start (2026-12-05 22:00, "
        "a Saturday) as its first occurrence (2026-12-06 22:00, a Sunday); "
        "make start the first one",
        "onwatch.yaml:11:72: maintenance[1].rrule: holds DTSTART; leave it out, start gives it",
        "onwatch.yaml:12:72: maintenance[2].rrule: is not an RFC 5545 rule: invalid 'BYDAY': SUN",
        "onwatch.yaml:13:72: maintenance[3].rrule: repeats too often; maintenance can repeat "
        "at most hourly (FREQ=HOURLY)",
        'onwatch.yaml:14:31: maintenance[4].start: "not yet" is not a date and time; '
        'write YYYY-MM-DD HH:MM in the window\'s time zone (e.g. "2026-12-06 22:00"), '
        'or add an offset ("2026-12-06T22:00+01:00")',
    ]


def test_names_must_be_unique_and_name_services_and_monitors_that_exist() -> None:
    assert problems(
        """\
        - {name: upgrade, reason: x, start: "2026-12-06 22:00", duration: 1h, services: [checkot]}
        - {name: upgrade, reason: x, start: "2026-12-06 22:00", duration: 1h, monitors: [api-pol, checkout]}
        - {name: other, reason: x, start: "2026-12-06 22:00", duration: 1h, timezone: Mars/Olympus, services: [checkout]}
        """
    ) == [
        'onwatch.yaml:10:82: maintenance[0].services[0]: "checkot" is not a service '
        '(did you mean "checkout"?)',
        'onwatch.yaml:11:10: maintenance[1].name: "upgrade" is already used on line 10; '
        "names must be unique",
        'onwatch.yaml:11:82: maintenance[1].monitors[0]: "api-pol" is not a monitor or pool '
        '(did you mean "api-pool"?)',
        'onwatch.yaml:11:91: maintenance[1].monitors[1]: "checkout" is not a monitor or pool '
        '(did you mean "checkout-page"?)',
        'onwatch.yaml:12:79: maintenance[2].timezone: "Mars/Olympus" is not an IANA time zone '
        "(e.g. Europe/Brussels, UTC)",
    ]
