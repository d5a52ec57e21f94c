"""Checks across sections, run on the raw document even when fields fail validation.

A section that refers to another (an escalation naming a contact, an objective
naming a service) registers a check here with :func:`cross_check`. Checks read
the plain data, not the models, so a user sees a dangling reference in the same
run as a malformed duration elsewhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from onwatch.policy.issues import Issue
from onwatch.policy.source import DataPath, Document

CrossCheck = Callable[[Document], Iterable[Issue]]

_CHECKS: list[CrossCheck] = []


def cross_check(check: CrossCheck) -> CrossCheck:
    """Register a check that runs on every policy load."""
    _CHECKS.append(check)
    return check


def run_cross_checks(document: Document) -> list[Issue]:
    """Every registered check's issues."""
    return [issue for check in _CHECKS for issue in check(document)]


def section_items(document: Document, section: str) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    """The mapping items of a list section, with their paths; other shapes are skipped
    (validation reports those)."""
    data = document.data if isinstance(document.data, dict) else {}
    items = data.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (section, index), item


def names_in(document: Document, section: str) -> dict[str, DataPath]:
    """``name`` → path of the first item with that name in a list section."""
    names: dict[str, DataPath] = {}
    for path, item in section_items(document, section):
        name = item.get("name")
        if isinstance(name, str):
            names.setdefault(name, path)
    return names


def unique_names(section: str) -> CrossCheck:
    def check(document: Document) -> Iterator[Issue]:
        seen: dict[str, DataPath] = {}
        for path, item in section_items(document, section):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                first_line = document.position((*seen[name], "name"))[0]
                yield document.issue(
                    (*path, "name"),
                    f'"{name}" is already used on line {first_line}; names must be unique',
                )
            else:
                seen[name] = path

    check.__doc__ = f"Names in {section} are unique."
    return check


for _section in ("services", "contacts", "monitors", "pools"):
    cross_check(unique_names(_section))


@cross_check
def _monitor_names_are_unique_across_monitors_and_pools(document: Document) -> Iterator[Issue]:
    """Results are stored by monitor name, so a pool and a monitor cannot share one."""
    seen: dict[str, tuple[str, DataPath]] = {}
    for section in ("monitors", "pools"):
        for path, item in section_items(document, section):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if name in seen and seen[name][0] != section:
                first_section, first_path = seen[name]
                first_line = document.position((*first_path, "name"))[0]
                yield document.issue(
                    (*path, "name"),
                    f'"{name}" is already the name of a {first_section[:-1]} on line {first_line}',
                )
            seen.setdefault(name, (section, path))


@cross_check
def _monitors_name_known_services(document: Document) -> Iterator[Issue]:
    services = names_in(document, "services")
    for section in ("monitors", "pools"):
        for path, item in section_items(document, section):
            service = item.get("service")
            if isinstance(service, str) and service not in services:
                yield document.issue(
                    (*path, "service"), f'"{service}" is not a service{suggest(service, services)}'
                )


@cross_check
def _pools_have_enough_targets(document: Document) -> Iterator[Issue]:
    for path, item in section_items(document, "pools"):
        targets, needed = item.get("targets"), item.get("min_healthy", 2)
        if isinstance(targets, list) and isinstance(needed, int) and needed > len(targets):
            count = len(targets)
            where = (*path, "min_healthy") if "min_healthy" in item else (*path, "targets")
            yield document.issue(
                where,
                f"min_healthy is {needed} but the pool has only {count} target{'s' * (count != 1)}"
                + ("" if "min_healthy" in item else " (min_healthy defaults to 2)"),
            )


def suggest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""
