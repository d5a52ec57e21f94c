"""The ``onwatch`` command line: one Typer app; commands live in modules by concern.

Commands print tables with Rich, put errors on stderr and exit 1 on any
:class:`~onwatch.errors.OnwatchError`, never with a traceback.
"""

from __future__ import annotations

import sys

import typer

from onwatch.cli import (
    agreement,
    apidocs,
    db,
    demo,
    incidents,
    maintenance,
    mutes,
    notify,
    oncall,
    policy,
    pools,
    service,
    tokens,
    users,
)
from onwatch.cli.common import err
from onwatch.errors import OnwatchError

app = typer.Typer(
    name="onwatch",
    help="Reliability promises as running machinery: agree on the numbers, watch them, tell everyone.",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold secrets: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
for module in (policy, service, pools, demo, apidocs, mutes, incidents):
    app.registered_commands += module.app.registered_commands
app.add_typer(db.db_app, name="db")
app.add_typer(users.user_app, name="user")
app.add_typer(tokens.token_app, name="token")
app.add_typer(maintenance.maintenance_app, name="maintenance")
app.add_typer(agreement.agreement_app, name="agreement")
app.add_typer(oncall.oncall_app, name="oncall")
app.add_typer(notify.notify_app, name="notify")


def main() -> None:
    """Entry point of the ``onwatch`` console script."""
    try:
        app()
    except OnwatchError as exc:
        err.print(f"error: {exc}", style="red", highlight=False, markup=False)
        sys.exit(1)
