"""The ``onwatch`` command line: one Typer app, one function per command.

Commands print tables with Rich, put errors on stderr and exit 1 on any
:class:`~onwatch.errors.OnwatchError`, never with a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onwatch.errors import OnwatchError
from onwatch.policy import PolicyError, load_policy, policy_json_schema
from onwatch.redact import mask_url_password
from onwatch.settings import load_settings

# Store modules are imported inside the commands that need them: `onwatch --help`
# and `onwatch check` should not pay for SQLAlchemy and Alembic.
app = typer.Typer(
    name="onwatch",
    help="Reliability promises as running machinery: agree on the numbers, watch them, tell everyone.",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold secrets: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The database: migrations, retention, status.", no_args_is_help=True)
app.add_typer(db_app, name="db")

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


def database_url(db: str | None) -> str:
    """The ``--db`` flag, else the instance settings (env, onwatch.toml, default)."""
    return db or load_settings().database_url


@app.command()
def check(
    policy_file: Annotated[Path, typer.Argument(help="The policy file to validate.")],
) -> None:
    """Validate a policy file: every error with file:line:col; exit 0 when valid, 1 when not."""
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        for issue in exc.issues:
            err.print(str(issue), highlight=False, markup=False, soft_wrap=True)
        count = len(exc.issues)
        err.print(
            f"{policy_file}: {count} problem{'s' * (count != 1)}", style="bold red", highlight=False
        )
        raise typer.Exit(1) from None
    summary = ", ".join(
        f"{len(items)} {name}"
        for name, items in (("services", policy.services), ("contacts", policy.contacts))
    )
    out.print(f"[green]✓[/green] {policy_file}: valid ({summary})", highlight=False)
    missing: dict[str, list[str]] = {}
    for contact in policy.contacts:
        for channel_name, channel in contact.channels.items():
            for reference in channel.url.unresolved():
                missing.setdefault(reference, []).append(f"{contact.name}.{channel_name}")
    for reference, users in missing.items():
        err.print(
            f"note: {reference} is not set here (used by {', '.join(users)}); "
            "the server that sends notifications needs it",
            style="yellow",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the policy's JSON Schema (for editor completion and CI validation)."""
    text = json.dumps(policy_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


@app.command()
def settings(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="onwatch.toml to read (default: ONWATCH_CONFIG, else ./onwatch.toml)."
        ),
    ] = None,
) -> None:
    """Print the effective instance settings, secrets masked."""
    effective = load_settings(config_path=config)
    table = Table("setting", "environment variable", "value", title="onwatch instance settings")
    for name, env_var, value in effective.describe():
        table.add_row(name, env_var, value)
    out.print(table)


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Policy file (default: ONWATCH_POLICY_PATH, else ./onwatch.yaml).",
        show_default=False,
    ),
]


@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Apply pending schema migrations (every command that opens the database does this too)."""
    from onwatch.store.database import check_schema_version, open_database

    url = database_url(db)
    database = open_database(url)
    revision = check_schema_version(database.engine)
    out.print(f"{mask_url_password(url)}: schema at revision {revision}", highlight=False)
    database.dispose()


@db_app.command("status")
def db_status(db: DbOption = None) -> None:
    """Show the schema revision, row counts and the time range the rollups cover."""
    from onwatch.store.database import open_database
    from onwatch.store.status import describe_database

    url = database_url(db)
    database = open_database(url)
    status = describe_database(database)
    table = Table("", "", title=f"{mask_url_password(url)} ({database.backend})", show_header=False)
    for key, value in status:
        table.add_row(key, value)
    out.print(table)
    database.dispose()


@db_app.command("retention")
def db_retention(db: DbOption = None, policy: PolicyOption = None) -> None:
    """Delete data older than the policy's settings.retention (raw 7d, minute 35d, hour 400d)."""
    from onwatch.store.database import open_database
    from onwatch.store.retention import apply_retention

    loaded = load_policy(policy or Path(load_settings().policy_path))
    database = open_database(database_url(db))
    deleted = apply_retention(database, loaded.settings.retention, time.time())
    out.print(
        f"deleted {deleted.raw} raw results, {deleted.minute} minute rollups, "
        f"{deleted.hour} hour rollups",
        highlight=False,
    )
    database.dispose()


def main() -> None:
    """Entry point of the ``onwatch`` console script."""
    try:
        app()
    except OnwatchError as exc:
        err.print(f"error: {exc}", style="red", highlight=False, markup=False)
        sys.exit(1)
