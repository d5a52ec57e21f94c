"""The demo: a small shop with real troubles, and the policy that watches it.

``onwatch demo`` runs :mod:`onwatch.demo.shop` in its own process and monitors
it with ``examples/demo.yaml``. That example names the shop's default ports
(18081-18084); :func:`write_demo_policy` writes a copy with the ports the shop
really got, so a busy port never stops the demo and the example stays a
policy that ``onwatch check`` accepts as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from onwatch.demo.shop import DEFAULT_PORTS, DemoShop, ShopConfig, running_shop
from onwatch.errors import OnwatchError

__all__ = [
    "DEFAULT_PORTS",
    "DemoError",
    "DemoShop",
    "ShopConfig",
    "demo_policy_source",
    "render_demo_policy",
    "running_shop",
    "write_demo_policy",
]

EXAMPLE_NAME = "demo.yaml"


class DemoError(OnwatchError):
    """The demo cannot start (its policy is missing, or a listener cannot bind)."""


def demo_policy_source() -> Path:
    """Where ``demo.yaml`` is: next to this module when packaged, else the checkout's examples/."""
    here = Path(__file__).resolve().parent
    candidates = [
        here / EXAMPLE_NAME,
        here.parents[2] / "examples" / EXAMPLE_NAME,  # src/onwatch/demo → the checkout
        Path.cwd() / "examples" / EXAMPLE_NAME,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise DemoError(
        f"the demo policy is missing: looked for {', '.join(map(str, candidates))} "
        "(run the demo from a checkout of onwatch)"
    )


def render_demo_policy(text: str, ports: Mapping[str, int]) -> str:
    """The demo policy ``text`` with each default port replaced by the one in ``ports``."""
    moves = {str(DEFAULT_PORTS[name]): str(port) for name, port in ports.items()}
    if not moves:
        return text
    pattern = re.compile(r"(?<![\d.])(" + "|".join(map(re.escape, moves)) + r")(?![\d.])")
    return pattern.sub(lambda match: moves[match.group(1)], text)


def write_demo_policy(ports: Mapping[str, int], directory: Path) -> Path:
    """Write the demo policy for a shop on ``ports`` into ``directory``; return its path."""
    source = demo_policy_source()
    target = directory / EXAMPLE_NAME
    rendered = render_demo_policy(source.read_text(encoding="utf-8"), ports)
    header = f"# Written by `onwatch demo` from {source}, with the ports the shop got.\n"
    target.write_text(header + rendered, encoding="utf-8")
    return target
