"""Alert texts name the page, the time it took, what was agreed and what is left: exact words."""

from __future__ import annotations

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.slo.messages import alert_message, seconds_words
from onwatch.slo.model import (
    DEFAULT_TIERS,
    Evaluation,
    ObjectiveSpec,
    Standing,
    TierState,
    WindowSpec,
)

AT = 1_790_000_000.0
MONTH = WindowSpec("month")
THIRTY_DAYS = WindowSpec("rolling", 30 * 86_400)
URLS: dict[str, str | None] = {
    "checkout-page": "https://shop.example/checkout",
    "checkout-db": None,
}


def spec(kind: str, window: WindowSpec, **fields: object) -> ObjectiveSpec:
    return ObjectiveSpec(
        service="checkout",
        name=kind,
        kind=kind,  # type: ignore[arg-type]
        window=window,
        title="Checkout",
        monitors=("checkout-page", "checkout-db"),
        **fields,  # type: ignore[arg-type]
    )


def standing(
    window: WindowSpec, remaining: float, remaining_seconds: float, bad: int = 40
) -> Standing:
    return Standing(
        window=window,
        since=AT - 86_400,
        until=AT,
        events=10_000,
        bad=bad,
        sli=1 - bad / 10_000,
        budget_used=1 - remaining,
        budget_remaining=remaining,
        allowed_bad_seconds=2592.0,
        remaining_bad_seconds=remaining_seconds,
        excluded_seconds=0.0,
        lenient_seconds=0.0,
        excused_bad=0,
        budget_events=100.0,
    )


def evaluation(objective: ObjectiveSpec, state: Standing, burn: float | None) -> Evaluation:
    tiers = tuple(
        TierState(
            tier,
            long_burn=burn if index == 0 else 1.0,
            short_burn=burn if index == 0 else 1.0,
            long_bad=12,
            condition=burn is not None and index == 0,
            firing=burn is not None and index == 0,
        )
        for index, tier in enumerate(DEFAULT_TIERS)
    )
    return Evaluation(objective, AT, state, (), tiers)


def ok(at: float, monitor: str = "checkout-page") -> CheckResult:
    return CheckResult(monitor, at, True, total_ms=180.0)


def refused(at: float) -> CheckResult:
    return CheckResult("checkout-page", at, False, failure=FailureClass.REFUSED)


def test_a_slow_page_is_named_with_its_url_its_phases_the_promise_and_the_budget() -> None:
    latency = spec("latency", MONTH, target=0.99, threshold_ms=3000.0)
    slow = CheckResult(
        "checkout-page",
        AT - 30,
        False,
        failure=FailureClass.SLOW,
        total_ms=80_200.0,
        dns_ms=10.0,
        connect_ms=20.0,
        tls_ms=50.0,
        first_byte_ms=80_000.0,
        transfer_ms=120.0,
    )
    recent = [ok(AT - 120), slow, ok(AT - 10, "checkout-db")]

    text = alert_message(evaluation(latency, standing(MONTH, 0.41, 800.0), 14.4), recent, URLS)

    assert text == (
        "Checkout (https://shop.example/checkout) took 80.2 s to load (DNS 0.01 s, "
        "connect 0.02 s, TLS 0.05 s, first byte 80.0 s). Agreed: 99% of loads under 3 s. "
        "41% of this month's budget left."
    )


def test_failing_checks_are_counted_by_cause_with_the_burn_rate_and_time_left() -> None:
    availability = spec("availability", MONTH, target=0.999)
    recent = [ok(AT - 3600 + i * 60) for i in range(48)] + [
        refused(AT - 700 + i) for i in range(12)
    ]

    text = alert_message(
        evaluation(availability, standing(MONTH, 0.72, 31 * 60.0), 14.4), recent, URLS
    )

    assert text == (
        "Checkout is failing: 12 of the last 60 checks failed (connection refused ×12). "
        "Agreed: 99.9% available each calendar month. "
        "Burning budget 14.4× too fast: 31 minutes of downtime left this month."
    )


def test_several_causes_are_listed_most_frequent_first_over_a_rolling_window() -> None:
    availability = spec("availability", THIRTY_DAYS, target=0.999)
    error = CheckResult(
        "checkout-page", AT - 5, False, failure=FailureClass.STATUS, status_code=503
    )
    recent = [ok(AT - 100), refused(AT - 50), error, error]

    text = alert_message(
        evaluation(availability, standing(THIRTY_DAYS, 0.5, 1296.0), None), recent, URLS
    )

    assert text == (
        "Checkout is failing: 3 of the last 4 checks failed (HTTP 503 ×2, connection refused ×1). "
        "Agreed: 99.9% available over 30 days. 22 minutes of downtime left in the last 30 days."
    )


def test_a_latency_objective_with_a_failed_check_says_what_failed() -> None:
    latency = spec("latency", THIRTY_DAYS, target=0.95, threshold_ms=500.0, phase="first_byte")
    recent = [ok(AT - 60), refused(AT - 5)]

    text = alert_message(
        evaluation(latency, standing(THIRTY_DAYS, -0.2, -300.0, bad=120), 6.0), recent, URLS
    )

    assert text == (
        "Checkout (https://shop.example/checkout) failed: connection refused. "
        "Agreed: 95% of responses starting under 500 ms. "
        "Budget overspent by about 20 slow responses in the last 30 days."
    )


def test_times_keep_two_decimals_under_a_tenth_of_a_second() -> None:
    assert [seconds_words(ms) for ms in (10.0, 99.0, 100.0, 2_345.0, 80_000.0)] == [
        "0.01 s",
        "0.10 s",
        "0.1 s",
        "2.3 s",
        "80.0 s",
    ]
