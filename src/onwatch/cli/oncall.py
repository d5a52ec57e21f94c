"""On-call commands: ``onwatch oncall`` (who is on call now and next) and overrides.

``onwatch oncall override CONTACT --rotation R --from … --to …`` puts someone
else on call for a while; times are wall-clock times in the rotation's zone.
Rotation and contact names are checked against the policy (``--policy``), with
the closest name suggested on a typo. Overrides live in the database (``--db``)
and are read by every node.
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
    database_url,
    operator,
    out,
    policy_path,
)

if TYPE_CHECKING:
    from onwatch.policy import Policy
    from onwatch.policy.escalation import Rotation
    from onwatch.store.oncall import StoredOverride

# Store modules are imported inside the commands, as in cli/db.py: `--help` stays fast.
oncall_app = typer.Typer(
    help="On-call rotations: who is on call now and next; overrides for holidays and swaps.",
    invoke_without_command=True,
)


def _moment(unix_seconds: float, zone: str) -> str:
    local = datetime.fromtimestamp(unix_seconds, UTC).astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def _instant(value: str, zone: str, flag: str) -> float:
    """A wall-clock time in ``zone`` (or with an offset) as Unix seconds."""
    from onwatch.policy.maintenance import parse_start

    try:
        moment = parse_start(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.timestamp()


def _rotation(policy: Policy, name: str) -> Rotation:
    from onwatch.policy.checks import suggest

    rotation = policy.rotation(name)
    if rotation is None:
        known = [r.name for r in policy.oncall]
        hint = suggest(name, known) or f" (rotations: {', '.join(known) or 'none'})"
        raise typer.BadParameter(f'"{name}" is not a rotation{hint}', param_hint="--rotation")
    return rotation


def _overrides(db: str | None, now: float) -> list[StoredOverride]:
    from onwatch.store.oncall import list_overrides

    with connected(db) as connection:
        return list_overrides(connection, now=now)


@oncall_app.callback()
def oncall_now(
    context: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help='Ask about another time, e.g. "2026-12-24 20:00" (in settings.timezone).',
            show_default=False,
        ),
    ] = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Show each rotation: who is on call, until when, and who is next."""
    if context.invoked_subcommand is not None:
        return
    from onwatch.notify.oncall import next_change, on_call
    from onwatch.policy import load_policy

    loaded = load_policy(policy_path(policy))
    if not loaded.oncall:
        out.print("no rotations in the policy (see `oncall:` in docs/policy.md)", markup=False)
        return
    now = time.time()
    moment = now if at is None else _instant(at, loaded.settings.timezone, "--at")
    stored = _overrides(db, min(now, moment))
    overrides = [item.as_override() for item in stored]
    table = Table("rotation", "on call", "until", "next")
    for rotation in loaded.oncall:
        covering = any(o.rotation == rotation.name and o.covers(moment) for o in overrides)
        until, after = next_change(rotation, moment, overrides)
        table.add_row(
            rotation.name,
            on_call(rotation, moment, overrides) + (" (override)" if covering else ""),
            _moment(until, rotation.timezone),
            after,
        )
    out.print(table)


@oncall_app.command("override")
def oncall_override(
    contact: Annotated[str, typer.Argument(help="Who is on call instead.")],
    rotation: Annotated[str, typer.Option("--rotation", "-r", help="The rotation covered.")],
    start: Annotated[
        str, typer.Option("--from", help='From when, e.g. "2026-12-24 18:00" (rotation\'s zone).')
    ],
    end: Annotated[
        str, typer.Option("--to", help='Until when, e.g. "2026-12-26 09:00" (rotation\'s zone).')
    ],
    as_user: AsOption = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Put CONTACT on call for a rotation from --from to --to."""
    from onwatch.policy import load_policy
    from onwatch.policy.checks import suggest
    from onwatch.store.database import open_database
    from onwatch.store.oncall import InvalidOverrideError, add_override

    loaded = load_policy(policy_path(policy))
    chosen = _rotation(loaded, rotation)
    if loaded.contact(contact) is None:
        known = [c.name for c in loaded.contacts]
        raise typer.BadParameter(
            f'"{contact}" is not a contact{suggest(contact, known)}', param_hint="CONTACT"
        )
    starts_at = _instant(start, chosen.timezone, "--from")
    ends_at = _instant(end, chosen.timezone, "--to")
    database = open_database(database_url(db))
    try:
        with database.engine.begin() as connection:
            added = add_override(
                connection,
                rotation=chosen.name,
                contact=contact,
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=operator(as_user),
                now=time.time(),
            )
    except InvalidOverrideError as exc:
        raise typer.BadParameter(str(exc), param_hint="--to") from None
    finally:
        database.dispose()
    out.print(
        f"added override {added.id}: {contact} is on call for {chosen.name} from "
        f"{_moment(starts_at, chosen.timezone)} to {_moment(ends_at, chosen.timezone)}",
        highlight=False,
        markup=False,
    )


@oncall_app.command("overrides")
def oncall_overrides(policy: PolicyOption = None, db: DbOption = None) -> None:
    """List overrides in force or to come."""
    from onwatch.policy import load_policy

    loaded = load_policy(policy_path(policy))
    listed = _overrides(db, time.time())
    if not listed:
        out.print("no overrides in force or to come", highlight=False, markup=False)
        return
    table = Table("id", "rotation", "contact", "from", "to", "created by")
    for item in listed:
        found = loaded.rotation(item.rotation)
        zone = found.timezone if found else loaded.settings.timezone
        table.add_row(
            str(item.id),
            item.rotation,
            item.contact,
            _moment(item.starts_at, zone),
            _moment(item.ends_at, zone),
            item.created_by,
        )
    out.print(table)


@oncall_app.command("cancel")
def oncall_cancel(
    override_id: Annotated[
        int,
        typer.Argument(metavar="ID", help="The override's id (see `onwatch oncall overrides`)."),
    ],
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Cancel an override: the rotation's own order counts again from now."""
    from onwatch.store.oncall import cancel_override

    with connected(db, write=True) as connection:
        cancelled = cancel_override(connection, override_id, now=time.time(), by=operator(as_user))
    out.print(
        f"cancelled override {cancelled.id} ({cancelled.contact} for {cancelled.rotation})",
        highlight=False,
        markup=False,
    )
