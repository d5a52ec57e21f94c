"""The shapes of ``/api/v1/objectives``: an objective's SLI, budget, burn rates and alert state.

Fractions are fractions (``0.999``, not ``99.9``), durations are seconds and
times ISO 8601 in UTC, as everywhere in the API. A figure that cannot be known
yet (no checks counted) is ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onwatch.agreement.phrases import promise
from onwatch.slo.budget import budget_words
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing, TierState
from onwatch.store.agreement_log import AgreementChange
from onwatch.web.api.models import utc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class WindowStanding(_Model):
    """The objective over one window (its own, or one named in ``also_report``)."""

    window: str = Field(examples=["30d", "month", "quarter"])
    since: datetime
    until: datetime
    events: int = Field(description="Checks (or time slices) counted, maintenance left out")
    bad: int
    sli: float | None = Field(description="good / events")
    budget_used: float | None = Field(description="Fraction of the period's error budget used")
    budget_remaining: float | None = Field(description="1 - budget_used; negative when overspent")
    allowed_bad_seconds: float = Field(description="The period's budget as time")
    remaining_bad_seconds: float | None
    excluded_seconds: float = Field(description="Time inside maintenance windows, not counted")
    excluded_for: list[str] = Field(
        description="Reasons of the maintenance windows that time was left out for"
    )
    lenient_seconds: float = Field(description="Time inside lenient (night-time) ranges")
    excused_bad: int = Field(description="Bad checks forgiven by a lenient allowance")

    @classmethod
    def of(cls, standing: Standing, reasons: list[str] | None = None) -> WindowStanding:
        return cls(
            excluded_for=reasons or [],
            window=standing.window.label,
            since=utc(standing.since),
            until=utc(standing.until),
            events=standing.events,
            bad=standing.bad,
            sli=standing.sli,
            budget_used=standing.budget_used,
            budget_remaining=standing.budget_remaining,
            allowed_bad_seconds=standing.allowed_bad_seconds,
            remaining_bad_seconds=standing.remaining_bad_seconds,
            excluded_seconds=standing.excluded_seconds,
            lenient_seconds=standing.lenient_seconds,
            excused_bad=standing.excused_bad,
        )


class BurnRate(_Model):
    """One multiwindow burn-rate tier and where the objective stands against it."""

    tier: str = Field(examples=["page-1h"])
    severity: Literal["page", "ticket"]
    long_window_seconds: int
    short_window_seconds: int
    threshold: float = Field(description="The burn rate at which the tier fires", examples=[14.4])
    long_burn: float | None
    short_burn: float | None
    long_bad: int = Field(description="Bad events in the long window (quiet-service guard)")
    condition: bool = Field(
        description="Both burn rates at or over the threshold, enough bad events"
    )
    firing: bool = Field(
        description="condition, and no faster tier fires (slower ones are suppressed)"
    )

    @classmethod
    def of(cls, state: TierState) -> BurnRate:
        tier = state.tier
        return cls(
            tier=tier.name,
            severity=tier.severity,
            long_window_seconds=tier.long_seconds,
            short_window_seconds=tier.short_seconds,
            threshold=tier.burn_rate,
            long_burn=state.long_burn,
            short_burn=state.short_burn,
            long_bad=state.long_bad,
            condition=state.condition,
            firing=state.firing,
        )


class Objective(_Model):
    """An objective of a service and its standing at the last evaluation."""

    service: str
    name: str
    kind: Literal["availability", "latency"]
    agreed: str = Field(description="The promise in plain words")
    target: float = Field(examples=[0.999])
    window: str = Field(examples=["30d"])
    threshold_ms: float | None = Field(description="Latency objectives: the agreed limit")
    phase: Literal["total", "first_byte"] | None
    monitors: list[str]
    evaluated_at: datetime | None = Field(description="null until the evaluator has run")
    sli: float | None
    budget_remaining: float | None
    budget_words: str | None = Field(examples=["31 minutes of downtime left this month"])
    alert: Literal["ok", "page", "ticket"] = Field(description="The severity of the firing tier")
    firing: list[str] = Field(description="Names of the firing tiers")

    @classmethod
    def fields_of(cls, spec: ObjectiveSpec, evaluation: Evaluation | None) -> dict[str, object]:
        firing = evaluation.firing if evaluation else ()
        standing = evaluation.standing if evaluation else None
        counted = standing is not None and standing.events > 0
        return {
            "service": spec.service,
            "name": spec.name,
            "kind": spec.kind,
            "agreed": promise(spec),
            "target": spec.target,
            "window": spec.window.label,
            "threshold_ms": spec.threshold_ms,
            "phase": spec.phase if spec.kind == "latency" else None,
            "monitors": list(spec.monitors),
            "evaluated_at": utc(evaluation.at) if evaluation else None,
            "sli": standing.sli if standing else None,
            "budget_remaining": standing.budget_remaining if standing else None,
            "budget_words": budget_words(standing, spec) if standing and counted else None,
            "alert": firing[0].tier.severity if firing else "ok",
            "firing": [state.tier.name for state in firing],
        }

    @classmethod
    def of(cls, spec: ObjectiveSpec, evaluation: Evaluation | None) -> Objective:
        return cls.model_validate(cls.fields_of(spec, evaluation))


class OpenAlert(_Model):
    """A stored alert event that has not been resolved."""

    id: int
    tier: str
    severity: Literal["page", "ticket"]
    opened_at: datetime
    message: str


class ObjectiveDetail(Objective):
    """One objective in full: every window, every tier, open alerts, maintenance."""

    windows: list[WindowStanding] = Field(description="The objective's own window first")
    burn_rates: list[BurnRate]
    open_alerts: list[OpenAlert]
    maintenance: list[str] = Field(description="Reasons of maintenance windows active now")

    @classmethod
    def build(
        cls,
        spec: ObjectiveSpec,
        evaluation: Evaluation | None,
        open_alerts: list[OpenAlert],
        maintenance: list[str],
        reasons: Mapping[str, list[str]],
    ) -> ObjectiveDetail:
        """``reasons``: maintenance reasons by window label (see :attr:`WindowStanding.excluded_for`)."""
        standings = [evaluation.standing, *evaluation.also] if evaluation else []
        return cls.model_validate(
            {
                **Objective.fields_of(spec, evaluation),
                "windows": [WindowStanding.of(s, reasons.get(s.window.label)) for s in standings],
                "burn_rates": [BurnRate.of(t) for t in evaluation.tiers] if evaluation else [],
                "open_alerts": open_alerts,
                "maintenance": maintenance,
            }
        )


class ObjectiveList(_Model):
    objectives: list[Objective]


class HistoryEntry(_Model):
    """One recorded change of an agreed number (``old_value`` null: first recorded)."""

    changed_at: datetime
    item: str = Field(examples=["checkout/availability target"])
    old_value: str | None
    new_value: str | None = Field(description="null when the item was removed")
    author: str | None = Field(description="The policy file's last git author, when in a repo")
    policy_hash: str = Field(description="SHA-256 of the policy file")

    @classmethod
    def of(cls, change: AgreementChange) -> HistoryEntry:
        return cls(
            changed_at=utc(change.changed_at),
            item=change.item,
            old_value=change.old_value,
            new_value=change.new_value,
            author=change.author,
            policy_hash=change.policy_hash,
        )
