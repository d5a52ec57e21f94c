"""Checks across sections for teams, rotations, escalation policies and routes.

Registered with :func:`~onwatch.policy.checks.cross_check` when this module is
imported (by :mod:`onwatch.policy.models`); they read the raw document, so a
dangling target is reported in the same run as a malformed value elsewhere and
points at the exact list item: unknown contacts, teams, rotations and
channels, steps that go backwards, unknown members, names shared between
contacts, teams and rotations, routes to nowhere, and incidents no policy takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from onwatch.policy.checks import cross_check, names_in, section_items, suggest, unique_names
from onwatch.policy.escalation import DEFAULT_ESCALATION, TARGET_SECTIONS, parse_delay
from onwatch.policy.issues import Issue
from onwatch.policy.objectives import objective_items
from onwatch.policy.source import DataPath, Document
from onwatch.policy.types import format_duration
from onwatch.slo.model import DEFAULT_TIERS

for _section in ("teams", "oncall", "escalation"):
    cross_check(unique_names(_section))


@cross_check
def _target_names_are_unique_across_contacts_teams_and_rotations(
    document: Document,
) -> Iterator[Issue]:
    seen: dict[str, tuple[str, DataPath]] = {}
    for section in TARGET_SECTIONS:
        for name, path in names_in(document, section).items():
            if name in seen and seen[name][0] != section:
                first_section, first_path = seen[name]
                line = document.position((*first_path, "name"))[0]
                yield document.issue(
                    (*path, "name"),
                    f'"{name}" is already the name of {_WHAT[first_section]} on line {line}; '
                    "contacts, teams and rotations share names so that a target means one thing",
                )
            seen.setdefault(name, (section, path))


_WHAT = {"contacts": "a contact", "teams": "a team", "oncall": "a rotation"}


@cross_check
def _members_are_contacts(document: Document) -> Iterator[Issue]:
    contacts = names_in(document, "contacts")
    for section in ("teams", "oncall"):
        for path, item in section_items(document, section):
            members = item.get("members")
            for index, member in enumerate(members if isinstance(members, list) else []):
                if isinstance(member, str) and member not in contacts:
                    yield document.issue(
                        (*path, "members", index),
                        f'"{member}" is not a contact{suggest(member, contacts)}',
                    )


def _channels(item: dict[str, Any]) -> list[str]:
    channels = item.get("channels")
    return [str(key) for key in channels] if isinstance(channels, dict) else []


@cross_check
def _steps_notify_known_targets(document: Document) -> Iterator[Issue]:
    contacts = {item["name"]: item for _, item in section_items(document, "contacts")
                if isinstance(item.get("name"), str)}  # fmt: skip
    groups = {
        item["name"]: (_WHAT[section][2:], item.get("members"))
        for section in ("teams", "oncall")
        for _, item in section_items(document, section)
        if isinstance(item.get("name"), str)
    }
    for path, step in _steps(document):
        notify = step.get("notify")
        for index, target in enumerate(notify if isinstance(notify, list) else []):
            if not isinstance(target, str) or "." not in target:
                continue  # the model reports the shape
            name, _, channel = target.partition(".")
            where = (*path, "notify", index)
            if name in contacts:
                have = _channels(contacts[name])
                if channel not in have:
                    yield document.issue(
                        where,
                        f'{name} has no channel "{channel}"{suggest(channel, have)}; '
                        f"{name}'s channels: {', '.join(have) or 'none'}",
                    )
            elif name in groups:
                kind, members = groups[name]
                lacking = [
                    member
                    for member in (members if isinstance(members, list) else [])
                    if member in contacts and channel not in _channels(contacts[member])
                ]
                if lacking:
                    who = lacking[0]
                    yield document.issue(
                        where,
                        f'{kind} {name} reaches every member on "{channel}", but {who} has no '
                        f"such channel ({who}'s channels: {', '.join(_channels(contacts[who]))})",
                    )
            else:
                known = [*contacts, *groups]
                yield document.issue(
                    where,
                    f'"{name}" is not a contact, team or rotation{suggest(name, known)}',
                )


def _steps(document: Document) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    for path, item in section_items(document, "escalation"):
        steps = item.get("steps")
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                yield (*path, "steps", index), step


@cross_check
def _steps_do_not_go_backwards(document: Document) -> Iterator[Issue]:
    for path, item in section_items(document, "escalation"):
        steps = item.get("steps")
        previous: timedelta | None = None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            try:
                after = parse_delay(step.get("after")) if isinstance(step, dict) else None
            except ValueError:
                after = None  # the model reports it
            if after is None:
                continue
            if previous is not None and after < previous:
                yield document.issue(
                    (*path, "steps", index, "after"),
                    f"{format_duration(after)} goes backwards: the step before runs at "
                    f"{format_duration(previous)}; list steps in the order they run",
                )
            previous = after if previous is None else max(previous, after)


@cross_check
def _routes_name_known_escalations_and_services(document: Document) -> Iterator[Issue]:
    known = {
        "escalation": names_in(document, "escalation"),
        "service": names_in(document, "services"),
    }
    for path, item in section_items(document, "routes"):
        for key, names in known.items():
            value = item.get(key)
            if isinstance(value, str) and value not in names:
                what = "an escalation policy" if key == "escalation" else "a service"
                yield document.issue(
                    (*path, key), f'"{value}" is not {what}{suggest(value, names)}'
                )


@cross_check
def _every_incident_has_an_escalation(document: Document) -> Iterator[Issue]:
    """Without a "default" policy, every monitor's and objective's incidents need a route."""
    if not names_in(document, "escalation") or DEFAULT_ESCALATION in names_in(
        document, "escalation"
    ):
        return
    routes = [item for _, item in section_items(document, "routes")]

    def routed(severity: str, service: Any) -> bool:
        return any(
            route.get("severity") in (None, severity) and route.get("service") in (None, service)
            for route in routes
        )

    needs: list[tuple[DataPath, str, Any]] = [
        (path, "page", item.get("service"))
        for section in ("monitors", "pools")
        for path, item in section_items(document, section)
    ]
    for service, _, path, objective in objective_items(document):
        alerts = objective.get("alerts")
        tiers = alerts.get("tiers") if isinstance(alerts, dict) else None
        severities = (
            {tier.get("severity") for tier in tiers if isinstance(tier, dict)}
            if isinstance(tiers, list)
            else {tier.severity for tier in DEFAULT_TIERS}
        )
        needs += [(path, str(s), service.get("name")) for s in sorted(severities, key=str)]
    for path, severity, service in needs:
        if severity in ("page", "ticket") and not routed(severity, service):
            of = f" of service {service}" if isinstance(service, str) else ""
            yield document.issue(
                path,
                f"its {severity} incidents{of} match no route, and no escalation policy is "
                f'named "{DEFAULT_ESCALATION}": add one, or a route for them',
            )
