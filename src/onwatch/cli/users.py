"""User commands: ``onwatch user add|list|remove|reset-password``.

Passwords are prompted for twice on a terminal, or read from the first line of
stdin (``--password-stdin``, or whenever stdin is not a terminal), never taken
as an argument: arguments end up in shell history and ``ps``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from onwatch.accounts.roles import Role
from onwatch.cli.common import DbOption, database_url, err, out

# Store modules are imported inside the commands, as in cli/db.py: `--help` stays fast.
user_app = typer.Typer(help="Users of the dashboard and their roles.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The user name.", show_default=False)]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin, no prompt."
    ),
]


def read_password(from_stdin: bool) -> str:
    """The new password: from stdin when asked or not on a terminal, else prompted twice."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            err.print("error: no password on stdin", style="red", highlight=False)
            raise typer.Exit(1)
        return password
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


def format_time(when: int | None, never: str = "never") -> str:
    """A Unix time as ``2026-11-22 14:05`` (UTC) for tables."""
    if when is None:
        return never
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M")


@user_app.command("add")
def user_add(
    name: NameArgument,
    role: Annotated[
        Role, typer.Option("--role", help="viewer, editor or admin.", case_sensitive=False)
    ] = Role.VIEWER,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
) -> None:
    """Add a user (passwords: at least 12 characters)."""
    from onwatch.accounts.users import add_user, check_password, check_username
    from onwatch.store.database import open_database

    check_username(name)
    password = read_password(password_stdin)
    check_password(password, name)  # before opening the database: a quick, clear refusal
    database = open_database(database_url(db))
    try:
        user = add_user(database, name, password, role)
    finally:
        database.dispose()
    out.print(f"added user {user.username} ({user.role})", highlight=False, markup=False)


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List users with their role and when they were added."""
    from onwatch.accounts.users import list_users
    from onwatch.store.database import open_database

    database = open_database(database_url(db))
    try:
        users = list_users(database)
    finally:
        database.dispose()
    if not users:
        out.print("no users yet: `onwatch user add NAME --role admin`", highlight=False)
        return
    table = Table("name", "role", "created (UTC)")
    for user in users:
        table.add_row(user.username, user.role.value, format_time(user.created_at))
    out.print(table)


@user_app.command("remove")
def user_remove(name: NameArgument, db: DbOption = None) -> None:
    """Remove a user; their sessions end at once (the last admin cannot be removed)."""
    from onwatch.accounts.users import remove_user
    from onwatch.store.database import open_database

    database = open_database(database_url(db))
    try:
        remove_user(database, name)
    finally:
        database.dispose()
    out.print(f"removed user {name}", highlight=False, markup=False)


@user_app.command("reset-password")
def user_reset_password(
    name: NameArgument, password_stdin: PasswordStdinOption = False, db: DbOption = None
) -> None:
    """Set a new password; every session of the user ends."""
    from onwatch.accounts.users import check_password, reset_password
    from onwatch.store.database import open_database

    password = read_password(password_stdin)
    check_password(password, name)
    database = open_database(database_url(db))
    try:
        reset_password(database, name, password)
    finally:
        database.dispose()
    out.print(
        f"new password set for {name}; their sessions have ended", highlight=False, markup=False
    )
