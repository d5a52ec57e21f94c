"""Burn-rate alert tiers: when spending an objective's error budget alerts, and how loudly.

Each tier watches a long and a short window and fires when both burn the
budget at ``burn_rate`` times the sustainable rate or faster (the SRE
Workbook's multiwindow, multi-burn-rate alerts). Without ``alerts.tiers`` an
objective gets :data:`~onwatch.slo.model.DEFAULT_TIERS`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from onwatch.policy.secrets import PolicyModel
from onwatch.policy.types import Duration, format_duration
from onwatch.slo.model import DEFAULT_MIN_BAD_EVENTS, DEFAULT_TIERS, Tier


def _positive_rate(value: float) -> float:
    if value <= 0:
        raise ValueError(
            f"{value:g} is not a burn rate; it must be above 0 "
            "(1 spends the budget exactly over the window)"
        )
    return value


class AlertTier(PolicyModel):
    """A multiwindow burn-rate rule: alert when both windows burn at ``burn_rate`` or faster."""

    severity: Literal["page", "ticket"]
    long: Duration
    short: Duration
    burn_rate: Annotated[float, AfterValidator(_positive_rate)]

    @field_validator("short")
    @classmethod
    def _shorter_than_long(cls, short: timedelta, info: ValidationInfo) -> timedelta:
        long: timedelta | None = info.data.get("long")
        if long is not None and short >= long:
            raise ValueError(
                f"the short window ({format_duration(short)}) must be shorter than the long "
                f"window ({format_duration(long)})"
            )
        return short

    def as_tier(self) -> Tier:
        """The plain value the maths uses."""
        return Tier(
            self.severity,
            round(self.long.total_seconds()),
            round(self.short.total_seconds()),
            self.burn_rate,
        )


def _default_tiers() -> list[AlertTier]:
    return [
        AlertTier(
            severity=tier.severity,
            long=timedelta(seconds=tier.long_seconds),
            short=timedelta(seconds=tier.short_seconds),
            burn_rate=tier.burn_rate,
        )
        for tier in DEFAULT_TIERS
    ]


class Alerts(PolicyModel):
    """When an objective's budget burn alerts, and how loudly."""

    min_bad_events: Annotated[int, Field(ge=1)] = DEFAULT_MIN_BAD_EVENTS
    tiers: list[AlertTier] = Field(default_factory=_default_tiers)

    @field_validator("tiers")
    @classmethod
    def _distinct_tiers(cls, tiers: list[AlertTier]) -> list[AlertTier]:
        names = [tier.as_tier().name for tier in tiers]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(
                f"two tiers are both {twice[0]}; tiers are named by severity and long window"
            )
        return tiers
