"""Maintenance commands: ``onwatch maintenance add|list|cancel``.

Runtime windows join the policy's in the database; the running service picks
them up within one evaluation round. Names are checked against the policy
(``--policy``), with the closest name suggested on a typo. Times are wall-clock
times in the policy's time zone unless ``--timezone`` says otherwise.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from onwatch.cli.common import (
    AsOption,
    DbOption,
    PolicyOption,
    connected,
    operator,
    out,
    policy_path,
)

if TYPE_CHECKING:
    from onwatch.store.maintenance import ListedWindow, State

# Store modules are imported inside the commands, as in cli/db.py: `--help` stays fast.
maintenance_app = typer.Typer(
    help="Maintenance windows: planned time left out of every error budget.",
    no_args_is_help=True,
)

FLAGS = {
    "services": "--service",
    "monitors": "--monitor",
    "start": "--start",
    "end": "--end",
    "duration": "--duration",
    "reason": "--reason",
    "rrule": "--rrule",
    "timezone": "--timezone",
}
"""The flag of each field :func:`~onwatch.store.maintenance_request.check_window` may refuse."""


def _moment(unix_seconds: float, zone: str) -> str:
    local = datetime.fromtimestamp(unix_seconds, UTC).astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def describe_occurrence(item: ListedWindow) -> str:
    """``now until 2026-12-06 23:00 CET``, ``2026-12-06 22:00 CET for 2h``, or ``ended …``."""
    from onwatch.policy.types import format_duration

    window = item.window
    if item.occurrence is None:
        return "never happened" if window.cancelled_at is not None else "-"
    begin, end = item.occurrence
    if item.state == "active":
        return f"now, until {_moment(end, window.timezone)}"
    if item.state == "upcoming":
        return f"{_moment(begin, window.timezone)} for {format_duration(window.duration)}"
    return f"ended {_moment(end, window.timezone)}"


@maintenance_app.command("add")
def maintenance_add(
    reason: Annotated[
        str, typer.Option("--reason", help="Why, for the people who see the window.")
    ],
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="A service it covers (repeatable)."),
    ] = None,
    monitor: Annotated[
        list[str] | None,
        typer.Option(
            "--monitor", "-m", help="A monitor, pool or pool backend it covers (repeatable)."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help='When it starts, e.g. "2026-12-06 22:00" (default: now).'),
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="How long, e.g. 2h or 90m.")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end", help='When it ends, e.g. "2026-12-07 00:00" (instead of --duration).'
        ),
    ] = None,
    rrule: Annotated[
        str | None,
        typer.Option("--rrule", help="Repeat it (RFC 5545), e.g. FREQ=WEEKLY;BYDAY=SU."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="Zone of --start and --end (default: the policy's)."),
    ] = None,
    as_user: AsOption = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Add a maintenance window: its failures count against no budget and page nobody."""
    from onwatch.policy import load_policy
    from onwatch.store.maintenance import ListedWindow, add_window
    from onwatch.store.maintenance_request import InvalidWindowError, check_window

    loaded = load_policy(policy_path(policy))
    now = time.time()
    try:
        request = check_window(
            loaded,
            reason=reason,
            services=list(service or []),
            monitors=list(monitor or []),
            now=now,
            start=start,
            end=end,
            duration=duration,
            rrule=rrule,
            timezone=timezone,
        )
    except InvalidWindowError as exc:
        raise typer.BadParameter(exc.problem, param_hint=FLAGS[exc.field]) from None
    with connected(db, write=True) as connection:
        window = add_window(connection, request, created_by=operator(as_user), now=now)
    when = describe_occurrence(ListedWindow.of(window, now))
    out.print(
        f"added maintenance window {window.id} ({window.scope}): {when}",
        highlight=False,
        markup=False,
    )


@maintenance_app.command("list")
def maintenance_list(
    all_windows: Annotated[
        bool, typer.Option("--all", help="Also list windows that are over or cancelled.")
    ] = False,
    db: DbOption = None,
) -> None:
    """List active and upcoming windows (with --all: past and cancelled ones too)."""
    from onwatch.store.maintenance import list_windows

    states: tuple[State, ...] = (
        ("active", "upcoming", "past") if all_windows else ("active", "upcoming")
    )
    with connected(db) as connection:
        listed = list_windows(connection, now=time.time(), states=states)
    if not listed:
        hint = "" if all_windows else " (`--all` shows past ones)"
        out.print(f"no maintenance windows{hint}", highlight=False, markup=False)
        return
    table = Table("id")
    for header in ("source", "scope", "when", "reason", "created by"):
        table.add_column(header, overflow="fold")  # cut names could not be searched for
    for item in listed:
        window = item.window
        source = f"policy: {window.name}" if window.source == "policy" else window.source
        if window.cancelled_at is not None:
            source += f" (cancelled by {window.cancelled_by})"
        table.add_row(
            str(window.id),
            source,
            window.scope,
            describe_occurrence(item) + (f", {window.rrule}" if window.rrule else ""),
            window.reason,
            window.created_by,
        )
    out.print(table)


@maintenance_app.command("cancel")
def maintenance_cancel(
    window_id: Annotated[
        int, typer.Argument(metavar="ID", help="The window's id (see `onwatch maintenance list`).")
    ],
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """End a runtime window now; from now on its monitors count again."""
    from onwatch.store.maintenance import cancel_window

    with connected(db, write=True) as connection:
        window = cancel_window(connection, window_id, by=operator(as_user), now=time.time())
    out.print(
        f"cancelled maintenance window {window.id} ({window.reason}); "
        f"cancelled by {window.cancelled_by}",
        highlight=False,
        markup=False,
    )
