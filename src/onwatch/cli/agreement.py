"""``onwatch agreement``: the published agreement on the command line, and its share links.

``onwatch agreement --format md|html`` prints (or writes with ``--output``) the
agreement with the standing against every number, worked out from the stored
checks; ``share``, ``links`` and ``unshare`` manage the links that show the
``/agreement`` page to people without an account; ``history`` lists every
recorded change of an agreed number.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onwatch.cli.common import (
    DbOption,
    PolicyOption,
    cli_actor,
    connected,
    database_url,
    err,
    lifetime,
    out,
    policy_path,
)
from onwatch.cli.tokens import format_date


class Format(StrEnum):
    MD = "md"
    HTML = "html"


agreement_app = typer.Typer(
    help="The published reliability agreement: print it, share it, see its history.",
    invoke_without_command=True,
)


@agreement_app.callback()
def agreement(
    ctx: typer.Context,
    format_: Annotated[
        Format,
        typer.Option("--format", "-f", help="md (Markdown) or html (one self-contained page)."),
    ] = Format.MD,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """Print the agreement: every service's numbers in plain words and how they stand now."""
    if ctx.invoked_subcommand is not None:
        return
    from onwatch.agreement.document import build_document
    from onwatch.agreement.render import html, markdown
    from onwatch.policy import load_policy
    from onwatch.slo.standings import all_excluded_reasons, evaluate_from_store
    from onwatch.store.agreement_log import history
    from onwatch.store.database import open_database

    loaded = load_policy(policy_path(policy))
    database = open_database(database_url(db))
    now = time.time()
    try:
        evaluations = evaluate_from_store(database, loaded, now)
        reasons = all_excluded_reasons(database, evaluations)
        with database.engine.connect() as connection:
            changes = list(reversed(history(connection)))
    finally:
        database.dispose()
    document = build_document(loaded, evaluations, now, changes, reasons)
    text = markdown(document) if format_ is Format.MD else html(document)
    if output is None:
        out.print(text, highlight=False, markup=False, soft_wrap=True)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False, markup=False)
    if document.review is not None and document.review.overdue:
        err.print(f"note: {document.review.summary}", style="yellow", highlight=False, markup=False)


@agreement_app.command("share")
def share(
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Lifetime, e.g. 30d, 12w (default: until unshared)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Make a link that shows the agreement without a login; printed once, never stored."""
    from onwatch.settings import load_settings
    from onwatch.store.agreement_links import create_link

    expires_in = lifetime(expires)
    with connected(db, write=True) as connection:
        link = create_link(
            connection, created_by=cli_actor(), now=time.time(), expires_in=expires_in
        )
    until = format_date(link.info.expires_at)
    err.print(
        f"share link {link.info.id} (expires: {until}). Copy it now: only its hash is stored. "
        f"Revoke it with: onwatch agreement unshare {link.info.id}",
        style="yellow",
        highlight=False,
        markup=False,
    )
    url = f"{load_settings().public_url}/agreement/shared/{link.secret}"
    out.print(url, highlight=False, markup=False, soft_wrap=True)


@agreement_app.command("links")
def links(db: DbOption = None) -> None:
    """List share links: id, first characters, who made them, expiry, revocation."""
    from onwatch.store.agreement_links import list_links

    with connected(db) as connection:
        rows = list_links(connection)
    if not rows:
        err.print("no share links (make one with: onwatch agreement share)", highlight=False)
        return
    now = time.time()
    table = Table("id", "starts with", "made by", "made on", "expires", "state")
    for link in rows:
        state = "live" if link.usable(now) else ("revoked" if link.revoked_at else "expired")
        table.add_row(
            str(link.id),
            link.prefix,
            link.created_by,
            format_date(link.created_at),
            format_date(link.expires_at),
            state,
        )
    out.print(table)


@agreement_app.command("unshare")
def unshare(
    link_id: Annotated[int, typer.Argument(help="The link's id (see: onwatch agreement links).")],
    db: DbOption = None,
) -> None:
    """Revoke a share link at once."""
    from onwatch.store.agreement_links import revoke_link

    with connected(db, write=True) as connection:
        revoke_link(connection, link_id, now=time.time())
    err.print(f"share link {link_id} revoked", highlight=False)


@agreement_app.command("history")
def show_history(
    item: Annotated[
        str | None, typer.Option("--item", help="Only items starting with this (e.g. checkout/).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Every recorded change of an agreed number: when, old → new, who, policy hash."""
    from onwatch.cli.users import format_time
    from onwatch.store.agreement_log import history

    with connected(db) as connection:
        changes = history(connection, item)
    if not changes:
        err.print(
            "no recorded changes yet (they are recorded when onwatch serve starts or reloads)"
        )
        return
    table = Table("when (UTC)", "item", "before", "after", "by", "policy")
    for change in changes:
        table.add_row(
            format_time(change.changed_at),
            change.item,
            change.old_value or "—",
            change.new_value if change.new_value is not None else "(removed)",
            change.author or "—",
            change.policy_hash[:10],
        )
    out.print(table)
