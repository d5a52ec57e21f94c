"""Leadership: who may do the work that must happen once (schedule, evaluate, send).

Every such loop asks its :class:`Leader` before acting and records the epoch it
got with each claim of work, so a node that lost leadership can be fenced off
by the epoch alone. On SQLite there is one node, always the leader, epoch 1;
the PostgreSQL lease arrives with the high-availability work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Leadership:
    """The answer to "may I act?": yes with an epoch, or no."""

    is_leader: bool
    epoch: int
    # Seconds of lease left; work that takes longer must not be claimed.
    remaining: float


class Leader(Protocol):
    """Asked before every piece of once-only work."""

    def current(self) -> Leadership:
        """Whether this node leads now, with which epoch and for how long."""
        ...


class SingleNodeLeader:
    """The only node: always the leader, epoch 1, for ever."""

    EPOCH = 1

    def current(self) -> Leadership:
        return Leadership(is_leader=True, epoch=self.EPOCH, remaining=float("inf"))
