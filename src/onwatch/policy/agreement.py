"""The published agreement: who signed the numbers in this policy, when, and when to review them.

``agreement:`` is optional. With it, the agreement page names the people who
agreed to the objectives and says when the numbers are due for another look;
without it, the page says nobody has signed them yet.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from onwatch.policy.secrets import PolicyModel
from onwatch.policy.types import Duration


def parse_date(value: Any) -> date:
    """``"2026-11-02"`` → ``date(2026, 11, 2)``."""
    if isinstance(value, date):
        return value
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{shown} is not a day of the calendar") from None
    raise ValueError(f"{shown} is not a date (YYYY-MM-DD, e.g. 2026-11-02)")


Day = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(date.isoformat, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "examples": ["2026-11-02"]}
    ),
]
"""A calendar date, ``YYYY-MM-DD``."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _whole_days(value: timedelta) -> timedelta:
    if value.total_seconds() % 86400:
        raise ValueError("is counted in whole days (e.g. 90d, 12w)")
    return value


class Signatory(PolicyModel):
    """Someone who agreed to the numbers, with the role that made them the one to agree."""

    name: Annotated[str, AfterValidator(_not_blank)]
    role: Annotated[str, AfterValidator(_not_blank)] | None = None


class Agreement(PolicyModel):
    """Who agreed to the policy's objectives, on which day, and how often they are reviewed."""

    agreed_by: Annotated[list[Signatory], Field(min_length=1)]
    agreed_on: Day
    review_every: Annotated[Duration, AfterValidator(_whole_days)] = timedelta(days=90)

    def review_due(self) -> date:
        """The day the numbers are due for review: ``agreed_on`` plus ``review_every``."""
        return self.agreed_on + self.review_every
