"""What the web side reads from the running evaluator, with sensible answers before it runs.

The evaluator (:mod:`onwatch.slo.evaluator`) registers itself on the service
when its task starts; until its first round, and in apps built without it,
pages show "no checks counted yet" instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping

from onwatch.runtime import Service
from onwatch.slo.model import Evaluation, ObjectiveSpec


def latest_evaluations(service: Service) -> Mapping[str, Evaluation]:
    """The latest evaluation of every objective by ``service/name`` (empty before the first)."""
    evaluator = service.evaluator
    return {} if evaluator is None else evaluator.evaluations


def active_maintenance(service: Service, spec: ObjectiveSpec) -> list[str]:
    """Reasons of the maintenance windows covering the objective's monitors now."""
    evaluator = service.evaluator
    return [] if evaluator is None else evaluator.maintenance_reasons(spec)
