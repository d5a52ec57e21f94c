"""Every objective evaluated straight from the store, for commands that run without a server.

``onwatch agreement`` uses this: it rebuilds the trackers exactly as the
evaluator does when the service starts (:func:`onwatch.slo.sources.rebuild_trackers`)
and evaluates each once at ``now``.
"""

from __future__ import annotations

from onwatch.policy import Policy
from onwatch.slo.model import Evaluation
from onwatch.slo.sources import history_start, monitor_facts, rebuild_trackers
from onwatch.slo.specs import objective_specs
from onwatch.store.database import Database
from onwatch.store.maintenance_calendar import load_calendar


def evaluate_from_store(database: Database, policy: Policy, now: float) -> dict[str, Evaluation]:
    """The evaluation of every objective of ``policy`` at ``now``, by ``service/name``."""
    specs = objective_specs(policy)
    if not specs:
        return {}
    since = min(history_start(spec, now) for spec in specs)
    with database.engine.connect() as connection:
        calendar = load_calendar(connection, since, now)
        rebuilt = rebuild_trackers(
            connection,
            specs,
            now=now,
            monitors=monitor_facts(policy),
            calendar=calendar,
            minute_retention=policy.settings.retention.minute.total_seconds(),
            raw_retention=policy.settings.retention.raw.total_seconds(),
        )
    return {key: tracker.evaluate(now) for key, tracker in rebuilt.trackers.items()}
