"""What every command shares: the consoles, the --db and --policy options, and their defaults."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Connection

from onwatch.settings import load_settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: ONWATCH_DATABASE_URL, else sqlite:///./onwatch.db).",
        show_default=False,
    ),
]


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Policy file (default: ONWATCH_POLICY_PATH, else ./onwatch.yaml).",
        show_default=False,
    ),
]


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Who does this, for the record (default: your OS user name).",
        show_default=False,
    ),
]


def database_url(db: str | None) -> str:
    """The ``--db`` flag, else the instance settings (env, onwatch.toml, default)."""
    return db or load_settings().database_url


def policy_path(policy: Path | None) -> Path:
    """The ``--policy`` flag, else the instance settings' ``policy_path``."""
    return policy or Path(load_settings().policy_path)


def os_user() -> str | None:
    """The OS account running the command, or None without a passwd entry (some containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def operator(given: str | None = None) -> str:
    """Who acts, for audit trails: ``--as`` when given, else the OS account, else ``cli``."""
    return given or os_user() or "cli"


def cli_actor() -> str:
    """Who made a token or a link from the command line: ``cli:<OS account>``."""
    user = os_user()
    return f"cli:{user}" if user else "cli"


def lifetime(expires: str | None) -> timedelta | None:
    """The ``--expires`` option (``90d``, ``12h``) as a timedelta; None means never."""
    from onwatch.accounts.tokens import parse_expiry

    try:
        return None if expires is None else parse_expiry(expires)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None


@contextmanager
def connected(db: str | None, *, write: bool = False) -> Iterator[Connection]:
    """A connection to the ``--db`` database for one command (one transaction with
    ``write``), the database closed afterwards."""
    from onwatch.store.database import open_database  # keeps `--help` fast

    database = open_database(database_url(db))
    try:
        with database.engine.begin() if write else database.engine.connect() as connection:
            yield connection
    finally:
        database.dispose()
