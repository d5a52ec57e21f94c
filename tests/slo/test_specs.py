"""The policy's objectives as plain specs: stored monitor names, resolved zones, every default."""

from __future__ import annotations

from datetime import time

from onwatch.policy import parse_policy
from onwatch.slo.model import (
    DEFAULT_TIERS,
    LenientRange,
    ObjectiveSpec,
    Tier,
    TimeSlices,
    WindowSpec,
)
from onwatch.slo.specs import find_spec, objective_specs, service_monitors, stored_names

POLICY = parse_policy(
    """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: shop
    objectives:
      availability: {target: 99.5%}
  - name: checkout
    title: Checkout
    objectives:
      availability:
        target: 99.9%
        also_report: [month]
        lenient:
          - {from: "00:00", to: "02:00", target: 99%}
          - {from: "23:00", to: "00:00", allowance: 10m}
      latency:
        - name: page-load
          threshold: 3s
          target: 99%
          window: quarter
          monitors: [api-pool, checkout]
          timezone: America/New_York
          time_slices: {length: 5m, bad_above: 10%}
          alerts:
            min_bad_events: 1
            tiers: [{severity: ticket, long: 1d, short: 1h, burn_rate: 2}]
        - name: first-byte
          threshold: 800ms
          phase: first_byte
          target: 95%
          window: 7d
          monitors: [checkout]
  - name: quiet
    objectives:
      data_loss: 1h
monitors:
  - {name: checkout, type: http, service: checkout, url: "https://shop.example/checkout"}
  - {name: home, type: http, service: shop, url: "https://shop.example/"}
pools:
  - name: api-pool
    service: checkout
    targets: ["http://10.0.0.1/", "http://10.0.0.2/"]
""",
)


def test_every_objective_becomes_a_spec_in_policy_order() -> None:
    assert [spec.key for spec in objective_specs(POLICY)] == [
        "shop/availability",
        "checkout/availability",
        "checkout/page-load",
        "checkout/first-byte",
    ]


def test_an_availability_objective_counts_every_monitor_and_pool_target_of_its_service() -> None:
    assert find_spec(POLICY, "checkout", "availability") == ObjectiveSpec(
        service="checkout",
        name="availability",
        kind="availability",
        target=0.999,
        window=WindowSpec("rolling", 30 * 86400),
        timezone="Europe/Brussels",
        also_report=(WindowSpec("month"),),
        monitors=("checkout", "api-pool#1", "api-pool#2"),
        lenient=(
            LenientRange(time(0, 0), time(2, 0), target=0.99),
            LenientRange(time(23, 0), time(0, 0), allowance_seconds=600.0),
        ),
        tiers=DEFAULT_TIERS,
        min_bad_events=3,
        threshold_ms=None,
        phase="total",
        time_slices=None,
        title="Checkout",
    )


def test_a_latency_objective_keeps_its_threshold_phase_zone_slices_and_tiers() -> None:
    spec = find_spec(POLICY, "checkout", "page-load")
    assert spec is not None
    assert (spec.kind, spec.threshold_ms, spec.phase) == ("latency", 3000.0, "total")
    assert spec.window == WindowSpec("quarter")
    assert spec.timezone == "America/New_York"
    assert spec.monitors == ("api-pool#1", "api-pool#2", "checkout")
    assert spec.time_slices == TimeSlices(300, 0.1)
    assert spec.tiers == (Tier("ticket", 86400, 3600, 2.0),)
    assert spec.min_bad_events == 1
    first_byte = find_spec(POLICY, "checkout", "first-byte")
    assert first_byte is not None
    assert (first_byte.threshold_ms, first_byte.phase) == (800.0, "first_byte")
    assert first_byte.window == WindowSpec("rolling", 7 * 86400)


def test_the_title_falls_back_to_the_service_name() -> None:
    spec = find_spec(POLICY, "shop", "availability")
    assert spec is not None
    assert (spec.title, spec.monitors) == ("shop", ("home",))


def test_an_unknown_objective_or_service_has_no_spec() -> None:
    assert find_spec(POLICY, "checkout", "nope") is None
    assert find_spec(POLICY, "quiet", "availability") is None


def test_pools_expand_to_the_names_their_targets_are_stored_under() -> None:
    assert stored_names(POLICY, ["home", "api-pool"]) == ("home", "api-pool#1", "api-pool#2")
    assert service_monitors(POLICY, "checkout") == ("checkout", "api-pool#1", "api-pool#2")
    assert service_monitors(POLICY, "quiet") == ()
