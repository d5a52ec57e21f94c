"""TLS probe: handshake with a server, verify its certificate and warn before it expires.

Each check connects afresh (timed as ``connect``), then does the TLS handshake
over that socket (timed apart as ``tls``) with a verifying context: the
system's authorities, or only those in ``ca_file``. A certificate that fails
verification is a ``tls`` failure with the reason people act on: expired, not
yet valid, wrong host, unknown issuer. A valid one that expires within
``warn_days`` is a ``tls`` failure too, sent while there is time to renew.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import ssl
from datetime import timedelta
from functools import lru_cache

from cryptography import x509

from onwatch.clock import Clock, SystemClock
from onwatch.policy.monitors import SlowThresholds, TlsMonitor
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.tcp import CheckError, Run, deadline_failure, endpoint, finish, open_socket

_SECONDS_PER_DAY = 86400


@lru_cache(maxsize=64)
def _verifying_context(ca_file: str | None, _version: int) -> ssl.SSLContext:
    """One context per CA bundle (loading the system store is slow); a rewritten file is reloaded."""
    context = ssl.create_default_context(cafile=ca_file)
    # Judge certificates as browsers and curl do; Python 3.13's stricter default
    # would fail certificates that every client accepts.
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """The cached context for ``ca_file`` (``None``: the system's authorities)."""
    try:
        version = 0 if ca_file is None else os.stat(ca_file).st_mtime_ns
        return _verifying_context(ca_file, version)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CheckError(
            FailureClass.ERROR, f'error: ca_file "{ca_file}" cannot be used ({reason})'
        ) from exc


def days(value: float) -> str:
    """``9.63`` → ``"9.6 days"``; ``1.0`` → ``"1 day"``."""
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} day" if text == "1" else f"{text} days"


class TlsProbe:
    """Handshakes with ``host:port`` once per check and judges the certificate."""

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int = 443,
        server_name: str | None = None,
        warn_days: int = 14,
        ca_file: str | None = None,
        timeout: timedelta,
        slow: SlowThresholds | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.server_name = server_name or host
        self.warn_days = warn_days
        self.ca_file = ca_file
        self.timeout = timeout
        self.slow = slow or SlowThresholds()
        self.clock: Clock = clock or SystemClock()
        self.target = endpoint(host, port)

    @classmethod
    def from_monitor(cls, monitor: TlsMonitor) -> TlsProbe:
        return cls(
            name=monitor.name,
            host=monitor.host,
            port=monitor.port,
            server_name=monitor.server_name,
            warn_days=monitor.warn_days,
            ca_file=monitor.ca_file,
            timeout=monitor.timeout,
            slow=monitor.slow,
        )

    async def check(self, started_at: float) -> CheckResult:
        run = Run(self.name, started_at)
        budget = self.timeout.total_seconds()
        try:
            async with asyncio.timeout(budget):
                context = verifying_context(self.ca_file)
                sock = await open_socket(self.host, self.port, run.timeline)
                run.timeline.enter("tls")
                certificate = await self._handshake(sock, context, budget)
        except CheckError as error:
            return finish(run, self.slow, failure=error)
        except TimeoutError:
            late = deadline_failure(run.timeline, self.target, self.timeout)
            return finish(run, self.slow, failure=late)
        failure, detail = self._judge_expiry(certificate)
        return finish(run, self.slow, failure=failure, detail=detail)

    async def _handshake(
        self, sock: socket.socket, context: ssl.SSLContext, budget: float
    ) -> x509.Certificate:
        """The verified peer certificate, or a :class:`CheckError` saying why not."""
        loop = asyncio.get_running_loop()
        try:
            # The socket is connected already, so this awaits only the handshake.
            transport, _ = await loop.create_connection(
                asyncio.Protocol,
                sock=sock,
                ssl=context,
                server_hostname=self.server_name,
                ssl_handshake_timeout=budget + 1,  # our own deadline ends it first
            )
        except (OSError, ssl.CertificateError) as exc:  # ssl.SSLError is an OSError
            sock.close()
            # Expired, wrong host, unknown issuer, not TLS, hung up: worded as HTTP checks are.
            raise CheckError.classified(exc, "tls", self.target) from exc
        except BaseException:  # the deadline: leave no socket behind
            sock.close()
            raise
        try:
            ssl_object = transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        finally:
            transport.close()  # sends close_notify; nothing waits for the reply
        if not der:
            raise CheckError(FailureClass.TLS, f"tls: {self.target} sent no certificate")
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError as exc:  # OpenSSL accepted it, but it is malformed for cryptography
            raise CheckError(
                FailureClass.TLS, f"tls: the certificate of {self.target} cannot be read ({exc})"
            ) from exc

    def _judge_expiry(self, certificate: x509.Certificate) -> tuple[CheckError | None, str | None]:
        """A failure when it expires within ``warn_days``, else how long it stays valid."""
        expires = certificate.not_valid_after_utc
        left = (expires.timestamp() - self.clock.now()) / _SECONDS_PER_DAY
        if left < self.warn_days:
            on = expires.astimezone(dt.UTC).strftime("%Y-%m-%d")
            detail = (
                f"tls: certificate for {self.server_name} expires in {days(left)}"
                f" (on {on}; warn_days: {self.warn_days})"
            )
            return CheckError(FailureClass.TLS, detail), None
        whole = int(left)
        return None, f"certificate valid for {whole} more {'day' if whole == 1 else 'days'}"
