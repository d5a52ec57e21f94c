"""When a monitor's results become an incident, when it ends, and when it is flapping.

Every monitor and pool takes ``confirm`` (failures in a row before an incident
opens; ``locations`` is kept for remote probes), ``recovery`` (successes in a
row before it resolves by itself) and ``flapping`` (more than ``changes`` state
changes within ``within`` make one flapping incident instead of a stream of pages).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from onwatch.policy.secrets import PolicyModel
from onwatch.policy.types import Duration


class Confirm(PolicyModel):
    """How many failed checks in a row (and, with remote probes, how many places) open an incident."""

    consecutive: Annotated[int, Field(ge=1)] = 2
    locations: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="How many of the monitor's locations must agree (remote probes)"
    )


class Recovery(PolicyModel):
    """How many passing checks in a row resolve an incident by themselves."""

    consecutive: Annotated[int, Field(ge=1)] = 2


class Flapping(PolicyModel):
    """More than ``changes`` up/down changes within ``within`` make one flapping incident."""

    changes: Annotated[int, Field(ge=1)] = 6
    within: Duration = timedelta(minutes=30)
