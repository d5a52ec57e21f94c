"""Helpers for notification tests: policies with contacts, a loopback SMS provider scheme.

Apprise hard-codes the hosts of SMS providers such as twilio://, so tests
reach a loopback provider through a custom Apprise scheme, ``owsms://``,
registered here (never in production code): ``owsms://SID:TOKEN@127.0.0.1:PORT/FROM/TO``
POSTs a form shaped like Twilio's Messages API (``From``, ``To``, ``Body``,
basic auth) to ``/2010-04-01/Accounts/SID/Messages.json`` on that port.
"""

from __future__ import annotations

import base64
import textwrap
import urllib.parse
import urllib.request
from typing import Any

from onwatch.policy import Policy, parse_policy
from onwatch.policy.models import refresh_apprise_schemes

SMS_SCHEME = "owsms"
_registered = False


def policy_with(contacts: dict[str, dict[str, str]], extra: str = "") -> Policy:
    """A policy holding ``contacts`` (name → channel name → channel text)."""
    lines = ["apiVersion: onwatch/v1", "contacts:"]
    for name, channels in contacts.items():
        lines += [f"  - name: {name}", "    channels:"]
        lines += [f"      {channel}: {value}" for channel, value in channels.items()]
    return parse_policy("\n".join(lines) + "\n" + textwrap.dedent(extra))


def _send_sms(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """The ``owsms://`` plugin: one POST to the loopback provider, True on 2xx."""
    numbers = [part for part in meta.get("fullpath", "").split("/") if part]
    sender, to = [*numbers, "", ""][:2]
    sid, token = meta.get("user", ""), meta.get("password", "")
    url = f"http://{meta['host']}:{meta['port']}/2010-04-01/Accounts/{sid}/Messages.json"
    data = urllib.parse.urlencode({"From": sender, "To": to, "Body": body}).encode()
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 200 <= int(response.status) < 300
    except OSError:
        return False


def register_sms_scheme() -> str:
    """Register ``owsms://`` with Apprise (once) and let the policy accept it; the scheme."""
    global _registered
    if not _registered:
        from apprise.decorators import notify

        notify(on=SMS_SCHEME, name="Loopback SMS provider")(_send_sms)
        _registered = True
        refresh_apprise_schemes()
    return SMS_SCHEME
