"""Every way a target can fail an HTTP check ends as a classified result, never a crash or a hang.

Real servers on loopback (``servers.py``), on asyncio and uvloop: refused and full ports, bad
names and certificates, garbage, cut-short, trickling, endless and hanging answers, redirect
loops; then the order of judgement: transport, status, assertions, slow.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from httpcheck import Checks, probe
from servers import Servers, closed_port, full_backlog

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.classify import classify_deadline, classify_exception
from onwatch.probes.http import HttpProbe

pytestmark = pytest.mark.timeout(60)

Check = Callable[[HttpProbe], CheckResult]


@pytest.fixture
def check(check: Checks) -> Check:
    """One probe at a time: the shared ``check`` (``conftest.py``) with its one result."""
    return lambda one: check(one)[0]


def failed(result: CheckResult, failure: FailureClass) -> str:
    """The detail of a result that failed as expected."""
    assert not result.ok
    assert result.failure is failure, result.detail
    assert result.detail is not None
    assert result.detail.startswith(f"{failure.value}: "), result.detail
    return result.detail


def test_a_closed_port_is_refused_and_named(check: Check) -> None:
    port = closed_port()

    detail = failed(check(probe(f"http://127.0.0.1:{port}/")), FailureClass.REFUSED)

    assert detail == f"refused: 127.0.0.1:{port} refused the connection"


def test_a_port_whose_queue_is_full_is_a_connect_timeout_within_the_deadline(check: Check) -> None:
    with full_backlog() as port:
        result = check(probe(f"http://127.0.0.1:{port}/", timeout="500ms"))

    detail = failed(result, FailureClass.CONNECT_TIMEOUT)
    assert detail.endswith(f"127.0.0.1:{port} did not accept the connection within 500 ms")
    assert result.connect_ms is not None  # the wait is kept: the user waited that long
    assert result.first_byte_ms is None


def test_a_name_that_does_not_resolve_is_a_dns_failure(check: Check) -> None:
    result = check(probe("http://no-such-shop.invalid/", timeout="3s"))

    detail = failed(result, FailureClass.DNS)
    assert "no-such-shop.invalid" in detail
    assert result.connect_ms is None


def test_an_expired_certificate_is_a_tls_failure_that_says_expired(
    servers: Servers, check: Check
) -> None:
    result = check(probe(servers.https_expired + "/ok", ca_file=str(servers.ca_file)))

    assert failed(result, FailureClass.TLS) == "tls: certificate has expired"
    assert result.tls_ms is not None
    assert result.first_byte_ms is None


def test_a_certificate_for_another_host_is_a_tls_failure_that_says_wrong_host(
    servers: Servers, check: Check
) -> None:
    port = servers.https_wrong_host.rsplit(":", 1)[1]
    result = check(probe(f"https://localhost:{port}/ok", ca_file=str(servers.ca_file)))

    detail = failed(result, FailureClass.TLS)
    assert detail.startswith("tls: wrong host:")
    assert "localhost" in detail


def test_a_certificate_from_an_unknown_issuer_is_a_tls_failure_that_says_so(
    servers: Servers, check: Check
) -> None:
    ca_file = str(servers.ca_file)
    trusting_our_ca = check(probe(servers.https_unknown_issuer + "/ok", ca_file=ca_file))
    trusting_the_system = check(probe(servers.https + "/ok"))  # it never heard of our test CA

    assert failed(trusting_our_ca, FailureClass.TLS).startswith("tls: unknown issuer")
    assert failed(trusting_the_system, FailureClass.TLS).startswith("tls: unknown issuer")


def test_turning_verification_off_accepts_any_certificate(servers: Servers, check: Check) -> None:
    result = check(probe(servers.https_expired + "/ok", verify_tls=False))

    assert result.ok, result.detail
    assert result.tls_ms is not None


def test_tls_to_a_plain_http_port_is_a_failed_handshake(servers: Servers, check: Check) -> None:
    url = servers.http.replace("http://", "https://") + "/ok"

    assert "handshake" in failed(check(probe(url)), FailureClass.TLS)


def test_a_ca_file_that_cannot_be_read_is_an_error_naming_it(
    servers: Servers, check: Check
) -> None:
    result = check(probe(servers.https + "/ok", ca_file="/nowhere/ca.pem"))

    assert "/nowhere/ca.pem" in failed(result, FailureClass.ERROR)


def test_a_server_that_does_not_speak_http_is_a_protocol_failure(
    servers: Servers, check: Check
) -> None:
    detail = failed(check(probe(servers.garbage + "/")), FailureClass.PROTOCOL)

    assert detail.startswith("protocol: not HTTP")
    assert "SSH-2.0" in detail


def test_malformed_response_headers_are_a_protocol_failure(servers: Servers, check: Check) -> None:
    detail = failed(check(probe(servers.bad_headers + "/")), FailureClass.PROTOCOL)

    assert detail.startswith("protocol: bad headers")


def test_a_body_shorter_than_announced_is_a_protocol_failure(
    servers: Servers, check: Check
) -> None:
    result = check(probe(servers.cut_short + "/"))

    assert failed(result, FailureClass.PROTOCOL).startswith("protocol: broken body")
    assert (result.status_code, result.bytes_read) == (200, 10)


def test_a_server_that_never_answers_is_a_timeout_within_the_deadline(
    servers: Servers, check: Check
) -> None:
    result = check(probe(servers.hanging + "/", timeout="500ms"))

    detail = failed(result, FailureClass.TIMEOUT)
    assert detail.startswith("timeout: no answer from 127.0.0.1:")
    assert result.status_code is None


def test_a_server_that_never_finishes_the_handshake_is_a_tls_failure_within_the_deadline(
    servers: Servers, check: Check
) -> None:
    url = servers.hanging.replace("http://", "https://") + "/"

    detail = failed(check(probe(url, timeout="500ms")), FailureClass.TLS)

    assert detail.startswith("tls: handshake with 127.0.0.1:")
    assert detail.endswith("not finished within 500 ms")


def test_a_trickling_body_is_cut_off_by_the_deadline(servers: Servers, check: Check) -> None:
    result = check(probe(servers.http + "/trickle", timeout="500ms"))

    detail = failed(result, FailureClass.TIMEOUT)
    assert detail.startswith("timeout: body not complete within 500 ms")
    assert result.status_code == 200
    assert result.bytes_read is not None
    assert result.bytes_read > 0


def test_a_gigabyte_body_is_read_only_up_to_the_cap(servers: Servers, check: Check) -> None:
    result = check(probe(servers.http + "/huge", max_body_bytes=100_000))

    detail = failed(result, FailureClass.PROTOCOL)
    assert detail == "protocol: body is over the 100000-byte limit (max_body_bytes)"
    assert result.bytes_read == 100_001  # one byte past the cap tells it was over


def test_a_redirect_loop_is_a_protocol_failure_that_shows_the_loop(
    servers: Servers, check: Check
) -> None:
    detail = failed(check(probe(servers.http + "/redirect-loop")), FailureClass.PROTOCOL)

    assert detail == (
        f"protocol: redirect loop at {servers.http}"
        " (/redirect-loop → /redirect-loop-b → /redirect-loop)"
    )


def test_more_redirects_than_allowed_is_a_protocol_failure(servers: Servers, check: Check) -> None:
    detail = failed(
        check(probe(servers.http + "/redirect-loop", max_redirects=1)), FailureClass.PROTOCOL
    )

    assert detail.startswith("protocol: more than 1 redirects")


def test_an_unexpected_status_is_a_status_failure(servers: Servers, check: Check) -> None:
    result = check(probe(servers.http + "/status/503"))

    assert (
        failed(result, FailureClass.STATUS)
        == "status: 503 Service Unavailable, expected 2xx or 3xx"
    )
    assert result.status_code == 503


def test_a_broken_body_assertion_is_an_assertion_failure(servers: Servers, check: Check) -> None:
    rules = {"json": [{"path": "$.status", "equals": "ok"}]}

    detail = failed(check(probe(servers.http + "/json", expect=rules)), FailureClass.ASSERTION)

    assert detail == 'assertion: $.status is "degraded", expected "ok"'


def test_a_phase_over_its_threshold_is_slow_and_keeps_its_timings(
    servers: Servers, check: Check
) -> None:
    result = check(probe(servers.http + "/slow-headers", slow={"first_byte": "100ms"}))

    assert failed(result, FailureClass.SLOW).startswith("slow: first byte took ")
    assert result.status_code == 200
    assert result.first_byte_ms is not None


def test_status_is_judged_before_assertions_and_assertions_before_slowness(
    servers: Servers, check: Check
) -> None:
    too_fast = {"total": "0.001ms"}
    status_first = check(
        probe(servers.http + "/status/503", expect={"keyword": "x"}, slow=too_fast)
    )
    assertion_next = check(probe(servers.http + "/ok", expect={"keyword": "Bye"}, slow=too_fast))

    failed(status_first, FailureClass.STATUS)
    failed(assertion_next, FailureClass.ASSERTION)


def test_a_header_secret_that_cannot_be_resolved_is_an_error_naming_the_reference(
    servers: Servers, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOP_TOKEN", raising=False)
    result = check(probe(servers.http + "/ok", headers={"Authorization": "Bearer ${SHOP_TOKEN}"}))

    detail = failed(result, FailureClass.ERROR)
    assert "Authorization" in detail
    assert "SHOP_TOKEN" in detail
    assert result.connect_ms is None  # nothing was sent without the header


def test_a_resolved_header_secret_never_appears_in_the_result(
    servers: Servers, check: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "s3cret-value-42")
    headers = {"Authorization": "Bearer ${SHOP_TOKEN}"}

    for url in (servers.http + "/status/503", servers.garbage + "/", servers.hanging + "/"):
        result = check(probe(url, headers=headers, timeout="300ms"))

        assert not result.ok
        assert "s3cret-value-42" not in repr(result)


def test_the_deadline_is_blamed_on_the_phase_it_cut_short() -> None:
    blame = {"dns": "dns", "connect": "connect_timeout", "tls": "tls", "transfer": "timeout"}

    for phase, blamed in {**blame, "first_byte": "timeout"}.items():
        failure, detail = classify_deadline(
            phase, address="a.test:443", timeout_ms=1e4, bytes_read=0
        )

        assert failure.value == blamed
        assert detail.startswith(f"{blamed}: ")
        assert "within 10 s" in detail


def test_every_address_refusing_at_once_is_still_refused() -> None:
    refused = "[Errno 111] Connect call failed"
    both = OSError(f"Multiple exceptions: {refused} ('::1', 80, 0, 0), {refused} ('127.0.0.1', 80)")

    failure, detail = classify_exception(both, phase="connect", address="localhost:80")

    assert failure is FailureClass.REFUSED
    assert detail == "refused: localhost:80 refused the connection"
