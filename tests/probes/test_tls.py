"""The TLS probe against real TLS servers on loopback, with certificates made in the test."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from certs import CertificateAuthority, Issued

from onwatch.policy.monitors import TlsMonitor
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.tls import TlsProbe

STARTED_AT = 1_780_000_000.0
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


def days_from_now(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def tls_monitor(**fields: Any) -> TlsMonitor:
    return TlsMonitor.model_validate({"type": "tls", "name": "shop-tls", "timeout": "2s", **fields})


async def hold_until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        with contextlib.suppress(OSError):  # the probe may leave without a goodbye
            await reader.read()
    finally:
        writer.close()  # also when the test's loop ends first and cancels us


def check_server(
    context: ssl.SSLContext | None, handler: Handler = hold_until_closed, **monitor_fields: Any
) -> CheckResult:
    """One check of a server on a loopback port (``ssl=None``: a server that is not TLS)."""

    async def scenario() -> CheckResult:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
        async with server:
            port = server.sockets[0].getsockname()[1]
            monitor = tls_monitor(host="127.0.0.1", port=port, **monitor_fields)
            return await TlsProbe.from_monitor(monitor).check(STARTED_AT)

    return asyncio.run(scenario())


def check(issued: Issued, ca: CertificateAuthority, **monitor_fields: Any) -> CheckResult:
    """One check of a TLS server with ``issued``, trusting ``ca``."""
    fields = {"ca_file": str(ca.cert_path), **monitor_fields}
    return check_server(issued.server_context(), **fields)


def test_a_valid_certificate_passes_and_says_how_long_it_stays_valid(
    ca: CertificateAuthority,
) -> None:
    issued = ca.issue(["shop.example", "127.0.0.1"], valid_until=days_from_now(80.5))

    result = check(issued, ca)

    assert result.ok, result.detail
    assert result.detail == "certificate valid for 80 more days"
    assert result.connect_ms is not None
    assert result.tls_ms is not None
    assert result.dns_ms is None


def test_the_certificate_is_checked_for_the_server_name_when_one_is_given(
    ca: CertificateAuthority,
) -> None:
    issued = ca.issue(["shop.example"])

    result = check(issued, ca, server_name="shop.example")

    assert result.ok, result.detail


def test_an_expired_certificate_fails_as_expired(ca: CertificateAuthority) -> None:
    issued = ca.issue(
        ["127.0.0.1"], valid_from=days_from_now(-30), valid_until=days_from_now(-2), label="old"
    )

    result = check(issued, ca)

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "expired" in result.detail


def test_a_certificate_not_valid_yet_fails_as_not_yet_valid(ca: CertificateAuthority) -> None:
    issued = ca.issue(["127.0.0.1"], valid_from=days_from_now(2), valid_until=days_from_now(90))

    result = check(issued, ca)

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "not yet valid" in result.detail


def test_a_certificate_for_another_host_fails_as_wrong_host(ca: CertificateAuthority) -> None:
    issued = ca.issue(["other.example"])

    result = check(issued, ca, server_name="shop.example")

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "wrong host" in result.detail


def test_a_certificate_for_another_address_fails_as_wrong_host(ca: CertificateAuthority) -> None:
    issued = ca.issue(["127.0.0.2"])

    result = check(issued, ca)

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "wrong host" in result.detail


def test_a_certificate_from_an_untrusted_authority_fails_as_unknown_issuer(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    stranger = CertificateAuthority(tmp_path, name="someone else")
    issued = stranger.issue(["127.0.0.1"], label="stranger")

    result = check(issued, ca)

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "unknown issuer" in result.detail


def test_without_a_ca_file_only_the_system_authorities_are_trusted(
    ca: CertificateAuthority,
) -> None:
    issued = ca.issue(["127.0.0.1"])

    result = check_server(issued.server_context())

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "unknown issuer" in result.detail


def test_a_certificate_expiring_within_warn_days_fails_with_the_date(
    ca: CertificateAuthority,
) -> None:
    expiry = days_from_now(9.6)
    issued = ca.issue(["shop.example"], valid_until=expiry)

    result = check(issued, ca, server_name="shop.example", warn_days=14)

    assert result.failure is FailureClass.TLS
    assert result.detail == (
        "tls: certificate for shop.example"
        f" expires in 9.6 days (on {expiry:%Y-%m-%d}; warn_days: 14)"
    )


def test_a_certificate_expiring_after_warn_days_passes(ca: CertificateAuthority) -> None:
    issued = ca.issue(["127.0.0.1"], valid_until=days_from_now(9.6))

    result = check(issued, ca, warn_days=7)

    assert result.ok, result.detail
    assert result.detail == "certificate valid for 9 more days"


def test_a_server_that_does_not_speak_tls_fails_as_tls(ca: CertificateAuthority) -> None:
    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    result = check_server(None, plain_http, ca_file=str(ca.cert_path))

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert "handshake" in result.detail


def test_a_server_that_never_answers_the_handshake_fails_as_tls_at_the_deadline(
    ca: CertificateAuthority,
) -> None:
    result = check_server(None, hold_until_closed, ca_file=str(ca.cert_path), timeout="300ms")

    assert result.failure is FailureClass.TLS
    assert result.detail is not None
    assert result.detail.startswith("tls: handshake with 127.0.0.1:")
    assert result.detail.endswith("not finished within 300 ms")
    assert result.connect_ms is not None


def test_a_closed_port_is_refused_before_any_handshake() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    probe = TlsProbe.from_monitor(tls_monitor(host="127.0.0.1", port=port))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.failure is FailureClass.REFUSED
    assert result.tls_ms is None


def test_a_handshake_slower_than_agreed_is_slow(ca: CertificateAuthority) -> None:
    issued = ca.issue(["127.0.0.1"])

    result = check(issued, ca, slow={"tls": "0.001ms"})

    assert result.failure is FailureClass.SLOW
    assert result.detail is not None
    assert "TLS handshake took" in result.detail


def test_a_ca_file_that_cannot_be_read_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    probe = TlsProbe.from_monitor(tls_monitor(host="127.0.0.1", port=443, ca_file=str(missing)))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.failure is FailureClass.ERROR
    assert result.detail is not None
    assert str(missing) in result.detail


def test_the_probe_targets_host_and_port_and_verifies_the_host_by_default() -> None:
    probe = TlsProbe.from_monitor(tls_monitor(host="shop.example"))

    assert probe.name == "shop-tls"
    assert probe.target == "shop.example:443"
    assert probe.server_name == "shop.example"


@pytest.fixture
def uvloop_policy() -> Iterator[None]:
    uvloop = pytest.importorskip("uvloop")
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    yield
    asyncio.set_event_loop_policy(previous)


@pytest.mark.usefixtures("uvloop_policy")
def test_the_verdicts_are_the_same_on_uvloop(ca: CertificateAuthority) -> None:
    good = ca.issue(["127.0.0.1"], label="good")
    expired = ca.issue(
        ["127.0.0.1"], valid_from=days_from_now(-30), valid_until=days_from_now(-1), label="expired"
    )

    assert check(good, ca).ok
    assert check(expired, ca).failure is FailureClass.TLS
