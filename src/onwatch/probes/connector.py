"""One HTTP check's connection, made in plain steps so each phase is timed on its own.

aiohttp's connection hooks cover DNS, TCP connect and the TLS handshake as one
span. :class:`TimedConnector` does the steps itself: ``getaddrinfo`` (no cache,
so every check pays DNS like a first visit), a TCP connect with happy eyeballs,
then the TLS handshake over the already connected socket. aiohttp's trace hooks
mark the rest: request sent, response headers in (first byte) and redirects.

Each check owns one :class:`Timeline` and one connector, so timings of
concurrent checks never mix.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from time import perf_counter
from types import SimpleNamespace
from typing import Any

import aiohappyeyeballs
import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.tracing import Trace

TIMED_PHASES = ("dns", "connect", "tls", "first_byte", "transfer")
_HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305's recommended head start for the first address


class Timeline:
    """Where one check is and how long it spent in each phase (milliseconds).

    Entering a phase closes the one before; time spent in a timed phase is
    added up, so a check that follows redirects pays every hop's DNS,
    connect, handshake and wait. A failure closes the open phase too: the
    user waited that long before it broke.
    """

    def __init__(self, address: str = "") -> None:
        self.phase = "start"
        self.address = address
        """``host:port`` being talked to; a redirect to another host changes it."""
        self.spent: dict[str, float] = {}
        self._since = perf_counter()

    def enter(self, phase: str) -> None:
        now = perf_counter()
        if self.phase in TIMED_PHASES:
            self.spent[self.phase] = self.spent.get(self.phase, 0.0) + (now - self._since) * 1000
        self.phase, self._since = phase, now

    def request_sent(self) -> None:
        """More of the request went out; the wait for the answer starts now."""
        if self.phase == "first_byte":
            self._since = perf_counter()  # the body went after the headers: wait from its end
        else:
            self.enter("first_byte")

    def ms(self, phase: str) -> float | None:
        """Time spent in ``phase``, or ``None`` when it never happened."""
        return self.spent.get(phase)


class TimedConnector(aiohttp.TCPConnector):
    """A connector for one check: fresh connections, timed DNS, connect and handshake.

    It never reuses a connection and never caches DNS. ``close_now`` aborts
    every transport it made, so an abandoned check leaves no socket behind
    (a TLS close would otherwise wait for the peer's goodbye).
    """

    def __init__(self, timeline: Timeline, ssl_context: ssl.SSLContext) -> None:
        super().__init__(force_close=True, use_dns_cache=False, ssl=ssl_context)
        self._timeline = timeline
        self._ssl_context = ssl_context
        self._transports: list[asyncio.Transport] = []

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> ResponseHandler:
        host = (req.url.raw_host or "").rstrip(".")
        port = req.port or (443 if req.is_ssl() else 80)
        self._timeline.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            addr_infos = await self._resolve(host, port)
            self._timeline.enter("connect")
            sock = await aiohappyeyeballs.start_connection(
                addr_infos, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY, loop=self._loop
            )
        except OSError as exc:
            raise aiohttp.ClientConnectorError(req.connection_key, exc) from exc
        context = self._ssl_context if req.is_ssl() else None
        self._timeline.enter("tls" if context else "send")
        try:
            # The socket is connected already, so this awaits only the TLS handshake.
            transport, protocol = await self._loop.create_connection(
                self._factory,
                sock=sock,
                ssl=context,
                server_hostname=(req.server_hostname or host) if context else None,
            )
        except BaseException as exc:
            sock.close()
            if isinstance(exc, ssl.CertificateError):
                raise aiohttp.ClientConnectorCertificateError(req.connection_key, exc) from exc
            if isinstance(exc, OSError):
                raise aiohttp.ClientConnectorError(req.connection_key, exc) from exc
            raise
        self._transports.append(transport)
        self._timeline.enter("send")
        return protocol

    async def _resolve(self, host: str, port: int) -> Sequence[Any]:
        """Addresses for ``host``; an IP address needs no lookup, so it has no DNS phase."""
        address = _ip_address(host)
        if address is None:
            self._timeline.enter("dns")
            infos = await self._loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
            return list(infos)
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sockaddr: tuple[Any, ...] = (
            (str(address), port, 0, 0) if address.version == 6 else (str(address), port)
        )
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    def close_now(self) -> None:
        """Abort every connection this check opened."""
        for transport in self._transports:
            transport.abort()
        self._transports.clear()


@functools.lru_cache(maxsize=1024)
def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address, or ``None`` for a name (remembered: names raise to say so)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _timeline(context: SimpleNamespace) -> Timeline:
    timeline = context.trace_request_ctx
    assert isinstance(timeline, Timeline)  # only our own checks use these hooks
    return timeline


async def _on_request_sent(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: object
) -> None:
    _timeline(context).request_sent()


async def _on_redirect(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: object
) -> None:
    _timeline(context).enter("redirect")  # headers of a 3xx are in; the next hop starts


async def _on_response(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: object
) -> None:
    _timeline(context).enter("transfer")


@functools.cache
def timeline_hooks() -> aiohttp.TraceConfig:
    """Trace hooks that move a check's :class:`Timeline` (passed as ``trace_request_ctx``).

    One frozen set, shared by every probe: a TraceConfig is some 30 objects and
    2 kB, and the hooks keep no state of their own (each check's is its timeline).
    """
    hooks = aiohttp.TraceConfig()
    hooks.on_request_headers_sent.append(_on_request_sent)
    hooks.on_request_chunk_sent.append(_on_request_sent)
    hooks.on_request_redirect.append(_on_redirect)
    hooks.on_request_end.append(_on_response)
    hooks.freeze()
    return hooks
