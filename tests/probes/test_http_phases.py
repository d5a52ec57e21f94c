"""An HTTP check's phases are honest: each wait shows up under the phase that caused it.

Real servers on loopback (see ``servers.py``); every test runs on asyncio and
on uvloop. The only timings asserted are the facts the phases promise: a
handshake delayed by 300 ms is under TLS and not under connect, headers held
back 500 ms are under first byte.
"""

from __future__ import annotations

import dataclasses

import pytest
from httpcheck import Checks as Check
from httpcheck import probe
from servers import SLOW_HEADERS_SECONDS, TLS_DELAY_SECONDS, Servers

from onwatch.policy.monitors import Pool
from onwatch.probes.http import HttpProbe

pytestmark = pytest.mark.timeout(60)


def trusting(servers: Servers) -> dict[str, str]:
    return {"ca_file": str(servers.ca_file)}


def test_a_plain_http_check_times_connect_first_byte_and_transfer(
    servers: Servers, check: Check
) -> None:
    [result] = check(probe(servers.http + "/ok"))

    assert result.ok, result.detail
    assert (result.monitor, result.status_code, result.bytes_read) == ("shop", 200, 19)
    assert None not in (
        result.connect_ms,
        result.first_byte_ms,
        result.transfer_ms,
        result.total_ms,
    )
    assert result.tls_ms is None  # no TLS on plain HTTP
    assert result.dns_ms is None  # an IP address needs no lookup


def test_every_check_looks_the_name_up_and_connects_afresh(servers: Servers, check: Check) -> None:
    port = servers.http.rsplit(":", 1)[1]
    same = probe(f"http://localhost:{port}/ok")

    results = check(same, same, same)

    for result in results:
        assert result.ok, result.detail
        assert result.dns_ms is not None  # no DNS cache: every check pays the lookup
        assert result.connect_ms is not None  # no kept-alive connection either


def test_https_times_the_handshake_apart_from_the_connect(servers: Servers, check: Check) -> None:
    [result] = check(probe(servers.https + "/ok", **trusting(servers)))

    assert result.ok, result.detail
    assert result.connect_ms is not None
    assert result.tls_ms is not None


def test_a_handshake_delayed_300ms_shows_under_tls_and_not_under_connect(
    servers: Servers, check: Check
) -> None:
    [result] = check(probe(servers.tls_delayed + "/", **trusting(servers)))

    assert result.ok, result.detail
    assert result.tls_ms is not None
    assert result.connect_ms is not None
    assert result.tls_ms >= TLS_DELAY_SECONDS * 1000
    assert result.connect_ms < TLS_DELAY_SECONDS * 1000


def test_headers_held_back_500ms_show_under_first_byte(servers: Servers, check: Check) -> None:
    [result] = check(probe(servers.http + "/slow-headers"))

    assert result.ok, result.detail
    assert result.first_byte_ms is not None
    assert result.first_byte_ms >= SLOW_HEADERS_SECONDS * 1000
    assert result.connect_ms is not None
    assert result.connect_ms < SLOW_HEADERS_SECONDS * 1000
    assert result.transfer_ms is not None
    assert result.transfer_ms < SLOW_HEADERS_SECONDS * 1000


def test_checks_running_together_keep_their_own_phases(servers: Servers, check: Check) -> None:
    port = servers.http.rsplit(":", 1)[1]
    slow, tls, named, plain = check(
        probe(servers.http + "/slow-headers"),
        probe(servers.https + "/ok", **trusting(servers)),
        probe(f"http://localhost:{port}/ok"),
        probe(servers.http + "/ok"),
    )

    assert all(result.ok for result in (slow, tls, named, plain))
    assert [r.tls_ms is not None for r in (slow, tls, named, plain)] == [False, True, False, False]
    assert [r.dns_ms is not None for r in (slow, tls, named, plain)] == [False, False, True, False]
    assert slow.first_byte_ms is not None
    assert slow.first_byte_ms >= SLOW_HEADERS_SECONDS * 1000
    # The slow neighbour's wait did not leak into this check's first byte.
    assert plain.first_byte_ms is not None
    assert plain.first_byte_ms < SLOW_HEADERS_SECONDS * 1000


def test_a_redirect_is_followed_to_the_final_answer(servers: Servers, check: Check) -> None:
    [result] = check(probe(servers.http + "/redirect-once", expect={"keyword": "Thanks"}))

    assert result.ok, result.detail
    assert result.status_code == 200


def test_a_redirect_is_judged_as_it_is_when_following_is_off(
    servers: Servers, check: Check
) -> None:
    off, none_allowed = check(
        probe(servers.http + "/redirect-once", follow_redirects=False),
        probe(servers.http + "/redirect-once", max_redirects=0),
    )

    assert off.ok
    assert none_allowed.ok
    assert off.status_code == none_allowed.status_code == 302


def test_a_head_request_reads_no_body(servers: Servers, check: Check) -> None:
    [result] = check(probe(servers.http + "/ok", method="HEAD"))

    assert result.ok, result.detail
    assert result.bytes_read == 0


def test_the_method_and_body_are_sent_as_written(servers: Servers, check: Check) -> None:
    [result] = check(
        probe(
            servers.http + "/echo-headers",
            method="POST",
            body="hello",
            expect={"json": [{"path": "$.Content-Length", "equals": "5"}]},
        )
    )

    assert result.ok, result.detail


def test_header_secrets_are_resolved_when_the_check_runs(
    servers: Servers, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = probe(
        servers.http + "/echo-headers",
        headers={"X-Token": "${SHOP_TOKEN}"},
        expect={"json": [{"path": "$.X-Token", "equals": "rotated-value"}]},
    )
    monkeypatch.setenv("SHOP_TOKEN", "rotated-value")  # set after the probe was built

    [result] = check(watcher)

    assert result.ok, result.detail


def test_a_check_result_is_an_immutable_value(servers: Servers, check: Check) -> None:
    [result] = check(probe(servers.http + "/ok"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://shop.example/checkout", "shop.example:80"),
        ("https://shop.example/", "shop.example:443"),
        ("https://10.0.0.7:8443/health", "10.0.0.7:8443"),
        ("http://[::1]:8080/", "[::1]:8080"),
    ],
)
def test_the_target_is_host_and_port(url: str, target: str) -> None:
    assert probe(url).target == target


def test_a_pool_backend_probe_is_built_from_the_pools_options() -> None:
    pool = Pool.model_validate(
        {"name": "api", "targets": ["http://10.0.0.1/", "http://10.0.0.2/"], "timeout": "3s"}
    )

    backend = HttpProbe(name="api#2", url=pool.targets[1], options=pool, timeout=pool.timeout)

    assert (backend.name, backend.target, backend.timeout.total_seconds()) == (
        "api#2",
        "10.0.0.2:80",
        3,
    )
