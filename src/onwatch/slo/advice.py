"""Warnings about objectives whose alerts cannot work as intended, found with pure arithmetic.

Two mistakes are easy to make and invisible until an outage: a burn-rate tier
that can never fire, because even 100% errors do not burn the budget fast
enough (a loose target such as 90%), and a budget so small that a full outage
empties it before the fastest tier can see it (99.999% over 30 days lasts
26 seconds). ``onwatch check`` prints these warnings and a policy reload logs
them; neither refuses the policy. docs/objectives.md explains the maths.
"""

from __future__ import annotations

from dataclasses import dataclass

from onwatch.policy.models import Policy
from onwatch.policy.types import format_percent
from onwatch.slo.model import ObjectiveSpec, Tier, WindowSpec
from onwatch.slo.specs import objective_specs

NOMINAL_DAYS = {"month": 30, "quarter": 91}
"""Calendar windows are counted at these lengths for advice (the evaluator uses real ones)."""


@dataclass(frozen=True, slots=True)
class Advice:
    """One warning about one objective."""

    where: str
    """The objective's place in the policy: ``services[checkout].objectives.latency[page-load]``."""
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def period_seconds(window: WindowSpec) -> int:
    """The budget period in seconds; a month is 30 days and a quarter 91 for this purpose."""
    return window.seconds or NOMINAL_DAYS[window.kind] * 86400


def max_burn_rate(target: float) -> float:
    """The burn rate of a full outage (100% errors): ``1 / (1 - target)``."""
    return 1 / (1 - target)


def outage_share(tier: Tier, target: float, window: WindowSpec) -> float:
    """The share of the budget a full outage uses over the tier's long window."""
    return tier.long_seconds / (period_seconds(window) * (1 - target))


def needed_share(tier: Tier, window: WindowSpec) -> float:
    """The share of the budget the tier's long window must use before it fires."""
    return tier.burn_rate * tier.long_seconds / period_seconds(window)


def empty_seconds(target: float, window: WindowSpec) -> float:
    """How long a full outage takes to use the whole budget: ``(1 - target) × period``."""
    return (1 - target) * period_seconds(window)


def detection_seconds(tier: Tier, spec: ObjectiveSpec, event_seconds: float) -> float:
    """How long a full outage lasts before ``tier`` fires: its long window must burn at its
    rate, and ``min_bad_events`` bad events (checks, or slices) must have been counted."""
    burning = tier.burn_rate * (1 - spec.target) * tier.long_seconds
    return max(burning, spec.min_bad_events * event_seconds)


def spec_advice(spec: ObjectiveSpec, check_interval: float | None) -> list[str]:
    """Warnings for one objective; ``check_interval`` is the shortest check interval among its
    monitors (None when it counts none)."""
    if check_interval is None:
        return [f"no monitor or pool of service {spec.service} is counted, so it has no data"]
    budget = _budget(spec.window)
    target = f"target {format_percent(spec.target)}"
    warnings = []
    for tier in spec.tiers:
        if tier.burn_rate > max_burn_rate(spec.target):
            warnings.append(
                f"{target}: {_full_outage(tier.long_seconds)} uses only "
                f"{_percent(outage_share(tier, spec.target, spec.window))} of {budget}, so the "
                f"{tier.name} tier (needs {_percent(needed_share(tier, spec.window))}) can never fire"
            )
    slices = spec.time_slices.seconds if spec.time_slices is not None else None
    event_seconds = max(check_interval, slices or 0)
    firing = [t for t in spec.tiers if t.burn_rate <= max_burn_rate(spec.target)]
    if not firing:
        return warnings
    fastest = min(firing, key=lambda t: detection_seconds(t, spec, event_seconds))
    detect = detection_seconds(fastest, spec, event_seconds)
    empty = empty_seconds(spec.target, spec.window)
    if empty < detect:
        count = spec.min_bad_events
        if detect > fastest.burn_rate * (1 - spec.target) * fastest.long_seconds:
            events = (
                f"{count} bad {slices:g}s slices"
                if slices is not None and slices >= check_interval
                else f"{count} failed checks at {check_interval:g}s intervals"
            )
            why = f"{events} take {_spoken(detect)}"
        else:
            why = (
                f"its {WindowSpec('rolling', fastest.long_seconds).label} window must burn at "
                f"{fastest.burn_rate:g}x, which takes {_spoken(detect)}"
            )
        warnings.append(
            f"{target}: a full outage empties {budget} in {_spoken(empty)}, before the fastest "
            f"tier ({fastest.name}) can detect it ({why})"
        )
    return warnings


def policy_advice(policy: Policy) -> list[Advice]:
    """Every objective's warnings, in policy order."""
    intervals: dict[str, float] = {}
    for entry in policy.monitors:
        intervals[entry.name] = entry.interval.total_seconds()
    for pool in policy.pools:
        for index in range(len(pool.targets)):
            intervals[pool.target_monitor_name(index)] = pool.interval.total_seconds()
    advice = []
    for spec in objective_specs(policy):
        known = [intervals[name] for name in spec.monitors if name in intervals]
        where = f"services[{spec.service}].objectives.{spec.kind}[{spec.name}]"
        advice += [Advice(where, text) for text in spec_advice(spec, min(known, default=None))]
    return advice


def _budget(window: WindowSpec) -> str:
    if window.kind != "rolling":
        days = NOMINAL_DAYS[window.kind]
        return f"the {window.kind}'s budget (a {window.kind} counted as {days} days)"
    days, rest = divmod(window.seconds, 86400)
    return f"the {days}-day budget" if not rest else f"the {window.seconds // 3600}-hour budget"


def _full_outage(seconds: int) -> str:
    """``3600`` → ``a full hour of outage``; ``21600`` → ``6 full hours of outage``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"a full {unit} of outage" if count == 1 else f"{count} full {unit}s of outage"
    return f"{seconds} full seconds of outage"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.3g}%"


def _spoken(seconds: float) -> str:
    """``25.92`` → ``26 s``; ``180`` → ``3 min``; ``5400`` → ``1.5 h``."""
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} d"
