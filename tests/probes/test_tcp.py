"""The TCP probe against real sockets on loopback: open, closed, full and slow ports."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from servers import closed_port as pick_closed_port
from servers import full_backlog

from onwatch.policy.monitors import TcpMonitor
from onwatch.probes.base import FailureClass
from onwatch.probes.tcp import TcpProbe

STARTED_AT = 1_780_000_000.0


def tcp_monitor(**fields: Any) -> TcpMonitor:
    return TcpMonitor.model_validate({"type": "tcp", "name": "db", **fields})


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake)."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on (``servers.closed_port``)."""
    return pick_closed_port()


@pytest.fixture
def full_port() -> Iterator[int]:
    """A listener whose accept queue is full (``servers.full_backlog``)."""
    with full_backlog() as port:
        yield port


def test_it_connects_to_a_port_that_listens(listening_port: int) -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="127.0.0.1", port=listening_port))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.ok
    assert result.monitor == "db"
    assert result.started_at == STARTED_AT
    assert result.failure is None
    assert result.connect_ms is not None
    assert result.total_ms is not None
    assert result.dns_ms is None  # an IP address needs no lookup
    assert result.detail == f"connected to 127.0.0.1:{listening_port}"


def test_it_looks_up_a_host_name_before_connecting(listening_port: int) -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="localhost", port=listening_port))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.ok, result.detail
    assert result.dns_ms is not None
    assert result.connect_ms is not None


def test_a_closed_port_is_refused(closed_port: int) -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="127.0.0.1", port=closed_port))

    result = asyncio.run(probe.check(STARTED_AT))

    assert not result.ok
    assert result.failure is FailureClass.REFUSED
    assert result.detail is not None
    assert f"127.0.0.1:{closed_port}" in result.detail


def test_a_host_name_that_does_not_exist_is_a_dns_failure() -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="no-such-host.invalid", port=5432, timeout="5s"))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.failure is FailureClass.DNS
    assert result.detail is not None
    assert "no-such-host.invalid" in result.detail
    assert result.connect_ms is None


def test_a_port_that_never_answers_is_a_connect_timeout(full_port: int) -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="127.0.0.1", port=full_port, timeout="300ms"))

    result = asyncio.run(probe.check(STARTED_AT))

    assert result.failure is FailureClass.CONNECT_TIMEOUT
    assert result.detail is not None
    assert result.detail.endswith("did not accept the connection within 300 ms")


def test_a_connect_slower_than_agreed_is_slow_and_names_the_phase(listening_port: int) -> None:
    monitor = tcp_monitor(host="127.0.0.1", port=listening_port, slow={"connect": "0.001ms"})

    result = asyncio.run(TcpProbe.from_monitor(monitor).check(STARTED_AT))

    assert not result.ok
    assert result.failure is FailureClass.SLOW
    assert result.detail is not None
    assert "connect" in result.detail
    assert result.connect_ms is not None  # the timings are kept for the slow check


def test_the_probe_names_its_target_as_host_and_port() -> None:
    probe = TcpProbe.from_monitor(tcp_monitor(host="db.internal", port=5432))

    assert probe.name == "db"
    assert probe.target == "db.internal:5432"


def test_each_check_opens_a_fresh_connection() -> None:
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        port = server.getsockname()[1]
        probe = TcpProbe.from_monitor(tcp_monitor(host="127.0.0.1", port=port))

        async def twice() -> list[bool]:
            return [(await probe.check(STARTED_AT)).ok for _ in range(2)]

        assert asyncio.run(twice()) == [True, True]
        server.settimeout(5)
        accepted = [server.accept()[0] for _ in range(2)]  # both are in the accept queue
        for connection in accepted:
            connection.close()
