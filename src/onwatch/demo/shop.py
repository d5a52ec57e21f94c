"""The demo shop: a small web shop with exactly the troubles onwatch is there to notice.

Four loopback listeners, all in the calling process and on its event loop:

- ``shop`` (default port 18081): ``/`` a fast home page; ``/checkout``, slow
  during the first of every three minutes (it waits 1.5-3 s *before* sending
  its headers, so the probe sees a slow first byte); ``/api/health``, a JSON
  health answer that fails now and then (every 7th request a 503, every 5th a
  ``{"status": "degraded"}``).
- ``backend-1`` and ``backend-2`` (18082, 18083): ``/health`` of a pool of two;
  ``backend-2`` closes its listener after :attr:`ShopConfig.pool_dies_after`
  (3 minutes by default), so the pool loses its redundancy.
- ``database`` (18084): a TCP listener that greets and hangs up.

Each listener takes its default port when that is free and any free port
otherwise; :attr:`DemoShop.ports` tells which. The behaviour is a pure
function of the time since start and a request counter, with seeded random
delays, so tests can rely on it: the checkout is slow from the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

__all__ = [
    "DEFAULT_PORTS",
    "DemoShop",
    "ShopConfig",
    "api_answer",
    "checkout_is_slow",
    "running_shop",
]

log = logging.getLogger(__name__)

DEFAULT_PORTS: dict[str, int] = {
    "shop": 18081,
    "backend-1": 18082,
    "backend-2": 18083,
    "database": 18084,
}
"""The listeners of the shop and the port each one prefers (``examples/demo.yaml`` uses them)."""

SHUTDOWN_SECONDS = 1.0  # a request still waiting at shutdown gets this long

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · Demo shop</title></head>
<body><h1>{title}</h1>{body}<p><a href="/">Home</a> · <a href="/checkout">Checkout</a></p>
</body></html>
"""
HOME_PAGE = _PAGE.format(
    title="Demo shop",
    body="<p>Tea towels, mugs and a very good teapot.</p><button>Add to cart</button>",
)
CHECKOUT_PAGE = _PAGE.format(
    title="Checkout", body="<p>1 × very good teapot: 39.00 EUR</p><button>Pay now</button>"
)


@dataclass(frozen=True)
class ShopConfig:
    """How the demo shop misbehaves; the defaults are what ``onwatch demo`` runs."""

    host: str = "127.0.0.1"
    slow_period: float = 60.0
    """Seconds; the checkout is slow in the first period of every three."""
    slow_delay: tuple[float, float] = (1.5, 3.0)
    """Seconds a slow checkout waits before its headers, drawn uniformly (seeded)."""
    pool_dies_after: float = 180.0
    """Seconds after start when ``backend-2`` closes its listener."""
    seed: int = 2024
    preferred_ports: tuple[tuple[str, int], ...] = tuple(DEFAULT_PORTS.items())


def checkout_is_slow(elapsed: float, period: float) -> bool:
    """Whether the checkout is slow ``elapsed`` seconds after start: first of every three periods."""
    return int(max(elapsed, 0.0) // period) % 3 == 0


def api_answer(count: int) -> tuple[int, dict[str, str]]:
    """Status and JSON body of the ``count``-th (1-based) ``/api/health`` request."""
    if count % 7 == 0:
        return 503, {"status": "unavailable", "reason": "database connection pool exhausted"}
    if count % 5 == 0:
        return 200, {"status": "degraded", "reason": "search index is rebuilding"}
    return 200, {"status": "ok"}


def bind_listener(host: str, preferred: int) -> socket.socket:
    """A listening TCP socket on ``preferred``, else on a free port chosen by the system."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in (preferred, 0):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if port == 0 or exc.errno != errno.EADDRINUSE:
                raise
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise AssertionError("unreachable: binding port 0 either works or raises")


class DemoShop:
    """The shop's listeners; :meth:`start` binds and serves, :meth:`stop` closes everything."""

    def __init__(self, config: ShopConfig, now: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = now
        self._started = now()
        self._rng = random.Random(config.seed)
        self._api_requests = 0
        self._ports: dict[str, int] = {}
        self._runners: dict[str, web.AppRunner] = {}
        self._database: asyncio.Server | None = None
        self._killer: asyncio.Task[None] | None = None

    @property
    def ports(self) -> dict[str, int]:
        """Listener name → the port it listens on (after :meth:`start`)."""
        return dict(self._ports)

    @property
    def url(self) -> str:
        """The shop's home page."""
        return f"http://{self.config.host}:{self._ports['shop']}/"

    @property
    def backend_2_alive(self) -> bool:
        """False once ``backend-2`` has closed its listener."""
        return "backend-2" in self._runners

    # -- the handlers -----------------------------------------------------------

    async def _home(self, _request: web.Request) -> web.Response:
        return web.Response(text=HOME_PAGE, content_type="text/html")

    async def _checkout(self, _request: web.Request) -> web.Response:
        if checkout_is_slow(self._now() - self._started, self.config.slow_period):
            # Before the headers: the visitor stares at a blank page.
            await asyncio.sleep(self._rng.uniform(*self.config.slow_delay))
        return web.Response(text=CHECKOUT_PAGE, content_type="text/html")

    async def _api_health(self, _request: web.Request) -> web.Response:
        self._api_requests += 1
        status, body = api_answer(self._api_requests)
        return web.json_response(body, status=status)

    def _backend(self, name: str) -> web.Application:
        async def health(_request: web.Request) -> web.Response:
            return web.json_response({"status": "ok", "backend": name})

        app = web.Application()
        app.router.add_get("/health", health)
        return app

    def _shop(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._home)
        app.router.add_get("/checkout", self._checkout)
        app.router.add_get("/api/health", self._api_health)
        return app

    @staticmethod
    async def _database_greeting(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"demo-db ready\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    # -- starting and stopping --------------------------------------------------

    async def start(self) -> None:
        """Bind every listener and serve; ``backend-2`` is set to die on schedule."""
        preferred = dict(self.config.preferred_ports)
        sockets: dict[str, socket.socket] = {}
        try:
            for name, port in preferred.items():
                sockets[name] = bind_listener(self.config.host, port)
            self._ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}
            self._started = self._now()
            await self._serve(sockets)
        finally:
            for sock in sockets.values():  # those not handed to a server
                sock.close()
        self._killer = asyncio.create_task(self._kill_backend_2(), name="demo-backend-2-dies")
        moved = {n: p for n, p in self._ports.items() if p != preferred[n]}
        if moved:
            log.info("demo shop: ports taken, moved to free ones: %s", moved)

    async def _serve(self, sockets: dict[str, socket.socket]) -> None:
        apps = {
            "shop": self._shop(),
            "backend-1": self._backend("backend-1"),
            "backend-2": self._backend("backend-2"),
        }
        for name, app in apps.items():
            runner = web.AppRunner(
                app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
            )
            await runner.setup()
            self._runners[name] = runner
            await web.SockSite(runner, sockets.pop(name)).start()
        database = sockets.pop("database")
        self._database = await asyncio.start_server(self._database_greeting, sock=database)

    async def _kill_backend_2(self) -> None:
        await asyncio.sleep(self.config.pool_dies_after)
        runner = self._runners.get("backend-2")
        if runner is not None:
            log.warning(
                "demo shop: backend-2 (port %d) stops answering now, as planned",
                self._ports["backend-2"],
            )
            await runner.cleanup()
            del self._runners["backend-2"]  # only now: a stop meanwhile finishes the cleanup

    async def stop(self) -> None:
        """Close every listener and wait for the connections to end (a second at most)."""
        if self._killer is not None:
            self._killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._killer
        while self._runners:
            _, runner = self._runners.popitem()
            await runner.cleanup()
        if self._database is not None:
            self._database.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._database.wait_closed(), SHUTDOWN_SECONDS)
            self._database = None


@contextlib.asynccontextmanager
async def running_shop(
    config: ShopConfig, now: Callable[[], float] = time.monotonic
) -> AsyncIterator[DemoShop]:
    """The shop, serving for the duration of the ``async with`` block."""
    shop = DemoShop(config, now)
    try:
        await shop.start()
        yield shop
    finally:
        await shop.stop()
