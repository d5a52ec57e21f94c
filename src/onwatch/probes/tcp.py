"""TCP probe: can a client open a connection to ``host:port``, and how long does it take?

Each check looks the host up afresh (no cache, like a first visit), connects the
way the HTTP probe does (happy eyeballs over every address found) and closes at
once. The lookup and the connect are timed apart; one deadline covers the whole
check, and a deadline that ends a connect is ``connect_timeout``.

The pieces the DNS and TLS probes share (connecting, turning a failure into a
:class:`CheckResult`) live here; errors and deadlines are classified by
:mod:`onwatch.probes.classify`, so a tcp, tls or http check of one server that
breaks the same way reports the same class and words.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from datetime import timedelta

import aiohappyeyeballs

from onwatch.policy.monitors import SlowThresholds, TcpMonitor
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.classify import classify_deadline, classify_exception
from onwatch.probes.connector import Timeline
from onwatch.probes.slow import judge_slow

_HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305's head start for the first address, as the HTTP probe


class CheckError(Exception):
    """A classified failure raised inside a check and turned into a result by it."""

    def __init__(self, failure: FailureClass, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail

    @classmethod
    def classified(cls, exc: BaseException, phase: str, address: str) -> CheckError:
        """``exc``, raised in ``phase`` while talking to ``address``, judged as HTTP checks are."""
        return cls(*classify_exception(exc, phase=phase, address=address))


class Run:
    """One check under way: its phases (a :class:`Timeline`) and when it began."""

    def __init__(self, monitor: str, started_at: float) -> None:
        self.monitor = monitor
        self.started_at = started_at
        self.timeline = Timeline()
        self._began = time.perf_counter()

    def total_ms(self) -> float:
        return (time.perf_counter() - self._began) * 1000


def endpoint(host: str, port: int) -> str:
    """``host:port``, with brackets around an IPv6 address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def open_socket(host: str, port: int, timeline: Timeline) -> socket.socket:
    """A connected socket; phases ``dns`` (names only) and ``connect`` on ``timeline``.

    Raises :class:`CheckError` for anything the target or its DNS does.
    """
    loop = asyncio.get_running_loop()
    if _is_address(host):
        # An address needs no lookup: no dns phase, so dns_ms stays None.
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    else:
        timeline.enter("dns")
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:  # socket.gaierror: no such name, no answer from the resolver
            raise CheckError.classified(exc, "dns", endpoint(host, port)) from exc
        if not infos:
            raise CheckError(FailureClass.DNS, f"dns: {host} has no address to connect to")
    timeline.enter("connect")
    try:
        return await aiohappyeyeballs.start_connection(
            list(infos), happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY
        )
    except OSError as exc:  # refused, unreachable, the kernel giving up (ETIMEDOUT)
        raise CheckError.classified(exc, "connect", endpoint(host, port)) from exc


def deadline_failure(timeline: Timeline, address: str, timeout: timedelta) -> CheckError:
    """The deadline hit: judged by the phase it ended (a connect → ``connect_timeout``)."""
    failure, detail = classify_deadline(
        timeline.phase, address=address, timeout_ms=timeout.total_seconds() * 1000, bytes_read=0
    )
    return CheckError(failure, detail)


def finish(
    run: Run,
    slow: SlowThresholds,
    *,
    failure: CheckError | None = None,
    detail: str | None = None,
) -> CheckResult:
    """The result of a check: its own failure first, else ``slow`` when over a threshold.

    A phase that failed keeps its time (the user waited that long), as in HTTP checks.
    """
    run.timeline.enter("done")
    total = run.total_ms()
    phases = {
        "dns": run.timeline.ms("dns"),
        "connect": run.timeline.ms("connect"),
        "tls": run.timeline.ms("tls"),
        "total": total,
    }
    if failure is None:
        slow_detail = judge_slow(phases, slow)
        if slow_detail is not None:
            failure = CheckError(FailureClass.SLOW, slow_detail)
    return CheckResult(
        monitor=run.monitor,
        started_at=run.started_at,
        ok=failure is None,
        total_ms=total,
        failure=None if failure is None else failure.failure,
        dns_ms=phases["dns"],
        connect_ms=phases["connect"],
        tls_ms=phases["tls"],
        detail=detail if failure is None else failure.detail,
    )


class TcpProbe:
    """Opens (and closes) one TCP connection per check."""

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        timeout: timedelta,
        slow: SlowThresholds | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.timeout = timeout
        self.slow = slow or SlowThresholds()
        self.target = endpoint(host, port)

    @classmethod
    def from_monitor(cls, monitor: TcpMonitor) -> TcpProbe:
        return cls(
            name=monitor.name,
            host=monitor.host,
            port=monitor.port,
            timeout=monitor.timeout,
            slow=monitor.slow,
        )

    async def check(self, started_at: float) -> CheckResult:
        run = Run(self.name, started_at)
        try:
            async with asyncio.timeout(self.timeout.total_seconds()):
                sock = await open_socket(self.host, self.port, run.timeline)
        except CheckError as error:
            return finish(run, self.slow, failure=error)
        except TimeoutError:
            return finish(
                run, self.slow, failure=deadline_failure(run.timeline, self.target, self.timeout)
            )
        # Which address answered matters when a name has several (one may be down).
        peer = endpoint(*sock.getpeername()[:2])
        sock.close()
        return finish(run, self.slow, detail=f"connected to {peer}")
