"""HTTP probe: fetch a URL the way a first-time visitor does and time every phase.

Each check resolves the name afresh, opens a fresh connection (TLS included),
sends the request, and reads the body up to ``max_body_bytes``; one deadline
(the monitor's ``timeout``) bounds all of it, so a hanging or trickling target
never holds a worker. The verdict is judged in a fixed order: the transport
(DNS, connect, TLS, HTTP itself), then the status, then the body assertions,
then the slow thresholds. Phases (see :mod:`onwatch.probes.connector`):

- dns: ``getaddrinfo`` for the host (``None`` for an IP address);
- connect: the TCP handshake (every address tried, happy eyeballs);
- tls: the TLS handshake over the connected socket (``None`` for ``http://``);
- first_byte: the last request byte handed to the socket → response headers in;
- transfer: response headers in → body read (to the end or the cap).

Redirects add up: every hop's DNS, connect, handshake and wait count, as they
do for the user. Header values are secrets by reference, resolved at check time
and never put in a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from time import perf_counter
from urllib.parse import urlsplit

import aiohttp

from onwatch.errors import SecretError
from onwatch.policy.monitors import HttpMonitor, HttpOptions
from onwatch.probes.assertions import judge_body, judge_status
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.classify import Failure, classify_deadline, classify_exception
from onwatch.probes.connector import TimedConnector, Timeline, timeline_hooks
from onwatch.probes.slow import PHASE_LABELS, judge_slow

USER_AGENT = "onwatch-probe/0.1 (+https://github.com/onwatch)"
_READ_CHUNK = 64 * 1024
_NO_AIOHTTP_TIMEOUTS = aiohttp.ClientTimeout(total=None, connect=None, sock_read=None)


@lru_cache(maxsize=64)
def tls_context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    """A client TLS context, made once per (verify, ca_file): loading CAs costs milliseconds.

    ``ca_file`` replaces the system's CAs (an internal CA). A file that cannot
    be read raises ``OSError`` or ``ssl.SSLError``, and is not cached.
    """
    if verify:
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])  # what we speak; no h2 surprise
    return context


@dataclass
class _Answer:
    """What came back, filled in as it arrives (a failure may cut it short)."""

    status: int | None = None
    charset: str | None = None
    body: bytes = b""
    bytes_read: int | None = None


class HttpProbe:
    """Checks one URL with a fresh connection and no DNS cache per check."""

    def __init__(self, *, name: str, url: str, options: HttpOptions, timeout: timedelta) -> None:
        self.name = name
        self.url = url
        self.options = options
        self.timeout = timeout
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self.target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._hooks = timeline_hooks()
        # What every check would otherwise work out again from the options.
        self._deadline = timeout.total_seconds()
        self._body = options.body.encode() if options.body is not None else None
        self._follow = options.follow_redirects and options.max_redirects > 0
        self._judges_slow = any(getattr(options.slow, key) is not None for key in PHASE_LABELS)
        # Without secret headers every check sends the same ones (aiohttp copies them).
        self._headers = None if options.headers else {"User-Agent": USER_AGENT}
        # Loading CAs takes ~20 ms: do it now, so no check is charged for our own setup.
        with contextlib.suppress(OSError, ssl.SSLError):  # a bad ca_file fails each check
            tls_context(options.verify_tls, options.ca_file)

    @classmethod
    def from_monitor(cls, monitor: HttpMonitor) -> HttpProbe:
        return cls(name=monitor.name, url=monitor.url, options=monitor, timeout=monitor.timeout)

    async def check(self, started_at: float) -> CheckResult:
        began = perf_counter()
        timeline = Timeline(self.target)
        answer = _Answer()
        failure = await self._fetch(timeline, answer)
        timeline.enter("done")
        total_ms = (perf_counter() - began) * 1000
        phases = timeline.spent
        if failure is None:
            failure = self._judge(answer, phases, total_ms)
        return CheckResult(
            monitor=self.name,
            started_at=started_at,
            ok=failure is None,
            total_ms=total_ms,
            failure=failure[0] if failure else None,
            dns_ms=phases.get("dns"),
            connect_ms=phases.get("connect"),
            tls_ms=phases.get("tls"),
            first_byte_ms=phases.get("first_byte"),
            transfer_ms=phases.get("transfer"),
            status_code=answer.status,
            bytes_read=answer.bytes_read,
            detail=failure[1] if failure else None,
        )

    def _judge(self, answer: _Answer, phases: dict[str, float], total_ms: float) -> Failure | None:
        """Status, then body assertions, then slowness: the first that breaks."""
        expect = self.options.expect
        assert answer.status is not None  # a fetch without failure always has a status
        detail = judge_status(answer.status, expect.status)
        if detail is not None:
            return FailureClass.STATUS, detail
        detail = judge_body(answer.body, expect, answer.charset)
        if detail is not None:
            return FailureClass.ASSERTION, detail
        if self._judges_slow:
            detail = judge_slow({**phases, "total": total_ms}, self.options.slow)
            if detail is not None:
                return FailureClass.SLOW, detail
        return None

    async def _fetch(self, timeline: Timeline, answer: _Answer) -> Failure | None:
        """Make the request within the deadline; a transport failure, or ``None``."""
        headers = self._headers
        if headers is None:
            headers = {"User-Agent": USER_AGENT}
            for key, reference in self.options.headers.items():
                try:
                    headers[key] = reference.resolve()  # at check time: secrets may rotate
                except SecretError as exc:  # the message names the reference, never a value
                    return FailureClass.ERROR, f"error: header {key}: {exc}"
        try:
            context = tls_context(self.options.verify_tls, self.options.ca_file)
        except (OSError, ssl.SSLError) as exc:
            return (
                FailureClass.ERROR,
                f"error: ca_file {self.options.ca_file} cannot be used ({exc})",
            )
        connector = TimedConnector(timeline, context)
        try:
            async with asyncio.timeout(self._deadline) as deadline:
                await self._exchange(connector, timeline, headers, answer)
        except TimeoutError as exc:
            if not deadline.expired():
                return classify_exception(exc, phase=timeline.phase, address=timeline.address)
            return classify_deadline(
                timeline.phase,
                address=timeline.address,
                timeout_ms=self._deadline * 1000,
                bytes_read=answer.bytes_read or 0,
            )
        except Exception as exc:  # anything a target does is a verdict, never a crash
            return classify_exception(exc, phase=timeline.phase, address=timeline.address)
        finally:
            connector.close_now()
        if answer.bytes_read is not None and answer.bytes_read > self.options.max_body_bytes:
            limit = self.options.max_body_bytes
            return (
                FailureClass.PROTOCOL,
                f"protocol: body is over the {limit}-byte limit (max_body_bytes)",
            )
        return None

    async def _exchange(
        self,
        connector: TimedConnector,
        timeline: Timeline,
        headers: dict[str, str],
        answer: _Answer,
    ) -> None:
        options = self.options
        async with aiohttp.ClientSession(
            connector=connector, trace_configs=[self._hooks], timeout=_NO_AIOHTTP_TIMEOUTS
        ) as session:
            try:
                async with session.request(
                    options.method,
                    self.url,
                    headers=headers,
                    data=self._body,
                    allow_redirects=self._follow,
                    # aiohttp stops *at* its max; ours is how many redirects may be followed.
                    max_redirects=options.max_redirects + 1,
                    trace_request_ctx=timeline,
                ) as response:
                    answer.status = response.status
                    answer.charset = response.charset
                    answer.bytes_read = 0
                    await _read_capped(response, options.max_body_bytes, answer)
                    timeline.enter("done")
            finally:
                # Abort before the session closes: a TLS close would wait for the peer.
                connector.close_now()


async def _read_capped(response: aiohttp.ClientResponse, cap: int, answer: _Answer) -> None:
    """Read the body into ``answer`` up to ``cap`` bytes, and one more to know it was over."""
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = await response.content.read(min(_READ_CHUNK, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        answer.bytes_read = size
    answer.body = b"".join(chunks)
