"""``onwatch incidents|incident|ack|resolve``: see and handle incidents from a terminal.

``ack`` stops the cascade; ``resolve`` tells everyone who was paged. Both
record who did it (``--as``, else the OS user) and that it came from the
command line, exactly as the API and the acknowledge links do.
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

IncidentId = Annotated[int, typer.Argument(help="The incident's id (see: onwatch incidents).")]


def _utc(when: float | None) -> str:
    if when is None:
        return "-"
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command()
def incidents(
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too (newest 100).")] = False,
    db: DbOption = None,
) -> None:
    """Open incidents (or all): id, state, severity, what, since when, who acknowledged."""
    from onwatch.incidents import list_incidents, open_incidents

    with connected(db) as connection:
        found = list_incidents(connection) if all_ else open_incidents(connection)
    if not found:
        err.print("no incidents" + ("" if all_ else " open"), highlight=False)
        return
    table = Table("id", "state", "severity", "what", "opened (UTC)", "acknowledged by")
    for item in found:
        table.add_row(
            str(item.id),
            item.state,
            item.severity,
            item.title + (" (maintenance)" if item.in_maintenance else ""),
            _utc(item.opened_at),
            item.acknowledged_by or "-",
        )
    out.print(table)


@app.command()
def incident(incident_id: IncidentId, db: DbOption = None) -> None:
    """One incident's timeline and every notification attempt."""
    from onwatch.incidents import get_incident, timeline
    from onwatch.notify.outbox import attempts_for

    with connected(db) as connection:
        found = get_incident(connection, incident_id)
        events = timeline(connection, incident_id)
        attempts = attempts_for(connection, incident_id)
    out.print(f"incident {found.id}: {found.title} ({found.severity}, {found.state})", markup=False)
    table = Table("when (UTC)", "what", "who", "via", "detail")
    for event in events:
        table.add_row(
            _utc(event.at), event.kind, event.actor or "-", event.via or "-", event.detail
        )
    out.print(table)
    if attempts:
        sent = Table("when (UTC)", "to", "step", "ok", "ms", "error")
        for attempt in attempts:
            sent.add_row(
                _utc(attempt.started_at),
                f"{attempt.contact}.{attempt.channel}",
                "-" if attempt.step is None else str(attempt.step),
                "yes" if attempt.ok else "no",
                f"{attempt.elapsed_ms:.0f}",
                attempt.error or "",
            )
        out.print(sent)


@app.command()
def ack(incident_id: IncidentId, as_user: AsOption = None, db: DbOption = None) -> None:
    """Acknowledge an incident: the cascade stops."""
    from onwatch.notify.actions import acknowledge_incident
    from onwatch.store.database import open_database

    database = open_database(database_url(db))
    try:
        done = acknowledge_incident(
            database, incident_id, by=operator(as_user), via="cli", now=time.time()
        )
    finally:
        database.dispose()
    out.print(f"acknowledged incident {done.id}: {done.title}", highlight=False, markup=False)


@app.command()
def resolve(
    incident_id: IncidentId,
    as_user: AsOption = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Resolve an incident and tell everyone who was paged."""
    from onwatch.notify.actions import resolve_incident
    from onwatch.policy import load_policy
    from onwatch.store.database import open_database

    loaded = load_policy(policy_path(policy))
    database = open_database(database_url(db))
    try:
        done = resolve_incident(
            database, loaded, incident_id, by=operator(as_user), via="cli", now=time.time()
        )
    finally:
        database.dispose()
    out.print(f"resolved incident {done.id}: {done.title}", highlight=False, markup=False)
