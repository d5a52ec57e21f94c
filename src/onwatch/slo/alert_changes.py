"""Which alert events a round opens and resolves: the firing tiers against the open events.

Pure: the latest evaluations, the tiers whose events are open, the objectives'
recent results and the monitors' URLs in; the events to open (with their
message and figures) and to resolve out. The evaluator stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onwatch.probes.base import CheckResult
from onwatch.slo.messages import alert_message
from onwatch.slo.model import Evaluation, Severity

__all__ = ["AlertChanges", "Opening", "alert_changes", "alert_details"]


@dataclass(frozen=True)
class Opening:
    """An alert event to open."""

    objective: str
    tier: str
    severity: Severity
    message: str
    details: dict[str, Any]


@dataclass
class AlertChanges:
    """The events to open, and the ``(objective, tier)`` events to resolve."""

    opened: list[Opening] = field(default_factory=list)
    resolved: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.opened or self.resolved)


def alert_details(evaluation: Evaluation, tier: str) -> dict[str, Any]:
    """The figures stored with an event: the tier's burn rates and the objective's budget."""
    state = next(s for s in evaluation.tiers if s.tier.name == tier)
    standing = evaluation.standing
    return {
        "burn_rate": state.tier.burn_rate,
        "long_burn": state.long_burn,
        "short_burn": state.short_burn,
        "long_bad": state.long_bad,
        "long_window_seconds": state.tier.long_seconds,
        "short_window_seconds": state.tier.short_seconds,
        "window": standing.window.label,
        "events": standing.events,
        "bad": standing.bad,
        "sli": standing.sli,
        "budget_remaining": standing.budget_remaining,
        "remaining_bad_seconds": standing.remaining_bad_seconds,
    }


def alert_changes(
    evaluations: Mapping[str, Evaluation],
    open_tiers: Mapping[str, Iterable[str]],
    recent: Mapping[str, Sequence[CheckResult]],
    urls: Mapping[str, str | None],
) -> AlertChanges:
    """Open an event for every tier that fires without one; resolve every open one that stopped.

    ``open_tiers`` maps an objective (``service/name``) to the tiers whose events
    are open; ``recent`` its latest results outside maintenance, oldest first.
    """
    changes = AlertChanges()
    for key, evaluation in evaluations.items():
        firing = {state.tier.name: state.tier.severity for state in evaluation.firing}
        was = set(open_tiers.get(key, ()))
        for tier in sorted(set(firing) - was):
            message = alert_message(evaluation, recent.get(key, ()), urls)
            details = alert_details(evaluation, tier)
            changes.opened.append(Opening(key, tier, firing[tier], message, details))
        changes.resolved.extend((key, tier) for tier in sorted(was - set(firing)))
    return changes
