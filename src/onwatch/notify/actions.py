"""What people do to incidents from anywhere: acknowledge and resolve, each in one transaction.

The API, the command line, the dashboard buttons and the acknowledge links
all call these two functions, so an acknowledgement stops the cascade the
same way wherever it comes from, and a resolve always tells everyone who was
paged (their "resolved" messages enter the outbox in the same transaction).
"""

from __future__ import annotations

from collections.abc import Iterable

from onwatch.incidents import Incident, acknowledge, get_incident, resolve
from onwatch.notify.acklinks import ACK_PLACEHOLDER
from onwatch.notify.engine import incident_facts
from onwatch.notify.escalation import Rendered, announce_resolved
from onwatch.notify.messages import render
from onwatch.policy import Policy
from onwatch.slo.model import Evaluation
from onwatch.store.database import Database
from onwatch.store.results import latest_results

__all__ = ["acknowledge_incident", "resolve_incident"]


def acknowledge_incident(
    database: Database, incident_id: int, *, by: str, via: str, now: float
) -> Incident:
    """Acknowledge: the escalation stops (:class:`~onwatch.incidents.IncidentError` when the
    incident is unknown or already resolved)."""
    with database.engine.begin() as connection:
        return acknowledge(connection, incident_id, by=by, via=via, at=now)


def resolve_incident(
    database: Database,
    policy: Policy,
    incident_id: int,
    *,
    by: str,
    via: str,
    now: float,
    evaluations: Iterable[Evaluation] = (),
) -> Incident:
    """Resolve, and tell everyone who was notified about the incident."""
    with database.engine.begin() as connection:
        incident = get_incident(connection, incident_id)
        latest = latest_results(connection, list(incident.members)) if incident.members else {}
        facts = incident_facts(policy, incident, latest, evaluations)

        def rendered(done: Incident, kind: str) -> Rendered:
            return render(done, kind, facts, ACK_PLACEHOLDER)

        done, reached = resolve(connection, incident_id, by=by, via=via, at=now)
        announce_resolved(connection, done, reached, now=now, render=rendered)
    return done
