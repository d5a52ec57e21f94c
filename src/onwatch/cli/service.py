"""Running commands: ``onwatch serve``, ``onwatch reload`` and ``onwatch probe``.

``serve`` runs the scheduler, the writer and the web app in one process. The
listen address is checked before anything starts, so a port in use is one
clear error (exit 1), not a service that runs without its web app.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from onwatch.cli.common import DbOption, PolicyOption, database_url, out, policy_path
from onwatch.cli.phases import phase_table
from onwatch.cli.pools import probe_pool
from onwatch.policy import load_policy
from onwatch.redact import mask_url_password

if TYPE_CHECKING:
    from onwatch.runtime import Service
    from onwatch.settings import InstanceSettings
    from onwatch.store.database import Database

app = typer.Typer()


PidFileOption = Annotated[
    Path,
    typer.Option(
        "--pid-file", help="Where `onwatch serve` writes its process id, for `onwatch reload`."
    ),
]
DEFAULT_PID_FILE = Path("onwatch.pid")


ListenOption = Annotated[
    str | None,
    typer.Option(
        "--listen",
        help="host:port of the web app (default: ONWATCH_LISTEN, else 127.0.0.1:8080).",
        show_default=False,
    ),
]


def _address(listen: str) -> tuple[str, int]:
    from onwatch.web.server import split_listen

    try:
        host, port = split_listen(listen)
    except ValueError:
        host, port = "", 0
    if not host or not 0 < port < 65536:
        raise typer.BadParameter(
            f'"{listen}" is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)',
            param_hint="--listen",
        )
    return host, port


def ensure_can_listen(listen: str) -> None:
    """Bind ``listen`` the way uvicorn will and let go, or raise :class:`ServiceError`."""
    from onwatch.runtime import ServiceError

    host, port = _address(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((host, port))
        except OSError as exc:  # in use, not an address of this machine, unknown host
            busy = exc.errno == errno.EADDRINUSE
            hint = "is another onwatch using it?" if busy else "is it an address of this machine?"
            raise ServiceError(
                f"cannot listen on {listen}: {exc.strerror or exc} ({hint} "
                "choose the address with --listen or ONWATCH_LISTEN)"
            ) from None


def first_admin_lines(database: Database, database_url: str) -> list[str]:
    """How to log in: the one-time admin password on a new database, else how to reset it."""
    from onwatch.accounts.bootstrap import FIRST_ADMIN, ensure_first_admin

    password = ensure_first_admin(database)
    reset = f"onwatch user reset-password {FIRST_ADMIN} --db {mask_url_password(database_url)}"
    if password is None:
        return [f"log in as {FIRST_ADMIN} (forgot the password? {reset})"]
    return [
        f"admin password (shown once): {password}",
        f"log in as {FIRST_ADMIN} with it; it is not stored in clear and will not be "
        f"shown again (forgot it? {reset})",
    ]


def dashboard_url(settings: InstanceSettings, listen: str) -> str:
    """Where people open the dashboard: the listen address, or public_url on 0.0.0.0/::."""
    host, port = _address(listen)
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:  # every interface: people use public_url
            return settings.public_url + "/"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


@app.command()
def serve(
    policy: PolicyOption = None,
    db: DbOption = None,
    listen: ListenOption = None,
    pid_file: PidFileOption = DEFAULT_PID_FILE,
) -> None:
    """Run every check of the policy, store the results and serve the web app and API,
    until SIGTERM or Ctrl-C."""
    from onwatch.clock import SystemClock
    from onwatch.notify.engine import incident_engine_task
    from onwatch.notify.sender import sender_task
    from onwatch.runtime import (
        ServiceError,
        configure_logging,
        run_blocking,
        run_service,
        running_pid,
    )
    from onwatch.settings import load_settings
    from onwatch.slo.evaluator import evaluator_task
    from onwatch.web.server import web_task

    settings = load_settings()
    policy_file, url = policy_path(policy), database_url(db)
    address = listen or settings.listen
    if (pid := running_pid(pid_file)) is not None:  # say so before "the port is in use"
        raise ServiceError(f"onwatch is already running (pid {pid}, {pid_file}); stop it first")
    ensure_can_listen(address)

    def started(service: Service) -> None:
        pid, count = os.getpid(), len(service.scheduler.monitors)
        lines = [
            f"onwatch is running (pid {pid}): {count} monitor{'s' * (count != 1)} from {policy_file}",
            f"results go to {mask_url_password(url)}",
            f"dashboard: {dashboard_url(settings, address)} (API: /api/v1, see docs/api.md)",
            *first_admin_lines(service.database, url),
        ]
        if settings.secret_key_is_ephemeral:
            lines.append(
                "no secret_key is set: logins end when onwatch restarts (see docs/settings.md)"
            )
        lines.append(
            f"stop: Ctrl-C or kill -TERM {pid}; reload the policy: "
            f"onwatch reload --pid-file {pid_file} (or kill -HUP {pid})"
        )
        out.print("\n".join(lines), highlight=False, markup=False)
        sys.stdout.flush()  # a pipe (systemd, a test) sees the password now, not at exit

    configure_logging()
    try:
        run_blocking(
            run_service(
                policy_file,
                url,
                clock=SystemClock(),
                pid_file=pid_file,
                extra_tasks=[
                    web_task(settings, address),
                    evaluator_task,
                    incident_engine_task,
                    sender_task(settings),
                ],
                on_started=started,
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
