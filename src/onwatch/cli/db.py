"""Database commands: ``onwatch db migrate|status|retention``."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from onwatch.cli.common import DbOption, PolicyOption, database_url, out, policy_path
from onwatch.policy import load_policy
from onwatch.redact import mask_url_password

# Store modules are imported inside the commands: `onwatch --help` and `onwatch check`
# should not pay for SQLAlchemy and Alembic.
db_app = typer.Typer(help="The database: migrations, retention, status.", no_args_is_help=True)


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

    loaded = load_policy(policy_path(policy))
    database = open_database(database_url(db))
    deleted = apply_retention(database, loaded.settings.retention, time.time())
    out.print(
        f"deleted {deleted.raw} raw results, {deleted.minute} minute rollups, "
        f"{deleted.hour} hour rollups",
        highlight=False,
    )
    database.dispose()
