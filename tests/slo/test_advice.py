"""Warnings when an objective's alerts cannot work: a tier that can never fire, and a budget a
full outage empties before the fastest tier can see it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from onwatch.policy import parse_policy
from onwatch.slo.advice import (
    Advice,
    detection_seconds,
    empty_seconds,
    max_burn_rate,
    outage_share,
    period_seconds,
    policy_advice,
    spec_advice,
)
from onwatch.slo.model import DEFAULT_TIERS, ObjectiveSpec, Tier, TimeSlices, WindowSpec

THIRTY_DAYS = WindowSpec("rolling", 30 * 86400)
PAGE_1H = DEFAULT_TIERS[0]


def spec(target: float, window: WindowSpec = THIRTY_DAYS, **changes: object) -> ObjectiveSpec:
    """An availability objective of ``checkout`` counting one monitor."""
    fields: dict[str, object] = {"monitors": ("checkout",), **changes}
    return ObjectiveSpec("checkout", "availability", "availability", target, window, **fields)  # type: ignore[arg-type]


def test_the_arithmetic_matches_the_sre_workbook_figures() -> None:
    assert max_burn_rate(0.9) == pytest.approx(10)
    assert outage_share(PAGE_1H, 0.9, THIRTY_DAYS) == pytest.approx(0.013889, rel=1e-4)
    assert empty_seconds(0.99999, THIRTY_DAYS) == pytest.approx(25.92)
    assert detection_seconds(PAGE_1H, spec(0.99999), 60) == 180
    assert detection_seconds(PAGE_1H, spec(0.99), 10) == pytest.approx(518.4)
    assert period_seconds(WindowSpec("month")) == 30 * 86400
    assert period_seconds(WindowSpec("quarter")) == 91 * 86400


def test_a_tier_that_cannot_fire_at_a_loose_target_is_named() -> None:
    assert spec_advice(spec(0.9), 60) == [
        "target 90%: a full hour of outage uses only 1.39% of the 30-day budget, "
        "so the page-1h tier (needs 2%) can never fire"
    ]


def test_a_budget_emptied_before_the_fastest_tier_can_see_it_is_named() -> None:
    assert spec_advice(spec(0.99999), 60) == [
        "target 99.999%: a full outage empties the 30-day budget in 26 s, before the fastest "
        "tier (page-1h) can detect it (3 failed checks at 60s intervals take 3 min)"
    ]


def test_a_sensible_objective_gets_no_warning() -> None:
    assert spec_advice(spec(0.999), 60) == []
    assert spec_advice(spec(0.99), 10) == []


def test_a_calendar_window_is_counted_at_30_days_and_says_so() -> None:
    assert spec_advice(spec(0.9, WindowSpec("month")), 60) == [
        "target 90%: a full hour of outage uses only 1.39% of the month's budget "
        "(a month counted as 30 days), so the page-1h tier (needs 2%) can never fire"
    ]


def test_several_hours_of_outage_are_spoken_in_hours() -> None:
    tiers = (Tier("page", 6 * 3600, 1800, 25.0),)
    assert spec_advice(spec(0.95, tiers=tiers), 60) == [
        "target 95%: 6 full hours of outage uses only 16.7% of the 30-day budget, "
        "so the page-6h tier (needs 20.8%) can never fire"
    ]


def test_when_the_burn_rate_is_what_makes_a_tier_slow_the_warning_says_so() -> None:
    twelve_hours = WindowSpec("rolling", 12 * 3600)
    assert spec_advice(spec(0.99, twelve_hours, tiers=(PAGE_1H,), min_bad_events=1), 10) == [
        "target 99%: a full outage empties the 12-hour budget in 7.2 min, before the fastest "
        "tier (page-1h) can detect it (its 1h window must burn at 14.4x, which takes 8.64 min)"
    ]


def test_time_slices_count_bad_slices_not_failed_checks() -> None:
    slices = TimeSlices(300, 0.0)
    assert spec_advice(spec(0.9999, time_slices=slices), 60) == [
        "target 99.99%: a full outage empties the 30-day budget in 4.32 min, before the fastest "
        "tier (page-1h) can detect it (3 bad 300s slices take 15 min)"
    ]


def test_an_objective_without_monitors_is_named_and_one_without_tiers_is_not_judged() -> None:
    assert spec_advice(spec(0.999, monitors=()), None) == [
        "no monitor or pool of service checkout is counted, so it has no data"
    ]
    assert spec_advice(spec(0.99999, tiers=()), 60) == []


POLICY = """\
apiVersion: onwatch/v1
services:
  - name: checkout
    objectives:
      availability: {target: 99.999%}
      latency: {name: page-load, threshold: 3s, target: 90%, monitors: [api-pool]}
  - name: empty
    objectives:
      availability: {target: 99%}
monitors:
  - {name: checkout, type: http, service: checkout, url: "https://shop.example/", interval: 60s}
pools:
  - name: api-pool
    service: checkout
    interval: 2m
    targets: ["http://10.0.0.1/", "http://10.0.0.2/"]
"""


def test_policy_advice_names_each_objective_and_uses_its_shortest_check_interval() -> None:
    assert [str(advice) for advice in policy_advice(parse_policy(POLICY))] == [
        "services[checkout].objectives.availability[availability]: target 99.999%: a full "
        "outage empties the 30-day budget in 26 s, before the fastest tier (page-1h) can "
        "detect it (3 failed checks at 60s intervals take 3 min)",
        "services[checkout].objectives.latency[page-load]: target 90%: a full hour of outage "
        "uses only 1.39% of the 30-day budget, so the page-1h tier (needs 2%) can never fire",
        "services[empty].objectives.availability[availability]: no monitor or pool of service "
        "empty is counted, so it has no data",
    ]
    assert policy_advice(parse_policy("apiVersion: onwatch/v1\n")) == []
    assert isinstance(policy_advice(parse_policy(POLICY))[0], Advice)


def test_onwatch_check_prints_the_warnings_and_still_passes(tmp_path: Path) -> None:
    (tmp_path / "onwatch.yaml").write_text(POLICY, encoding="utf-8")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "onwatch"), "check", "onwatch.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "onwatch.yaml: valid" in done.stdout
    assert done.stderr.splitlines() == [
        f"warning: {advice}" for advice in policy_advice(parse_policy(POLICY))
    ]
