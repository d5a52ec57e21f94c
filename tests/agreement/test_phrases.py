"""Objectives read as the sentences the company agreed to."""

from __future__ import annotations

from datetime import time

import pytest

from onwatch.agreement.phrases import out_of, promise, recovery_promise, spoken_duration
from onwatch.slo.model import LenientRange, ObjectiveSpec, WindowSpec

THIRTY_DAYS = WindowSpec("rolling", 30 * 86400)


def availability(**changes: object) -> ObjectiveSpec:
    fields: dict[str, object] = {
        "service": "checkout",
        "name": "availability",
        "kind": "availability",
        "target": 0.999,
        "window": THIRTY_DAYS,
        "timezone": "Europe/Brussels",
        "title": "Checkout",
    }
    fields.update(changes)
    return ObjectiveSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.25, "250 milliseconds"),
        (1, "1 second"),
        (26, "26 seconds"),
        (2592, "43 minutes"),
        (600, "10 minutes"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes"),
        (129_600, "1 day 12 hours"),
    ],
)
def test_durations_are_spoken_in_at_most_two_units(seconds: float, words: str) -> None:
    assert spoken_duration(seconds) == words


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (0.99, "99 of 100"),
        (0.95, "95 of 100"),
        (0.999, "999 of 1,000"),
        (0.9995, "9,995 of 10,000"),
    ],
)
def test_targets_read_as_visits_out_of_a_round_number(target: float, words: str) -> None:
    assert out_of(target) == words


def test_an_availability_objective_states_the_downtime_it_allows() -> None:
    assert promise(availability()) == (
        "Checkout is available 99.9% of the time: at most 43 minutes of downtime per 30 days."
    )


def test_a_calendar_month_is_named_as_such() -> None:
    assert promise(availability(window=WindowSpec("month"))).endswith(
        "at most 43 minutes of downtime per calendar month."
    )


def test_night_time_leniency_is_spelt_out_with_the_time_zone() -> None:
    spec = availability(
        lenient=(LenientRange(time(0, 0), time(2, 0), allowance_seconds=600),),
    )
    assert promise(spec) == (
        "Checkout is available 99.9% of the time: at most 43 minutes of downtime per 30 days; "
        "00:00 to 02:00 Brussels time is lenient: up to 10 minutes a night do not count."
    )
    softer = availability(lenient=(LenientRange(time(23, 0), time(6, 0), target=0.99),))
    assert "23:00 to 06:00 Brussels time is lenient: 99% is enough there." in promise(softer)


def test_a_latency_objective_counts_visits_under_the_threshold() -> None:
    spec = availability(name="page-load", kind="latency", target=0.99, threshold_ms=3000)
    assert promise(spec) == "Checkout loads in under 3 seconds for 99 of 100 visits (per 30 days)."
    first_byte = availability(
        name="ttfb", kind="latency", target=0.95, threshold_ms=800, phase="first_byte"
    )
    assert promise(first_byte) == (
        "Checkout starts answering in under 800 milliseconds for 95 of 100 checks (per 30 days)."
    )


def test_data_loss_and_restore_time_make_one_sentence() -> None:
    assert recovery_promise("Checkout", 900, 3600) == (
        "We accept losing at most 15 minutes of Checkout data and can restore Checkout within 1 hour."
    )
    assert recovery_promise("Checkout", None, 3600) == "We can restore Checkout within 1 hour."
    assert recovery_promise("Checkout", 900, None) == (
        "We accept losing at most 15 minutes of Checkout data."
    )
    assert recovery_promise("Checkout", None, None) is None
