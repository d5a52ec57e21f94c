"""``onwatch demo``: a small shop with real troubles, watched by onwatch, in one process.

The shop (:mod:`onwatch.demo.shop`) listens on loopback; the service runs as
``onwatch serve`` does, with ``examples/demo.yaml`` rewritten for the shop's
ports, and the web app on ``--listen``. The first start on a database creates
``admin`` and prints its password once. Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from onwatch.cli.common import out
from onwatch.policy.types import format_duration, parse_duration
from onwatch.redact import mask_url_password

if TYPE_CHECKING:
    from onwatch.demo import DemoShop, ShopConfig
    from onwatch.runtime import Service
    from onwatch.settings import InstanceSettings

app = typer.Typer()

DEFAULT_DEMO_DB = "sqlite:///./onwatch-demo.db"
POOL_DIES_ENV = "ONWATCH_DEMO_POOL_DIES_AFTER"


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


@app.command()
def demo(
    listen: Annotated[
        str, typer.Option("--listen", help="Address of the dashboard (host:port).")
    ] = "127.0.0.1:8080",
    db: Annotated[
        str, typer.Option("--db", help="Database URL for the demo's results and accounts.")
    ] = DEFAULT_DEMO_DB,
    pool_dies_after: Annotated[
        str,
        typer.Option(
            "--pool-dies-after",
            envvar=POOL_DIES_ENV,
            callback=_duration,
            help="When the second pool backend stops answering (a duration: 3m, 90s).",
        ),
    ] = "3m",
) -> None:
    """Start a small demo shop and watch it: the dashboard shows real checks within a minute.

    The shop has a fast home page, a checkout that is slow every third minute,
    an API that fails now and then, and a pool of two backends of which one
    stops answering after a few minutes. Stop with Ctrl-C.
    """
    from onwatch.cli.service import ensure_can_listen
    from onwatch.demo import ShopConfig
    from onwatch.runtime import configure_logging, run_blocking
    from onwatch.settings import load_settings

    ensure_can_listen(listen)  # as `serve` does: a busy port is one clear error, before the shop
    settings = load_settings()
    if settings.origin("public_url") == "default":  # links in pages point at this demo
        settings = settings.model_copy(update={"public_url": f"http://{listen}"})
    settings = settings.model_copy(update={"listen": listen, "database_url": db})
    config = ShopConfig(pool_dies_after=parse_duration(pool_dies_after).total_seconds())
    configure_logging()
    try:
        run_blocking(_run_demo(config, settings, listen, db))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        raise typer.Exit(130) from None


async def _run_demo(config: ShopConfig, settings: InstanceSettings, listen: str, db: str) -> None:
    from onwatch.clock import SystemClock
    from onwatch.demo import running_shop, write_demo_policy
    from onwatch.notify.engine import incident_engine_task
    from onwatch.notify.sender import sender_task
    from onwatch.runtime import run_service
    from onwatch.slo.evaluator import evaluator_task
    from onwatch.web.server import web_task

    async with running_shop(config) as shop:
        with tempfile.TemporaryDirectory(prefix="onwatch-demo-") as workdir:
            policy_file = write_demo_policy(shop.ports, Path(workdir))
            await run_service(
                policy_file,
                db,
                clock=SystemClock(),
                extra_tasks=[
                    web_task(settings, listen),
                    evaluator_task,
                    incident_engine_task,
                    sender_task(settings),
                ],
                on_started=lambda service: _print_banner(service, shop, settings, db),
            )


def _print_banner(service: Service, shop: DemoShop, settings: InstanceSettings, db: str) -> None:
    """What the person who typed ``make run`` needs: where to look and how to log in."""
    from onwatch.cli.service import dashboard_url, first_admin_lines

    ports = shop.ports
    dies = format_duration(timedelta(seconds=shop.config.pool_dies_after))
    lines = [
        f"onwatch demo is running (pid {os.getpid()}): "
        f"{len(service.scheduler.monitors)} checks of a demo shop",
        f"dashboard:  {dashboard_url(settings, settings.listen)}",
        *first_admin_lines(service.database, db),
        f"demo shop:  {shop.url} (pool backends on ports {ports['backend-1']} and "
        f"{ports['backend-2']}; the second stops answering after {dies})",
        f"policy:     {service.policy_path} (examples/demo.yaml with the shop's ports)",
        f"results:    {mask_url_password(db)}",
        "Within a minute the checkout shows up as slow, with its phases. Stop: Ctrl-C.",
    ]
    out.print("\n".join(lines), highlight=False, markup=False)
    sys.stdout.flush()  # a pipe (a test, a log) sees the password now, not at exit
