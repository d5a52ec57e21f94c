"""The DNS probe against a real DNS server on a loopback UDP port (see dnsserver.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dnsserver import DnsServer, Zone

from onwatch.policy.monitors import DnsMonitor, parse_resolver
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.dns import DnsProbe

STARTED_AT = 1_780_000_000.0

ZONE: Zone = {
    "shop.example": {"A": ["192.0.2.10", "192.0.2.11"], "MX": ["10 mail.shop.example."]},
    "www.shop.example": {"CNAME": ["shop.example."]},
    "mail.shop.example": {"A": ["192.0.2.25"]},
    "_spf.shop.example": {"TXT": ['"v=spf1 ip4:192.0.2.0/24 -all"']},
    "v6.shop.example": {"AAAA": ["2001:db8::10"]},
}


def dns_monitor(**fields: Any) -> DnsMonitor:
    return DnsMonitor.model_validate({"type": "dns", "name": "shop-dns", "timeout": "2s", **fields})


def check(
    monitor_fields: dict[str, Any], *, checks: int = 1, **server_options: Any
) -> tuple[CheckResult, DnsServer]:
    """Run ``checks`` checks against a fresh server; the last result and the server."""

    async def scenario() -> tuple[CheckResult, DnsServer]:
        async with DnsServer(ZONE, **server_options) as server:
            probe = DnsProbe.from_monitor(dns_monitor(resolver=server.address, **monitor_fields))
            results = [await probe.check(STARTED_AT) for _ in range(checks)]
            return results[-1], server

    return asyncio.run(scenario())


def test_it_finds_the_expected_addresses_and_times_the_query() -> None:
    result, _ = check({"query": "shop.example", "expect": ["192.0.2.10"]})

    assert result.ok, result.detail
    assert result.monitor == "shop-dns"
    assert result.started_at == STARTED_AT
    assert result.dns_ms is not None
    assert result.connect_ms is None
    assert result.detail is not None
    assert "192.0.2.10" in result.detail
    assert "192.0.2.11" in result.detail


def test_mx_answers_match_whatever_the_case_and_the_trailing_dot() -> None:
    result, _ = check(
        {"query": "shop.example", "record_type": "MX", "expect": ["10 Mail.Shop.Example"]}
    )

    assert result.ok, result.detail


def test_ipv6_answers_match_however_the_address_is_written() -> None:
    result, _ = check(
        {"query": "v6.shop.example", "record_type": "AAAA", "expect": ["2001:DB8:0:0::10"]}
    )

    assert result.ok, result.detail


def test_txt_answers_match_by_their_text() -> None:
    result, _ = check(
        {
            "query": "_spf.shop.example",
            "record_type": "TXT",
            "expect": ["v=spf1 ip4:192.0.2.0/24 -all"],
        }
    )

    assert result.ok, result.detail


def test_an_address_query_follows_a_cname_to_the_addresses() -> None:
    result, _ = check({"query": "www.shop.example", "expect": ["192.0.2.10", "192.0.2.11"]})

    assert result.ok, result.detail


def test_a_cname_can_be_checked_itself() -> None:
    result, _ = check(
        {"query": "www.shop.example", "record_type": "CNAME", "expect": ["shop.example"]}
    )

    assert result.ok, result.detail


def test_a_missing_expected_answer_fails_naming_it_and_what_came_back() -> None:
    result, _ = check({"query": "shop.example", "expect": ["192.0.2.10", "192.0.2.99"]})

    assert result.failure is FailureClass.ASSERTION
    assert result.detail is not None
    assert result.detail == (
        "assertion: shop.example A lacks 192.0.2.99 (the answer was 192.0.2.10, 192.0.2.11)"
    )


def test_a_name_that_does_not_exist_is_a_dns_failure() -> None:
    result, _ = check({"query": "gone.shop.example"})

    assert result.failure is FailureClass.DNS
    assert result.detail == "dns: gone.shop.example does not exist (NXDOMAIN)"


def test_a_name_without_records_of_the_type_is_a_dns_failure() -> None:
    result, _ = check({"query": "shop.example", "record_type": "AAAA"})

    assert result.failure is FailureClass.DNS
    assert result.detail == "dns: shop.example exists but has no AAAA records"


def test_a_server_failure_is_a_dns_failure_that_says_so() -> None:
    result, server = check({"query": "shop.example"}, servfail={"shop.example"})

    assert result.failure is FailureClass.DNS
    assert result.detail is not None
    assert f"{server.address} answered SERVFAIL" in result.detail


def test_a_server_that_never_answers_ends_as_a_timeout_within_the_deadline() -> None:
    result, _ = check({"query": "shop.example", "timeout": "300ms"}, silent={"shop.example"})

    assert result.failure is FailureClass.TIMEOUT
    assert result.detail is not None
    assert result.detail.startswith("timeout: no answer to shop.example A within 300 ms")
    assert result.total_ms is not None
    assert result.total_ms < 2000  # bounded by the deadline, not by dnspython's retries


def test_an_answer_later_than_the_deadline_is_a_timeout() -> None:
    result, _ = check({"query": "shop.example", "timeout": "200ms"}, delays={"shop.example": 1.0})

    assert result.failure is FailureClass.TIMEOUT


def test_an_answer_slower_than_agreed_is_slow() -> None:
    result, _ = check(
        {"query": "shop.example", "slow": {"dns": "20ms"}}, delays={"shop.example": 0.1}
    )

    assert result.failure is FailureClass.SLOW
    assert result.detail is not None
    assert result.detail.startswith("slow: DNS took")


def test_every_check_asks_the_server_again() -> None:
    _, server = check({"query": "shop.example"}, checks=3)

    assert server.queries == [("shop.example.", "A")] * 3


def test_a_resolver_can_be_given_by_name() -> None:
    async def scenario() -> CheckResult:
        async with DnsServer(ZONE) as server:
            port = server.address.rpartition(":")[2]
            monitor = dns_monitor(query="shop.example", resolver=f"localhost:{port}")
            return await DnsProbe.from_monitor(monitor).check(STARTED_AT)

    result = asyncio.run(scenario())

    assert result.ok, result.detail


def test_the_probe_targets_the_resolver_it_asks() -> None:
    probe = DnsProbe.from_monitor(dns_monitor(query="shop.example", resolver="192.0.2.53"))

    assert probe.name == "shop-dns"
    assert probe.target == "192.0.2.53:53"


@pytest.mark.parametrize(
    ("written", "host", "port"),
    [
        ("192.0.2.53", "192.0.2.53", 53),
        ("192.0.2.53:5353", "192.0.2.53", 5353),
        ("ns1.example:5353", "ns1.example", 5353),
        ("[2001:db8::53]:5353", "2001:db8::53", 5353),
        ("2001:db8::53", "2001:db8::53", 53),
    ],
)
def test_a_resolver_is_written_as_host_and_optional_port(
    written: str, host: str, port: int
) -> None:
    assert parse_resolver(written) == (host, port)


@pytest.mark.parametrize("written", ["ns1.example:dns", "ns1.example:0", ":53", "[::1]:"])
def test_a_resolver_with_a_bad_port_is_refused_with_its_spelling(written: str) -> None:
    with pytest.raises(ValueError, match="is not host, host:port"):
        parse_resolver(written)
