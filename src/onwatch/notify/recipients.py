"""Who a step reaches: targets resolved to contacts and channels, routes, quiet hours.

A step's target ``name.channel`` is a contact's channel, the channel of that
name of every member of a team (in member order), or the channel of whoever is
on call for a rotation at that moment. :func:`route` picks the escalation
policy of an incident (first matching route, else ``default``), and
:func:`in_quiet_hours` says whether a policy's quiet hours hold at a moment and
:func:`send_at` when a message held back by them may go.
Pure functions of the policy and the moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from onwatch.notify.oncall import Override, on_call
from onwatch.policy import Policy
from onwatch.policy.escalation import DEFAULT_ESCALATION, Escalation

__all__ = ["Recipient", "in_quiet_hours", "recipients", "route", "send_at"]


@dataclass(frozen=True)
class Recipient:
    """One message to send: ``contact``'s channel named ``channel``."""

    contact: str
    channel: str


def _members(policy: Policy, name: str, at: float, overrides: Sequence[Override]) -> list[str]:
    """The contacts a target name stands for at ``at``."""
    if policy.contact(name) is not None:
        return [name]
    team = policy.team(name)
    if team is not None:
        return list(team.members)
    rotation = policy.rotation(name)
    if rotation is not None:
        return [on_call(rotation, at, overrides)]
    raise ValueError(f'"{name}" is not a contact, team or rotation of this policy')


def recipients(
    policy: Policy, targets: Sequence[str], at: float, overrides: Sequence[Override] = ()
) -> list[Recipient]:
    """Every (contact, channel) the targets reach at ``at``, without repeats, in order.

    A team member or on-call person without that channel is skipped (the policy
    check refuses such a target, so this only happens to an override's contact).
    """
    found: dict[Recipient, None] = {}
    for target in targets:
        name, _, channel = target.partition(".")
        for member in _members(policy, name, at, overrides):
            contact = policy.contact(member)
            if contact is not None and channel in contact.channels:
                found.setdefault(Recipient(member, channel))
    return list(found)


def route(policy: Policy, *, severity: str, service: str | None) -> Escalation | None:
    """The escalation policy for an incident: the first matching route's, else ``default``."""
    for candidate in policy.routes:
        if candidate.matches(severity, service):
            return policy.escalation_policy(candidate.escalation)
    return policy.escalation_policy(DEFAULT_ESCALATION)


def in_quiet_hours(escalation: Escalation, at: float) -> bool:
    """Whether ``at`` falls inside the policy's quiet hours (``from`` inclusive, ``to`` not)."""
    quiet = escalation.quiet_hours
    if quiet is None:
        return False
    now = datetime.fromtimestamp(at, ZoneInfo(quiet.timezone)).time()
    if quiet.start < quiet.end:
        return quiet.start <= now < quiet.end
    return now >= quiet.start or now < quiet.end


def send_at(escalation: Escalation, *, severity: str, at: float) -> float:
    """When a notification due at ``at`` may go out: at once, or, for an incident whose
    severity is not the quiet hours' ``only``, when the quiet hours end."""
    quiet = escalation.quiet_hours
    if quiet is None or severity == quiet.only or not in_quiet_hours(escalation, at):
        return at
    local = datetime.fromtimestamp(at, ZoneInfo(quiet.timezone))
    end = datetime.combine(local.date(), quiet.end, local.tzinfo)
    if end.astimezone(UTC).timestamp() <= at:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, local.tzinfo)
    return end.astimezone(UTC).timestamp()
