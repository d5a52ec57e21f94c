"""What every route may use: the running service and the instance settings.

The app holds one :class:`WebContext` in ``app.state.context``; routes read it
through :func:`context_of`, never through module-level globals.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from onwatch.runtime import Service
from onwatch.settings import InstanceSettings


@dataclass
class WebContext:
    """The service (policy, database, scheduler, writer, clock) and the settings."""

    service: Service
    settings: InstanceSettings
    secret_key: str
    """The effective secret key (settings, or an ephemeral one) for sessions and CSRF."""


def context_of(request: Request) -> WebContext:
    """The app's :class:`WebContext` (a FastAPI dependency)."""
    context: WebContext = request.app.state.context
    return context
