"""Running commands: ``onwatch serve``, ``onwatch reload`` and ``onwatch probe``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from onwatch.cli.common import DbOption, PolicyOption, database_url, out, policy_path
from onwatch.cli.phases import phase_table
from onwatch.cli.pools import probe_pool
from onwatch.policy import load_policy
from onwatch.redact import mask_url_password

app = typer.Typer()


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

    policy_file, url = policy_path(policy), database_url(db)

    def started(service: Service) -> None:
        pid, count = os.getpid(), len(service.scheduler.monitors)
        lines = [
            f"onwatch is running (pid {pid}): {count} monitor{'s' * (count != 1)} from {policy_file}",
            f"results go to {mask_url_password(url)}",
            f"stop: Ctrl-C or kill -TERM {pid}; reload the policy: "
            f"onwatch reload --pid-file {pid_file} (or kill -HUP {pid})",
        ]
        out.print("\n".join(lines), highlight=False, markup=False)

    configure_logging()
    try:
        run_blocking(
            run_service(
                policy_file, url, clock=SystemClock(), pid_file=pid_file, on_started=started
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


@app.command()
def probe(
    name: Annotated[str, typer.Argument(help="The monitor (pool targets: api#1, api#2, ...).")],
    policy: PolicyOption = None,
) -> None:
    """Check one monitor now and show where the time went; exit 0 if ok, 1 if it failed.

    Given a pool's name, checks every backend at once and judges the pool.
    """
    from onwatch.runtime import find_probe, run_blocking

    loaded = load_policy(policy_path(policy))
    pool = next((p for p in loaded.pools if p.name == name), None)
    if pool is not None:
        probe_pool(loaded, pool)
        return
    checker = find_probe(loaded, name)
    out.print(f"checking {name} ({checker.target})", highlight=False, markup=False)
    result = run_blocking(checker.check(time.time()))
    out.print(phase_table(result))
    facts = [] if result.status_code is None else [f"status {result.status_code}"]
    if result.bytes_read is not None:
        facts.append(f"{result.bytes_read:,} bytes")
    outcome = "[green]ok[/green]" if result.ok else f"[red]failed: {result.failure}[/red]"
    out.print(" · ".join([*facts, outcome]), highlight=False)
    if result.detail:
        out.print(result.detail, highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)
