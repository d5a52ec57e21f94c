"""Objectives evaluated straight from the store, and the maintenance behind excluded time.

``onwatch agreement`` uses this: it rebuilds the trackers exactly as the
evaluator does when the service starts (:func:`onwatch.slo.sources.rebuild_trackers`)
and evaluates each once at ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping

from onwatch.policy import Policy
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing
from onwatch.slo.sources import rebuild_for_policy
from onwatch.slo.specs import objective_specs
from onwatch.store.database import Database
from onwatch.store.maintenance_calendar import load_calendar


def evaluate_from_store(database: Database, policy: Policy, now: float) -> dict[str, Evaluation]:
    """The evaluation of every objective of ``policy`` at ``now``, by ``service/name``."""
    specs = objective_specs(policy)
    if not specs:
        return {}
    with database.engine.connect() as connection:
        rebuilt, _ = rebuild_for_policy(connection, policy, specs, now=now)
    return {key: tracker.evaluate(now) for key, tracker in rebuilt.trackers.items()}


def excluded_reasons(database: Database, spec: ObjectiveSpec, standing: Standing) -> list[str]:
    """Why time was left out of ``standing``'s budget: the reasons of the maintenance windows
    that covered the objective's monitors in its window, each once."""
    if not standing.excluded_seconds:
        return []
    with database.engine.connect() as connection:
        calendar = load_calendar(connection, standing.since, standing.until)
    return calendar.reasons_in_span(spec.service, spec.monitors)


def all_excluded_reasons(
    database: Database, evaluations: Mapping[str, Evaluation]
) -> dict[str, list[str]]:
    """:func:`excluded_reasons` of each evaluation's own window, by ``service/name``."""
    return {
        key: excluded_reasons(database, evaluation.spec, evaluation.standing)
        for key, evaluation in evaluations.items()
        if evaluation.standing.excluded_seconds
    }
