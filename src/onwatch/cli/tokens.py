"""API token commands: ``onwatch token create|list|revoke``.

``token create`` prints the token alone on stdout (so ``TOKEN=$(onwatch token
create ...)`` works) and the warning on stderr; only its hash is stored.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from onwatch.accounts.roles import Role
from onwatch.cli.common import DbOption, cli_actor, database_url, err, lifetime, out
from onwatch.cli.users import format_time


def format_date(when: int | None, never: str = "never") -> str:
    """A Unix time as its UTC date, ``2026-11-22``."""
    return never if when is None else format_time(when)[:10]


token_app = typer.Typer(help="API bearer tokens for scripts and CI.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="A name to tell the token apart.")],
    role: Annotated[
        Role, typer.Option("--role", help="viewer, editor or admin.", case_sensitive=False)
    ] = Role.VIEWER,
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Lifetime, e.g. 90d, 12h, 2w (default: never expires)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a token and print it once; it cannot be shown again."""
    from onwatch.accounts.tokens import create_token
    from onwatch.store.database import open_database

    expires_in = lifetime(expires)
    database = open_database(database_url(db))
    try:
        new = create_token(database, name, role, created_by=cli_actor(), expires_in=expires_in)
    finally:
        database.dispose()
    until = format_time(new.info.expires_at) + (" UTC" if new.info.expires_at else "")
    err.print(
        f"token {name} ({new.info.role}, expires: {until}). Copy it now: "
        "it is not stored and will not be shown again.",
        style="yellow",
        highlight=False,
        markup=False,
    )
    out.print(new.plaintext, highlight=False, markup=False, soft_wrap=True)


@token_app.command("list")
def token_list(db: DbOption = None) -> None:
    """List tokens: name, first characters, role, dates; revoked ones too."""
    from onwatch.accounts.tokens import list_tokens
    from onwatch.store.database import open_database

    database = open_database(database_url(db))
    try:
        tokens = list_tokens(database)
    finally:
        database.dispose()
    if not tokens:
        out.print("no tokens yet: `onwatch token create --name NAME`", highlight=False)
        return
    # Dates only (UTC): seven columns must fit 80 characters, and a wrapped prefix
    # could not be searched for.
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("name", overflow="fold")
    for header in ("prefix", "role", "created", "expires", "last used", "revoked"):
        table.add_column(header, no_wrap=True)
    for token in tokens:
        table.add_row(
            token.name,
            token.prefix,
            token.role.value,
            format_date(token.created_at),
            format_date(token.expires_at),
            format_date(token.last_used_at),
            format_date(token.revoked_at, never="-"),
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.", show_default=False)],
    db: DbOption = None,
) -> None:
    """Revoke a token at once; requests using it get 401 from now on."""
    from onwatch.accounts.tokens import revoke_token
    from onwatch.store.database import open_database

    database = open_database(database_url(db))
    try:
        info = revoke_token(database, name)
    finally:
        database.dispose()
    out.print(
        f"token {name} revoked (at {format_time(info.revoked_at)} UTC)",
        highlight=False,
        markup=False,
    )
