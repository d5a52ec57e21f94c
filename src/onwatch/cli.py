"""The ``onwatch`` command line: one Typer app, one function per command.

Commands print tables with Rich, put errors on stderr and exit 1 on any
:class:`~onwatch.errors.OnwatchError`, never with a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from onwatch.errors import OnwatchError
from onwatch.policy import PolicyError, load_policy, policy_json_schema
from onwatch.policy.secrets import secret_references
from onwatch.probes.base import CheckResult
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
    counts = {
        "services": len(policy.services),
        "contacts": len(policy.contacts),
        "monitors": len(policy.monitors),
        "pools": len(policy.pools),
    }
    summary = ", ".join(f"{section}: {count}" for section, count in counts.items() if count)
    out.print(f"[green]✓[/green] {policy_file}: valid ({summary or 'empty'})", highlight=False)
    missing: dict[str, list[str]] = {}
    for where, reference in secret_references(policy):
        for name in reference.unresolved():
            missing.setdefault(name, []).append(where)
    for name, users in missing.items():
        err.print(
            f"note: {name} is not available here (used by {', '.join(users)}); "
            "the onwatch server needs it",
            style="yellow",
            highlight=False,
            markup=False,
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


PidFileOption = Annotated[
    Path,
    typer.Option(
        "--pid-file", help="Where `onwatch serve` writes its process id, for `onwatch reload`."
    ),
]
DEFAULT_PID_FILE = Path("onwatch.pid")


@app.command()
def serve(
    policy: PolicyOption = None, db: DbOption = None, pid_file: PidFileOption = DEFAULT_PID_FILE
) -> None:
    """Run every check of the policy and store the results, until SIGTERM or Ctrl-C."""
    from onwatch.clock import SystemClock
    from onwatch.runtime import Service, configure_logging, run_blocking, run_service

    policy_path, url = policy or Path(load_settings().policy_path), database_url(db)

    def started(service: Service) -> None:
        pid, count = os.getpid(), len(service.scheduler.monitors)
        lines = [
            f"onwatch is running (pid {pid}): {count} monitor{'s' * (count != 1)} from {policy_path}",
            f"results go to {mask_url_password(url)}",
            f"stop: Ctrl-C or kill -TERM {pid}; reload the policy: "
            f"onwatch reload --pid-file {pid_file} (or kill -HUP {pid})",
        ]
        out.print("\n".join(lines), highlight=False, markup=False)

    configure_logging()
    try:
        run_blocking(
            run_service(
                policy_path, url, clock=SystemClock(), pid_file=pid_file, on_started=started
            )
        )
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        raise typer.Exit(130) from None


@app.command()
def reload(pid_file: PidFileOption = DEFAULT_PID_FILE) -> None:
    """Make the running `onwatch serve` reload its policy (SIGHUP); its log says how it went."""
    from onwatch.runtime import signal_reload

    pid = signal_reload(pid_file)
    out.print(
        f"asked onwatch (pid {pid}) to reload its policy; its log tells whether it was accepted"
    )


_BAR_WIDTH = 40


def _phase_table(result: CheckResult) -> Table:
    """Each phase in ms with a waterfall bar drawn to scale against the total."""
    phases = [
        ("DNS", result.dns_ms),
        ("connect", result.connect_ms),
        ("TLS", result.tls_ms),
        ("first byte", result.first_byte_ms),
        ("transfer", result.transfer_ms),
    ]
    total = result.total_ms or sum(ms for _, ms in phases if ms is not None)
    table = Table("phase", Column("ms", justify="right"), "")
    offset = 0.0
    for label, ms in phases:
        if ms is None:
            table.add_row(label, "—", "")
            continue
        start = round(offset / total * _BAR_WIDTH) if total else 0
        width = max(1, round(ms / total * _BAR_WIDTH)) if total else 0
        table.add_row(label, f"{ms:,.1f}", " " * start + "█" * width)
        offset += ms
    shown = "—" if result.total_ms is None else f"{result.total_ms:,.1f}"
    table.add_row("total", shown, "█" * _BAR_WIDTH if total else "", style="bold")
    return table


@app.command()
def probe(
    name: Annotated[str, typer.Argument(help="The monitor (pool targets: api#1, api#2, ...).")],
    policy: PolicyOption = None,
) -> None:
    """Check one monitor now and show where the time went; exit 0 if ok, 1 if it failed."""
    from onwatch.runtime import find_probe, run_blocking

    checker = find_probe(load_policy(policy or Path(load_settings().policy_path)), name)
    out.print(f"checking {name} ({checker.target})", highlight=False, markup=False)
    result = run_blocking(checker.check(time.time()))
    out.print(_phase_table(result))
    facts = [] if result.status_code is None else [f"status {result.status_code}"]
    if result.bytes_read is not None:
        facts.append(f"{result.bytes_read:,} bytes")
    outcome = "[green]ok[/green]" if result.ok else f"[red]failed: {result.failure}[/red]"
    out.print(" · ".join([*facts, outcome]), highlight=False)
    if result.detail:
        out.print(result.detail, highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``onwatch`` console script."""
    try:
        app()
    except OnwatchError as exc:
        err.print(f"error: {exc}", style="red", highlight=False, markup=False)
        sys.exit(1)
