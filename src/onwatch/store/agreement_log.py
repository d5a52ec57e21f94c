"""The agreement's history: every agreed number, when it changed, from what to what, and who.

:func:`agreed_numbers` flattens a policy into ``item → value`` text (the
objectives' targets, windows, thresholds, lenient ranges and alert tiers, the
recovery numbers, and who agreed when). :func:`record_policy` runs on start and
on every reload: it compares those with the latest recorded values and stores
one ``agreement_changes`` row per item that changed, with the SHA-256 of the
policy file and, when the file lives in a git work tree, the author of its last
commit. :func:`numbers_at` answers "what had we agreed when the incident
happened?".

Items read ``<subject> <field>``: ``checkout/availability target``,
``checkout data_loss``, ``agreement agreed_on``. An item that no longer applies
is recorded with ``new_value`` None.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from onwatch.policy import Policy
from onwatch.policy.objectives import AvailabilityObjective, LatencyObjective
from onwatch.policy.types import format_duration, format_percent
from onwatch.store.tables import agreement_changes

__all__ = [
    "AgreementChange",
    "agreed_numbers",
    "git_author",
    "history",
    "numbers_at",
    "record_policy",
]

GIT_TIMEOUT = 5.0  # seconds; a wedged git must not hold up a start or a reload


@dataclass(frozen=True)
class AgreementChange:
    """One agreed number that changed (``old_value`` None: first recorded)."""

    id: int
    changed_at: int
    policy_hash: str
    author: str | None
    item: str
    old_value: str | None
    new_value: str | None


def _objective_numbers(
    subject: str, objective: AvailabilityObjective | LatencyObjective, zone: str
) -> Iterator[tuple[str, str]]:
    yield f"{subject} target", format_percent(objective.target)
    yield f"{subject} window", objective.window.label
    if isinstance(objective, LatencyObjective):
        yield f"{subject} threshold", format_duration(objective.threshold)
        yield f"{subject} phase", objective.phase
    if objective.time_slices is not None:
        slices = objective.time_slices
        yield (
            f"{subject} time_slices",
            f"{format_duration(slices.length)}, bad above {format_percent(slices.bad_above)}",
        )
    if objective.lenient:
        ranges = []
        for hours in objective.lenient:
            softer = (
                f"target {format_percent(hours.target)}"
                if hours.target is not None
                else f"allowance {format_duration(hours.allowance)}"
                if hours.allowance is not None
                else ""
            )
            ranges.append(f"{hours.start:%H:%M}-{hours.end:%H:%M} {softer}")
        yield f"{subject} lenient", f"{'; '.join(ranges)} ({objective.timezone or zone})"
    tiers = [
        f"{tier.as_tier().name} at {tier.burn_rate:g}x over {format_duration(tier.long)} "
        f"and {format_duration(tier.short)}"
        for tier in objective.alerts.tiers
    ]
    yield (
        f"{subject} alerts",
        f"{'; '.join(tiers)}; at least {objective.alerts.min_bad_events} bad events",
    )


def agreed_numbers(policy: Policy) -> dict[str, str]:
    """Every agreed number of the policy as ``item → value`` text, in policy order."""
    numbers: dict[str, str] = {}
    zone = policy.settings.timezone
    for service in policy.services:
        objectives = service.objectives
        for objective in objectives.all:
            numbers.update(_objective_numbers(f"{service.name}/{objective.name}", objective, zone))
        if objectives.data_loss is not None:
            numbers[f"{service.name} data_loss"] = format_duration(objectives.data_loss)
        if objectives.restore_time is not None:
            numbers[f"{service.name} restore_time"] = format_duration(objectives.restore_time)
    agreement = policy.agreement
    if agreement is not None:
        numbers["agreement agreed_by"] = ", ".join(
            f"{person.name} ({person.role})" if person.role else person.name
            for person in agreement.agreed_by
        )
        numbers["agreement agreed_on"] = agreement.agreed_on.isoformat()
        numbers["agreement review_every"] = format_duration(agreement.review_every)
    return numbers


def git_author(path: Path) -> str | None:
    """``Name <email>`` of the last commit that touched ``path``, or None outside git."""
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%an <%ae>", "--", path.name],
            cwd=path.resolve().parent,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, no folder, too slow
        return None
    author = done.stdout.strip()
    return author if done.returncode == 0 and author else None


def _latest(connection: Connection, at: float | None = None) -> dict[str, str | None]:
    """The last recorded value of every item (at or before ``at``), None for removed ones."""
    table = agreement_changes
    last = select(func.max(table.c.id).label("id")).group_by(table.c.item)
    if at is not None:
        last = last.where(table.c.changed_at <= int(at))
    query = select(table.c.item, table.c.new_value).where(table.c.id.in_(last.scalar_subquery()))
    return {row.item: row.new_value for row in connection.execute(query)}


def record_policy(
    connection: Connection, policy: Policy, policy_path: Path, now: float
) -> list[AgreementChange]:
    """Record every agreed number that differs from the last recorded one; the new rows."""
    digest = hashlib.sha256(policy_path.read_bytes()).hexdigest()
    current: dict[str, str | None] = dict(agreed_numbers(policy))
    latest = _latest(connection)
    gone = [item for item, value in latest.items() if value is not None and item not in current]
    wanted = current | dict.fromkeys(gone)
    changes = [(item, latest.get(item), value) for item, value in wanted.items()]
    changes = [change for change in changes if change[1] != change[2]]
    if not changes:
        return []
    author = git_author(policy_path)
    rows: list[dict[str, Any]] = [
        {
            "changed_at": int(now),
            "policy_hash": digest,
            "author": author,
            "item": item,
            "old_value": old,
            "new_value": new,
        }
        for item, old, new in changes
    ]
    recorded = []
    for row in rows:  # one by one: RETURNING of a multi-row insert differs per backend
        change_id = connection.execute(
            insert(agreement_changes).values(row).returning(agreement_changes.c.id)
        ).scalar_one()
        recorded.append(AgreementChange(id=change_id, **row))
    return recorded


def history(connection: Connection, item_prefix: str | None = None) -> list[AgreementChange]:
    """Every recorded change, oldest first; only items starting with ``item_prefix`` if given."""
    table = agreement_changes
    query = select(*table.c).order_by(table.c.id)
    if item_prefix:
        query = query.where(table.c.item.startswith(item_prefix, autoescape=True))
    return [AgreementChange(*row) for row in connection.execute(query)]


def numbers_at(connection: Connection, at: float) -> dict[str, str]:
    """The agreed numbers as recorded at ``at`` (Unix seconds): what had been agreed then."""
    return {item: value for item, value in _latest(connection, at).items() if value is not None}
