"""``onwatch mute|unmute|mutes``: silence a monitor's notifications for a while, on record.

A mute needs a reason and a length (at most 30 days) and ends by itself;
incidents of a muted monitor are still opened and shown, only their
notifications are held back. Who muted and who unmuted is kept.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from onwatch.cli.common import (
    AsOption,
    DbOption,
    PolicyOption,
    connected,
    database_url,
    err,
    operator,
    out,
    policy_path,
)

app = typer.Typer()


def _utc(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


@app.command()
def mute(
    name: Annotated[str, typer.Argument(help="The monitor, pool or pool backend (api#1).")],
    lasting: Annotated[str, typer.Option("--for", help="How long, e.g. 30m, 2h, 1d.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; shown wherever the monitor is.")],
    as_user: AsOption = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Hold back a monitor's notifications for a while; incidents are still recorded."""
    from onwatch.policy import load_policy
    from onwatch.policy.checks import suggest
    from onwatch.policy.types import parse_duration
    from onwatch.store.database import open_database
    from onwatch.store.maintenance_request import monitor_names
    from onwatch.store.mutes import add_mute

    known = monitor_names(load_policy(policy_path(policy)))
    if name not in known:
        raise typer.BadParameter(
            f'"{name}" is not a monitor{suggest(name, known)}', param_hint="NAME"
        )
    try:
        length = parse_duration(lasting)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--for") from None
    database = open_database(database_url(db))
    try:
        with database.engine.begin() as connection:
            made = add_mute(
                connection,
                monitor=name,
                reason=reason,
                lasting=length,
                created_by=operator(as_user),
                now=time.time(),
            )
    except ValueError as exc:
        hint = "--reason" if "reason" in str(exc) else "--for"
        raise typer.BadParameter(str(exc), param_hint=hint) from None
    finally:
        database.dispose()
    out.print(
        f"muted {name} until {_utc(made.expires_at)} (mute {made.id}): {made.reason}",
        highlight=False,
        markup=False,
    )


@app.command()
def unmute(
    mute_id: Annotated[int, typer.Argument(help="The mute's id (see: onwatch mutes).")],
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """End a mute now."""
    from onwatch.store.mutes import end_mute

    with connected(db, write=True) as connection:
        ended = end_mute(connection, mute_id, by=operator(as_user), now=time.time())
    out.print(f"unmuted {ended.monitor} (mute {ended.id})", highlight=False, markup=False)


@app.command()
def mutes(
    all_: Annotated[bool, typer.Option("--all", help="Include expired and ended mutes.")] = False,
    db: DbOption = None,
) -> None:
    """List mutes: monitor, until when, who, why."""
    from onwatch.store.mutes import list_mutes

    now = time.time()
    with connected(db) as connection:
        found = list_mutes(connection, now=now, include_past=all_)
    if not found:
        err.print("no mutes" + ("" if all_ else " silencing now"), highlight=False)
        return
    table = Table("id", "monitor", "until", "by", "reason", "state")
    for item in found:
        state = (
            "active"
            if item.active(now)
            else f"ended by {item.ended_by}"
            if item.ended_by
            else "expired"
        )
        until = item.ended_at if item.ended_at is not None else item.expires_at
        table.add_row(str(item.id), item.monitor, _utc(until), item.created_by, item.reason, state)
    out.print(table)
