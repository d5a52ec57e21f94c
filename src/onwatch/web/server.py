"""Serve the web app inside the running service, on the loop the scheduler uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator

import uvicorn

from onwatch.runtime import Service, ServiceError, ServiceTask
from onwatch.settings import InstanceSettings
from onwatch.web.app import create_app
from onwatch.web.context import WebContext

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the service owns SIGTERM and SIGHUP."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def split_listen(listen: str) -> tuple[str, int]:
    """``127.0.0.1:8080`` or ``[::1]:8080`` → (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def web_task(settings: InstanceSettings, listen: str) -> ServiceTask:
    """A service task that serves the app on ``listen`` until the service stops."""

    async def serve(service: Service) -> None:
        context = WebContext(service, settings, settings.effective_secret_key())
        host, port = split_listen(listen)
        config = uvicorn.Config(
            create_app(context),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        server = _QuietServer(config)
        running = asyncio.create_task(server.serve(), name="onwatch-web")
        stopping = asyncio.create_task(service.stopping.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        except SystemExit:  # uvicorn's way of saying it could not start
            raise ServiceError(f"the web app cannot listen on {listen} (see the log)") from None
        finally:
            stopping.cancel()
        log.info("web app on %s stopped", listen)

    return serve
