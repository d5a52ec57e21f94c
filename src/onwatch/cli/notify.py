"""Notification commands: ``onwatch notify test CONTACT [--channel NAME]``.

Sends a test message through each of a contact's channels right away (not
through the outbox: nothing is stored) and prints one line per channel, ok
or the error. Secrets are resolved from this shell's environment, as the
service would; the URLs are never printed. Exits 1 when any channel failed.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

import typer

from onwatch.cli.common import PolicyOption, out, policy_path

# Apprise is imported inside the command: `--help` stays fast.
notify_app = typer.Typer(help="Notifications: try a contact's channels.", no_args_is_help=True)


@notify_app.command("test")
def try_contact(
    contact: Annotated[str, typer.Argument(help="The contact's name in the policy.")],
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Try this channel only (default: every channel)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds each channel may take.")] = 10.0,
    policy: PolicyOption = None,
) -> None:
    """Send a test message through each of CONTACT's channels and report each result."""
    from onwatch.notify.channels import deliver
    from onwatch.notify.delivery import Message
    from onwatch.policy import load_policy
    from onwatch.policy.checks import suggest

    loaded = load_policy(policy_path(policy))
    person = loaded.contact(contact)
    if person is None:
        known = [c.name for c in loaded.contacts]
        raise typer.BadParameter(
            f"no contact {contact} in the policy{suggest(contact, known)}", param_hint="CONTACT"
        )
    names = list(person.channels)
    if channel is not None:
        if channel not in person.channels:
            raise typer.BadParameter(
                f"{contact} has no channel {channel}{suggest(channel, names)} "
                f"(it has: {', '.join(names)})",
                param_hint="--channel",
            )
        names = [channel]
    key = f"test/{contact}/{uuid.uuid4().hex[:12]}"
    width = max(len(f"{contact}.{name}") for name in names)
    failed = False
    for name in names:
        message = Message(
            key=f"{key}/{name}",
            title="onwatch test message",
            short=f"onwatch test for {contact} via {name}: nothing is wrong",
            full=(
                f"This is a test message from onwatch to {contact} through the channel "
                f"{name}. Nothing is wrong; if you read this, the channel works."
            ),
            payload={"test": True},
            contact=contact,
        )
        delivery = deliver(person.channels[name], message, timeout=timeout, now=time.time())
        label = f"{contact}.{name}".ljust(width)
        if delivery.ok:
            out.print(f"{label}  ok", markup=False, highlight=False)
        else:
            failed = True
            out.print(f"{label}  failed: {delivery.error}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)
