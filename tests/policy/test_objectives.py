"""``services[].objectives``: availability and latency objectives, leniency and alert tiers, with
every mistake reported at its key as ``file:line:col: key.path: message``."""

from __future__ import annotations

from datetime import time, timedelta
from textwrap import dedent, indent

import pytest

from onwatch.policy import Policy, PolicyError, parse_policy
from onwatch.policy.alert_tiers import AlertTier
from onwatch.policy.objectives import LenientHours, TimeSlicing
from onwatch.slo.model import DEFAULT_MIN_BAD_EVENTS, DEFAULT_TIERS, WindowSpec

# Objectives given to objectives() start on line 13, their keys in column 7.
HEAD = """\
apiVersion: onwatch/v1
monitors:
  - {name: checkout, type: http, service: checkout, url: "https://shop.example/checkout"}
  - {name: home, type: http, service: shop, url: "https://shop.example/"}
  - {name: stray, type: tcp, host: db.internal, port: 5432}
pools:
  - {name: api-pool, service: checkout, targets: ["http://10.0.0.1/", "http://10.0.0.2/"]}
services:
  - name: shop
  - name: checkout
    title: Checkout
    objectives:
"""


def policy_with(body: str) -> str:
    return HEAD + indent(dedent(body), " " * 6)


def load(body: str) -> Policy:
    """The policy above with ``body`` as the objectives of ``checkout``."""
    return parse_policy(policy_with(body))


def problems(body: str) -> list[str]:
    """The printed issues of the policy above with ``body`` as checkout's objectives."""
    with pytest.raises(PolicyError) as caught:
        load(body)
    return [str(issue) for issue in caught.value.issues]


def at(line: int, col: int, path: str, message: str) -> str:
    """An issue under ``services[1].objectives``."""
    return f"onwatch.yaml:{line}:{col}: services[1].objectives.{path}: {message}"


# --- what loads ------------------------------------------------------------------------


def test_an_objective_needs_only_a_target_and_gets_the_documented_defaults() -> None:
    objectives = load("availability: {target: 99.9%}\n").services[1].objectives
    (objective,) = objectives.availability
    assert objective.name == "availability"
    assert objective.target == 0.999
    assert objective.window == WindowSpec("rolling", 30 * 86400)
    assert objective.also_report == []
    assert objective.monitors is None
    assert objective.timezone is None
    assert objective.time_slices is None
    assert objective.lenient == []
    assert objective.alerts.min_bad_events == DEFAULT_MIN_BAD_EVENTS
    assert tuple(tier.as_tier() for tier in objective.alerts.tiers) == DEFAULT_TIERS
    assert objectives.latency == []
    assert (objectives.data_loss, objectives.restore_time) == (None, None)


def test_a_service_without_objectives_has_none() -> None:
    policy = parse_policy("apiVersion: onwatch/v1\nservices: [{name: shop}]\n")
    assert policy.services[0].objectives.all == []


def test_every_key_of_an_objective_is_read() -> None:
    objectives = (
        load(
            """\
            availability:
              target: 99.9%
              window: month
              also_report: [30d, quarter, 12h]
              monitors: [checkout, api-pool]
              timezone: Europe/Brussels
              time_slices: {length: 5m, bad_above: 5%}
              lenient:
                - {from: "00:00", to: "02:00", target: 99%}
                - {from: "22:00", to: "23:30", allowance: 10m}
              alerts:
                min_bad_events: 5
                tiers:
                  - {severity: page, long: 1h, short: 5m, burn_rate: 14.4}
                  - {severity: ticket, long: 1d, short: 2h, burn_rate: 1}
            latency:
              - name: page-load
                threshold: 3s
                target: 99%
              - name: first-byte
                threshold: 800ms
                phase: first_byte
                target: 95%
            data_loss: 15m
            restore_time: 1h
            """
        )
        .services[1]
        .objectives
    )
    (availability,) = objectives.availability
    assert availability.window == WindowSpec("month")
    assert availability.also_report == [
        WindowSpec("rolling", 30 * 86400),
        WindowSpec("quarter"),
        WindowSpec("rolling", 12 * 3600),
    ]
    assert availability.monitors == ["checkout", "api-pool"]
    assert availability.timezone == "Europe/Brussels"
    assert availability.time_slices == TimeSlicing.model_validate(
        {"length": "5m", "bad_above": "5%"}
    )
    assert availability.lenient == [
        LenientHours.model_validate({"from": "00:00", "to": "02:00", "target": "99%"}),
        LenientHours.model_validate({"from": "22:00", "to": "23:30", "allowance": "10m"}),
    ]
    assert availability.lenient[0].start == time(0, 0)
    assert availability.lenient[1].seconds == 90 * 60
    assert availability.alerts.min_bad_events == 5
    assert [tier.as_tier().name for tier in availability.alerts.tiers] == ["page-1h", "ticket-1d"]
    assert availability.alerts.tiers[1] == AlertTier(
        severity="ticket", long=timedelta(days=1), short=timedelta(hours=2), burn_rate=1.0
    )
    assert [(o.name, o.threshold, o.phase, o.target) for o in objectives.latency] == [
        ("page-load", timedelta(seconds=3), "total", 0.99),
        ("first-byte", timedelta(milliseconds=800), "first_byte", 0.95),
    ]
    assert objectives.data_loss == timedelta(minutes=15)
    assert objectives.restore_time == timedelta(hours=1)
    assert [o.name for o in objectives.all] == ["availability", "page-load", "first-byte"]


def test_a_lenient_range_may_cross_midnight_and_be_stricter_than_the_objective() -> None:
    (objective,) = (
        load(
            """\
            availability:
              target: 99%
              lenient:
                - {from: "23:00", to: "06:00", target: 99.9%}
                - {from: "06:00", to: "07:00", allowance: 1h}
            """
        )
        .services[1]
        .objectives.availability
    )
    assert objective.lenient[0].seconds == 7 * 3600
    assert objective.lenient[0].target == 0.999


def test_a_latency_objective_alone_is_named_latency() -> None:
    objectives = load("latency: {threshold: 2s, target: 99%}\n").services[1].objectives
    assert [(o.name, o.phase) for o in objectives.latency] == [("latency", "total")]


def test_an_objective_may_drop_every_alert_tier() -> None:
    objectives = load("availability: {target: 99%, alerts: {tiers: []}}\n").services[1].objectives
    assert objectives.availability[0].alerts.tiers == []


# --- targets and windows ---------------------------------------------------------------


def test_a_target_must_leave_a_budget_and_promise_something() -> None:
    assert problems(
        """\
        availability: {target: 100%}
        latency:
          - {name: a, threshold: 1s, target: 0%}
          - {name: b, threshold: 1s, target: 99.9}
          - {name: c, threshold: 1s}
        """
    ) == [
        at(
            13,
            30,
            "availability.target",
            "100% leaves no error budget; a target must be below 100% (e.g. 99.9%)",
        ),
        at(15, 44, "latency[0].target", "0% promises nothing; a target must be above 0%"),
        at(
            16,
            44,
            "latency[1].target",
            "99.9 needs a % sign; write it as a percentage such as 99.9%",
        ),
        at(17, 11, "latency[2].target", 'missing required key "target"'),
    ]


def test_a_window_is_a_duration_in_whole_hours_or_a_calendar_period() -> None:
    assert problems(
        """\
        availability:
          - {name: a, target: 99%, window: 30days}
          - {name: b, target: 99%, window: 90m}
          - {name: c, target: 99%, also_report: [monthly]}
        """
    ) == [
        at(
            14,
            42,
            "availability[0].window",
            '"30days" is not a window: write a duration such as 30d, or month or quarter',
        ),
        at(
            15,
            42,
            "availability[1].window",
            '"90m" is not a whole number of hours; a rolling window is counted in hours or days (e.g. 30d, 7d, 12h)',
        ),
        at(
            16,
            48,
            "availability[2].also_report[0]",
            '"monthly" is not a window: write a duration such as 30d, or month or quarter',
        ),
    ]


def test_a_rolling_window_shorter_than_a_tiers_long_window_is_refused() -> None:
    assert problems(
        """\
        availability:
          - {name: a, target: 99%, window: 2d}
          - name: b
            target: 99%
            window: 12h
            alerts:
              tiers: [{severity: page, long: 1d, short: 1h, burn_rate: 2}]
        """
    ) == [
        at(
            14,
            42,
            "availability[0].window",
            "the 2d window is shorter than the long window of tier ticket-3d (3d); a tier cannot look back further than the budget is counted; it is a default tier: give alerts.tiers to choose others",
        ),
        at(
            17,
            19,
            "availability[1].window",
            "the 12h window is shorter than the long window of tier page-1d (1d); a tier cannot look back further than the budget is counted",
        ),
    ]


def test_a_calendar_window_counts_at_its_shortest_against_the_tiers() -> None:
    assert problems(
        """\
        availability:
          target: 99%
          window: month
          alerts: {tiers: [{severity: ticket, long: 30d, short: 1d, burn_rate: 1}]}
        """
    ) == [
        at(
            15,
            17,
            "availability.window",
            "a month (28 days at the shortest) is shorter than the long window of tier ticket-30d (30d); a tier cannot look back further than the budget is counted",
        ),
    ]


# --- alert tiers -------------------------------------------------------------------------


def test_a_tier_needs_a_short_window_shorter_than_its_long_one_and_a_positive_rate() -> None:
    assert problems(
        """\
        availability:
          target: 99.9%
          alerts:
            min_bad_events: 0
            tiers:
              - {severity: page, long: 1h, short: 1h, burn_rate: 14.4}
              - {severity: page, long: 6h, short: 30m, burn_rate: 0}
              - {severity: ticket, long: 3d, short: 6h, burn_rate: -1}
              - {severity: urgent, long: 3d, short: 6h, burn_rate: 1}
        """
    ) == [
        at(16, 27, "availability.alerts.min_bad_events", "must be at least 1, got 0"),
        at(
            18,
            49,
            "availability.alerts.tiers[0].short",
            "the short window (1h) must be shorter than the long window (1h)",
        ),
        at(
            19,
            65,
            "availability.alerts.tiers[1].burn_rate",
            "0 is not a burn rate; it must be above 0 (1 spends the budget exactly over the window)",
        ),
        at(
            20,
            66,
            "availability.alerts.tiers[2].burn_rate",
            "-1 is not a burn rate; it must be above 0 (1 spends the budget exactly over the window)",
        ),
        at(
            21,
            26,
            "availability.alerts.tiers[3].severity",
            "\"urgent\" is not allowed; expected 'page' or 'ticket'",
        ),
    ]


def test_two_tiers_with_one_name_are_refused() -> None:
    assert problems(
        """\
        availability:
          target: 99.9%
          alerts:
            tiers:
              - {severity: page, long: 1h, short: 5m, burn_rate: 14.4}
              - {severity: page, long: 1h, short: 10m, burn_rate: 10}
        """
    ) == [
        at(
            17,
            13,
            "availability.alerts.tiers",
            "two tiers are both page-1h; tiers are named by severity and long window",
        ),
    ]


# --- time slices -------------------------------------------------------------------------


def test_a_slice_is_whole_minutes_dividing_an_hour_and_bad_above_is_below_100() -> None:
    assert problems(
        """\
        availability:
          - {name: a, target: 99%, time_slices: {length: 7m}}
          - {name: b, target: 99%, time_slices: {length: 30s}}
          - {name: c, target: 99%, time_slices: {bad_above: 100%}}
        """
    ) == [
        at(
            14,
            56,
            "availability[0].time_slices.length",
            "7m is not a slice length; use one of 1m, 5m, 10m, 15m, 30m, 1h (slices are counted from minute rollups, so a slice is whole minutes dividing an hour)",
        ),
        at(
            15,
            56,
            "availability[1].time_slices.length",
            "30s is not a slice length; use one of 1m, 5m, 10m, 15m, 30m, 1h (slices are counted from minute rollups, so a slice is whole minutes dividing an hour)",
        ),
        at(
            16,
            59,
            "availability[2].time_slices.bad_above",
            "100% would never mark a slice bad; bad_above must be below 100%",
        ),
    ]


def test_time_slices_default_to_one_minute_bad_on_any_failure() -> None:
    objectives = load("availability: {target: 99%, time_slices: {}}\n").services[1].objectives
    slicing = objectives.availability[0].time_slices
    assert slicing is not None
    assert (slicing.length, slicing.bad_above) == (timedelta(minutes=1), 0.0)


# --- lenient ranges ------------------------------------------------------------------------


def test_a_lenient_range_must_not_be_empty_and_needs_exactly_one_of_target_and_allowance() -> None:
    assert problems(
        """\
        availability:
          target: 99.9%
          lenient:
            - {from: "02:00", to: "02:00", target: 99%}
            - {from: "03:00", to: "04:00"}
            - {from: "04:00", to: "05:00", target: 99%, allowance: 5m}
            - {from: "05:00", to: "06:00", target: 100%}
            - {from: "06:00", to: "07:00", allowance: 2h}
            - {from: "7:00", to: "24:00", allowance: 1m}
        """
    ) == [
        at(
            16,
            33,
            "availability.lenient[0].to",
            "the range 02:00 to 02:00 is empty; from and to must differ (a range may cross midnight, e.g. 23:00 to 06:00)",
        ),
        at(
            17,
            13,
            "availability.lenient[1]",
            "give a softer target (e.g. target: 99%) or an allowance of bad time (e.g. allowance: 10m)",
        ),
        at(
            18, 66, "availability.lenient[2].allowance", "give either target or allowance, not both"
        ),
        at(
            19,
            50,
            "availability.lenient[3].target",
            "100% leaves no error budget; a target must be below 100% (e.g. 99.9%)",
        ),
        at(
            20,
            53,
            "availability.lenient[4].allowance",
            "allowance 2h is longer than the range itself (1h)",
        ),
        at(
            21,
            20,
            "availability.lenient[5].from",
            '"7:00" is not a clock time (HH:MM, 24-hour, e.g. 00:00 or 23:30)',
        ),
        at(
            21,
            32,
            "availability.lenient[5].to",
            '"24:00" is not a clock time (HH:MM, 24-hour, e.g. 00:00 or 23:30)',
        ),
    ]


def test_overlapping_lenient_ranges_are_reported_at_the_second_naming_the_line_of_the_first() -> (
    None
):
    assert problems(
        """\
        availability:
          target: 99.9%
          lenient:
            - {from: "00:00", to: "02:00", target: 99%}
            - {from: "23:00", to: "06:00", allowance: 10m}
            - {from: "12:00", to: "13:00", target: 99%}
            - {from: "12:59", to: "12:30", target: 99%}
        """
    ) == [
        at(
            17,
            13,
            "availability.lenient[1]",
            "23:00 to 06:00 overlaps 00:00 to 02:00 on line 16; lenient ranges of one objective must not overlap",
        ),
        at(
            19,
            13,
            "availability.lenient[3]",
            "12:59 to 12:30 overlaps 00:00 to 02:00 on line 16; lenient ranges of one objective must not overlap",
        ),
    ]


def test_ranges_that_only_touch_or_belong_to_different_objectives_do_not_overlap() -> None:
    load(
        """\
        availability:
          target: 99.9%
          lenient:
            - {from: "22:00", to: "00:00", target: 99%}
            - {from: "00:00", to: "02:00", allowance: 10m}
            - {from: "02:00", to: "22:00", target: 99.5%}
        latency:
          threshold: 1s
          target: 99%
          lenient:
            - {from: "00:00", to: "02:00", target: 98%}
        """
    )


# --- names, monitors and time zones --------------------------------------------------------


def test_objective_names_are_unique_within_a_service_across_both_kinds() -> None:
    assert problems(
        """\
        availability:
          - {target: 99.9%}
          - {target: 99%}
        latency:
          - {name: availability, threshold: 1s, target: 99%}
          - {name: page-load, threshold: 1s, target: 99%}
          - {name: page-load, threshold: 2s, target: 98%}
          - {name: Page Load, threshold: 2s, target: 98%}
        """
    ) == [
        at(
            15,
            11,
            "availability[1]",
            '"availability" is already the name of the objective on line 14; objective names must be unique within a service ("availability" is the default name: give each one a name)',
        ),
        at(
            17,
            18,
            "latency[0].name",
            '"availability" is already the name of the objective on line 14; objective names must be unique within a service',
        ),
        at(
            19,
            18,
            "latency[2].name",
            '"page-load" is already the name of the objective on line 18; objective names must be unique within a service',
        ),
        at(
            20,
            18,
            "latency[3].name",
            '"Page Load" is not a valid name: use lowercase letters, digits, - and _ (at most 63, starting with a letter or digit)',
        ),
    ]


def test_the_same_objective_name_in_two_services_is_fine() -> None:
    parse_policy(
        "apiVersion: onwatch/v1\n"
        "services:\n"
        "  - {name: shop, objectives: {availability: {target: 99%}}}\n"
        "  - {name: api, objectives: {availability: {target: 99%}}}\n"
    )


def test_monitors_must_be_monitors_or_pools_of_the_same_service() -> None:
    assert problems(
        """\
        availability:
          target: 99.9%
          monitors: [checkout, api-pool, chekout, home, stray, nowhere]
        """
    ) == [
        at(
            15,
            40,
            "availability.monitors[2]",
            '"chekout" is not a monitor or pool (did you mean "checkout"?)',
        ),
        at(
            15,
            49,
            "availability.monitors[3]",
            '"home" watches service "shop", not "checkout"; an objective counts only its own service\'s monitors',
        ),
        at(
            15,
            55,
            "availability.monitors[4]",
            '"stray" belongs to no service; give it service: checkout to count it here',
        ),
        at(15, 62, "availability.monitors[5]", '"nowhere" is not a monitor or pool'),
    ]


def test_an_empty_monitors_list_and_an_unknown_time_zone_are_refused() -> None:
    assert problems(
        """\
        availability: {target: 99%, monitors: [], timezone: Europe/Brusels}
        latency: {threshold: 1s, target: 99%, phase: ttfb}
        """
    ) == [
        at(13, 45, "availability.monitors", "needs at least 1 entry, got 0"),
        at(
            13,
            59,
            "availability.timezone",
            '"Europe/Brusels" is not an IANA time zone (did you mean "Europe/Brussels"?)',
        ),
        at(14, 52, "latency.phase", "\"ttfb\" is not allowed; expected 'total' or 'first_byte'"),
    ]


def test_recovery_numbers_are_durations_and_unknown_keys_get_a_suggestion() -> None:
    assert problems(
        """\
        data_loss: 15
        restore_time: soon
        availabilty: {target: 99%}
        """
    ) == [
        at(13, 18, "data_loss", "15 has no unit; write a duration such as 15s (e.g. 30s, 5m, 1h)"),
        at(14, 21, "restore_time", '"soon" is not a duration (e.g. 30s, 5m, 1h)'),
        at(15, 7, "availabilty", 'unknown key "availabilty" (did you mean "availability"?)'),
    ]
