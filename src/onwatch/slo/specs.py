"""Turn the policy's objectives into :class:`~onwatch.slo.model.ObjectiveSpec` values for the maths.

Done once per policy load. Monitor names are expanded to the names results are
stored under (a pool ``api-pool`` with two targets stores ``api-pool#1`` and
``api-pool#2``), the time zone is resolved against ``settings.timezone``, and
every default is filled in, so the evaluator never looks at the policy again.
"""

from __future__ import annotations

from collections.abc import Iterable

from onwatch.policy.models import Policy, Service
from onwatch.policy.objectives import AvailabilityObjective, LatencyObjective
from onwatch.slo.model import LenientRange, ObjectiveSpec, TimeSlices


def stored_names(policy: Policy, names: Iterable[str]) -> tuple[str, ...]:
    """The names results are stored under for these monitors and pools, in the given order."""
    stored: list[str] = []
    for name in names:
        pool = next((p for p in policy.pools if p.name == name), None)
        if pool is None:
            stored.append(name)
        else:
            stored.extend(pool.target_monitor_name(i) for i in range(len(pool.targets)))
    return tuple(stored)


def service_monitors(policy: Policy, service: str) -> tuple[str, ...]:
    """Every stored monitor name of a service: its monitors, then its pools' targets."""
    entries = [*policy.monitors, *policy.pools]
    return stored_names(policy, [entry.name for entry in entries if entry.service == service])


def objective_spec(
    policy: Policy, service: Service, objective: AvailabilityObjective | LatencyObjective
) -> ObjectiveSpec:
    """One objective of ``service`` as a plain spec."""
    latency = objective if isinstance(objective, LatencyObjective) else None
    monitors = (
        service_monitors(policy, service.name)
        if objective.monitors is None
        else stored_names(policy, objective.monitors)
    )
    slicing = objective.time_slices
    return ObjectiveSpec(
        service=service.name,
        name=objective.name,
        kind="availability" if latency is None else "latency",
        target=objective.target,
        window=objective.window,
        timezone=objective.timezone or policy.settings.timezone,
        also_report=tuple(objective.also_report),
        monitors=monitors,
        lenient=tuple(
            LenientRange(
                start=hours.start,
                end=hours.end,
                target=hours.target,
                allowance_seconds=None
                if hours.allowance is None
                else hours.allowance.total_seconds(),
            )
            for hours in objective.lenient
        ),
        tiers=tuple(tier.as_tier() for tier in objective.alerts.tiers),
        min_bad_events=objective.alerts.min_bad_events,
        threshold_ms=None if latency is None else latency.threshold.total_seconds() * 1000,
        phase="total" if latency is None else latency.phase,
        time_slices=None
        if slicing is None
        else TimeSlices(round(slicing.length.total_seconds()), slicing.bad_above),
        title=service.display_name,
    )


def objective_specs(policy: Policy) -> list[ObjectiveSpec]:
    """Every availability and latency objective of every service, in policy order."""
    return [
        objective_spec(policy, service, objective)
        for service in policy.services
        for objective in service.objectives.all
    ]


def find_spec(policy: Policy, service: str, name: str) -> ObjectiveSpec | None:
    """The spec of objective ``name`` of ``service``, or None."""
    return next(
        (spec for spec in objective_specs(policy) if (spec.service, spec.name) == (service, name)),
        None,
    )
