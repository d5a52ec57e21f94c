"""Judging a check against the agreed "too slow" thresholds, phase by phase."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onwatch.policy.monitors import SlowThresholds
from onwatch.probes.slow import format_ms, judge_slow


def thresholds(**fields: str) -> SlowThresholds:
    return SlowThresholds.model_validate(fields)


def test_a_phase_over_its_threshold_is_named_with_how_much_it_went_over() -> None:
    detail = judge_slow({"first_byte": 1420.0}, thresholds(first_byte="1s"))

    assert detail == "slow: first byte took 1.42 s, over the 1 s agreed (+0.42 s)"


def test_a_short_phase_is_told_in_milliseconds() -> None:
    detail = judge_slow({"dns": 420.0}, thresholds(dns="300ms"))

    assert detail == "slow: DNS took 420 ms, over the 300 ms agreed (+120 ms)"


def test_every_phase_over_its_threshold_is_listed_in_request_order_with_total_last() -> None:
    phases = {"total": 2100.0, "tls": 900.0, "connect": 10.0, "transfer": 1500.0}
    limits = thresholds(total="2s", tls="500ms", connect="100ms", transfer="1s")

    detail = judge_slow(phases, limits)

    assert detail == (
        "slow: TLS handshake took 900 ms, over the 500 ms agreed (+400 ms);"
        " transfer took 1.5 s, over the 1 s agreed (+0.5 s);"
        " total took 2.1 s, over the 2 s agreed (+0.1 s)"
    )


def test_a_check_within_every_threshold_is_not_slow() -> None:
    phases = {"dns": 5.0, "connect": 1.0, "first_byte": 80.0, "total": 120.0}

    assert judge_slow(phases, thresholds(dns="10ms", first_byte="100ms", total="1s")) is None


def test_a_phase_exactly_at_its_threshold_is_within_it() -> None:
    assert judge_slow({"total": 1000.0}, thresholds(total="1s")) is None


def test_a_phase_that_did_not_happen_is_not_judged() -> None:
    assert judge_slow({"tls": None, "dns": None}, thresholds(tls="1ms", dns="1ms")) is None


def test_a_phase_without_a_threshold_is_not_judged() -> None:
    assert judge_slow({"first_byte": 99_999.0}, thresholds(total="1s")) is None


def test_no_thresholds_means_never_slow() -> None:
    assert judge_slow({"total": 1e9, "dns": 1e9}, SlowThresholds()) is None


def test_phases_the_thresholds_do_not_know_are_ignored() -> None:
    assert judge_slow({"queue": 1e9, "total": 5.0}, thresholds(total="1s")) is None


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0.42, "0.4 ms"),
        (5.0, "5 ms"),
        (250.0, "250 ms"),
        (1000.0, "1 s"),
        (1420.0, "1.42 s"),
        (61_500.0, "61.5 s"),
    ],
)
def test_durations_read_naturally(ms: float, text: str) -> None:
    assert format_ms(ms) == text


@given(
    took=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    limit_ms=st.integers(min_value=1, max_value=10_000_000),
)
def test_a_phase_is_slow_exactly_when_it_took_longer_than_agreed(
    took: float, limit_ms: int
) -> None:
    limits = SlowThresholds(connect=timedelta(milliseconds=limit_ms))

    detail = judge_slow({"connect": took}, limits)

    assert (detail is not None) == (took > limit_ms)
    if detail is not None:
        assert detail.startswith("slow: connect took ")
