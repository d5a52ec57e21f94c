"""Real servers on loopback for the HTTP probe tests: good, slow, failing and garbage.

All run on one event loop in a background thread, so a stalling server never
stalls the probe's own loop, and the probe's timings stay its own::

    with serving(tmp_path) as servers:
        servers.http + "/ok"         # aiohttp app on plain HTTP
        servers.https + "/ok"        # same app over TLS, certificate for 127.0.0.1
        servers.ca_file              # the CA that signed it, for ``ca_file``

The app's endpoints: /ok, /slow-headers (500 ms before headers), /trickle
(a byte every 100 ms), /huge (1 GiB made lazily, chunk by chunk), /redirect-loop,
/redirect-once, /status/{code}, /json, /echo-headers. Raw servers answer
garbage (not HTTP), bad headers, a body cut short, or nothing at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from certs import CertificateAuthority

from onwatch.probes.base import CheckResult, Probe

new_uvloop: Callable[[], asyncio.AbstractEventLoop] | None
try:
    from uvloop import new_event_loop as new_uvloop
except ImportError:  # not on Windows
    new_uvloop = None

STARTED_AT = 1_780_000_000.0
SLOW_HEADERS_SECONDS = 0.5
TLS_DELAY_SECONDS = 0.3
JSON_BODY = {"status": "degraded", "version": 3, "checks": [{"name": "db", "ok": True}]}

GARBAGE = b"SSH-2.0-OpenSSH_9.6\r\nthis is not HTTP at all\r\n"
BAD_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis line has no colon\r\n\r\nok"
CUT_SHORT = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"
SMALL_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class Servers:
    """Base URLs of the running servers (no trailing slash)."""

    http: str
    https: str
    https_expired: str
    https_wrong_host: str
    https_unknown_issuer: str
    tls_delayed: str
    garbage: str
    bad_headers: str
    cut_short: str
    hanging: str
    ca_file: Path


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="Thanks for visiting")


async def _slow_headers(_request: web.Request) -> web.Response:
    await asyncio.sleep(SLOW_HEADERS_SECONDS)
    return web.Response(text="late but fine")


async def _stream(
    request: web.Request, chunk: bytes, pause: float, size: int
) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = size
    await response.prepare(request)
    sent = 0
    try:
        while sent < size:
            await response.write(chunk)
            sent += len(chunk)
            await asyncio.sleep(pause)
    except (ConnectionError, RuntimeError):
        pass  # the probe hung up, as it should once it has had enough
    return response


async def _trickle(request: web.Request) -> web.StreamResponse:
    return await _stream(request, b".", 0.1, 600)


async def _huge(request: web.Request) -> web.StreamResponse:
    # The same 64 KiB chunk again and again: 1 GiB on the wire, 64 KiB in memory.
    return await _stream(request, bytes(64 * 1024), 0, 1 << 30)


async def _redirect(request: web.Request) -> web.Response:
    targets = {"/redirect-loop": "/redirect-loop-b", "/redirect-loop-b": "/redirect-loop"}
    raise web.HTTPFound(targets.get(request.path, "/ok"))


async def _status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.match_info["code"]), text="as asked")


async def _json(request: web.Request) -> web.Response:
    """/json answers a fixed document; /echo-headers the headers the request came with."""
    return web.json_response(JSON_BODY if request.path == "/json" else dict(request.headers))


def _app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ok", _ok)
    app.router.add_get("/slow-headers", _slow_headers)
    app.router.add_get("/trickle", _trickle)
    app.router.add_get("/huge", _huge)
    for path in ("/redirect-loop", "/redirect-loop-b", "/redirect-once"):
        app.router.add_get(path, _redirect)
    app.router.add_route("*", "/status/{code:\\d+}", _status)
    app.router.add_get("/json", _json)
    app.router.add_route("*", "/echo-headers", _json)
    return app


def _answer_with(payload: bytes | None) -> RawHandler:
    """A raw handler: read the request head, write ``payload``, hang up (``None``: say nothing)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if payload is None:
                await reader.read()  # until the probe gives up and closes
                return
            await reader.readuntil(b"\r\n\r\n")
            writer.write(payload)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return handle


class _DelayedTls(asyncio.Protocol):
    """Accepts TCP at once, then waits before the TLS handshake, then answers ``ok``."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # keep the ClientHello in the kernel until the delay is over
        asyncio.get_running_loop().create_task(self._handshake_later(transport))

    async def _handshake_later(self, transport: asyncio.Transport) -> None:
        await asyncio.sleep(TLS_DELAY_SECONDS)
        reply = _ReplyOnce()
        try:
            tls = await asyncio.get_running_loop().start_tls(
                transport, reply, self._context, server_side=True
            )
        except (OSError, ConnectionError):
            transport.abort()
            return
        if tls is not None:
            reply.connection_made(tls)


class _ReplyOnce(asyncio.Protocol):
    """Answers ``ok`` once the request head is in (it may come before the transport does)."""

    def __init__(self) -> None:
        self._head = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._answer_when_ready()

    def data_received(self, data: bytes) -> None:
        self._head += data
        self._answer_when_ready()

    def _answer_when_ready(self) -> None:
        if b"\r\n\r\n" in self._head and self._transport is not None:
            self._transport.write(SMALL_OK)
            self._transport.close()


def _url(scheme: str, listener: asyncio.Server | socket.socket) -> str:
    sock = listener.sockets[0] if isinstance(listener, asyncio.Server) else listener
    return f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"


async def _start(folder: Path, runner: web.AppRunner, raw: list[asyncio.Server]) -> Servers:
    ca = CertificateAuthority(folder)
    now = dt.datetime.now(dt.UTC)
    good = ca.issue(["127.0.0.1", "localhost"], label="good").server_context()
    past = {"valid_from": now - dt.timedelta(days=30), "valid_until": now - dt.timedelta(days=1)}
    stranger = CertificateAuthority(folder, name="unknown test CA")
    contexts = {
        "http": None,
        "https": good,
        "https_expired": ca.issue(["127.0.0.1"], **past, label="expired").server_context(),
        "https_wrong_host": ca.issue(["elsewhere.test"], label="wrong-host").server_context(),
        "https_unknown_issuer": stranger.issue(["127.0.0.1"], label="unknown").server_context(),
    }
    await runner.setup()
    urls: dict[str, str] = {}
    for name, context in contexts.items():
        listener = socket.create_server(("127.0.0.1", 0))
        await web.SockSite(runner, listener, ssl_context=context).start()
        urls[name] = _url("https" if context else "http", listener)
    answers = {
        "garbage": GARBAGE,
        "bad_headers": BAD_HEADERS,
        "cut_short": CUT_SHORT,
        "hanging": None,
    }
    for name, payload in answers.items():
        raw.append(await asyncio.start_server(_answer_with(payload), "127.0.0.1", 0))
        urls[name] = _url("http", raw[-1])
    loop = asyncio.get_running_loop()
    raw.append(await loop.create_server(lambda: _DelayedTls(good), "127.0.0.1", 0))
    return Servers(**urls, tls_delayed=_url("https", raw[-1]), ca_file=ca.cert_path)


async def _stop(runner: web.AppRunner, raw: list[asyncio.Server]) -> None:
    for server in raw:
        server.close()
        await server.wait_closed()
    await runner.cleanup()


@contextmanager
def serving(folder: Path) -> Iterator[Servers]:
    """Run every test server on a background loop for the duration of the block."""
    loop = asyncio.new_event_loop()
    # A probe that hangs up mid-handshake is the point of several tests, not news.
    loop.set_exception_handler(lambda _loop, _context: None)
    thread = threading.Thread(target=loop.run_forever, name="loopback-servers", daemon=True)
    thread.start()
    runner, raw = web.AppRunner(_app(), access_log=None), list[asyncio.Server]()
    try:
        yield asyncio.run_coroutine_threadsafe(_start(folder, runner, raw), loop).result(30)
    finally:
        asyncio.run_coroutine_threadsafe(_stop(runner, raw), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def closed_port() -> int:
    """A port nobody listens on: bound once to pick it, then released."""
    with socket.socket() as picker:
        picker.bind(("127.0.0.1", 0))
        port: int = picker.getsockname()[1]
    return port


@contextmanager
def full_backlog() -> Iterator[int]:
    """A listener whose accept queue is full, so the kernel leaves new SYNs unanswered."""
    with socket.socket() as server, socket.socket() as filler:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port: int = server.getsockname()[1]
        filler.connect(("127.0.0.1", port))  # takes the only place in the queue
        yield port


LOOPS = [
    pytest.param("asyncio"),
    pytest.param(
        "uvloop", marks=pytest.mark.skipif(new_uvloop is None, reason="uvloop not installed")
    ),
]
"""Event loops every probe test runs on: the runtime picks uvloop where it can."""


def run_checks(loop: str, *probes: Probe) -> list[CheckResult]:
    """Run the probes' checks at the same time on a fresh loop of the named kind."""

    async def together() -> list[CheckResult]:
        return list(await asyncio.gather(*(probe.check(STARTED_AT) for probe in probes)))

    factory = new_uvloop if loop == "uvloop" and new_uvloop else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(together())
