"""Every objective evaluated straight from the store, for commands that run without a server.

``onwatch agreement`` uses this: it rebuilds the trackers exactly as the
evaluator does when the service starts (:func:`onwatch.slo.sources.rebuild_trackers`)
and evaluates each once at ``now``.
"""

from __future__ import annotations

from onwatch.policy import Policy
from onwatch.slo.model import Evaluation
from onwatch.slo.sources import rebuild_for_policy
from onwatch.slo.specs import objective_specs
from onwatch.store.database import Database


def evaluate_from_store(database: Database, policy: Policy, now: float) -> dict[str, Evaluation]:
    """The evaluation of every objective of ``policy`` at ``now``, by ``service/name``."""
    specs = objective_specs(policy)
    if not specs:
        return {}
    with database.engine.connect() as connection:
        rebuilt, _ = rebuild_for_policy(connection, policy, specs, now=now)
    return {key: tracker.evaluate(now) for key, tracker in rebuilt.trackers.items()}
