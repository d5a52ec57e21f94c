"""The ``monitors:`` and ``pools:`` sections: every kind with its defaults, and each mistake
reported as ``file:line:col: key.path: message``."""

from __future__ import annotations

from datetime import timedelta
from textwrap import dedent

import pytest

from onwatch.policy import Policy, PolicyError, SecretRef, parse_policy
from onwatch.policy.monitors import (
    DnsMonitor,
    HttpExpect,
    HttpMonitor,
    SlowThresholds,
    TcpMonitor,
    TlsMonitor,
)

HEAD = "apiVersion: onwatch/v1\n"


def load(body: str) -> Policy:
    """A policy made of ``apiVersion`` and the sections in ``body``."""
    return parse_policy(HEAD + dedent(body))


def problems(body: str) -> list[str]:
    """The printed issues of ``apiVersion`` + ``body``, which must fail; line 1 is apiVersion."""
    with pytest.raises(PolicyError) as caught:
        load(body)
    return [str(issue) for issue in caught.value.issues]


def one_monitor(body: str) -> list[str]:
    """The issues of a policy whose ``monitors:`` starts on line 2 with ``body`` below it."""
    return problems("monitors:\n" + dedent(body))


# --- every kind loads, with the documented defaults -----------------------------------


def test_an_http_monitor_needs_only_a_name_a_type_and_a_url() -> None:
    monitor = load(
        """\
        monitors:
          - name: home
            type: http
            url: https://shop.example/
        """
    ).monitors[0]
    assert isinstance(monitor, HttpMonitor)
    assert (monitor.name, monitor.url) == ("home", "https://shop.example/")
    assert monitor.service is None
    assert monitor.runbook is None
    assert monitor.interval == timedelta(seconds=60)
    assert monitor.timeout == timedelta(seconds=10)
    assert monitor.method == "GET"
    assert monitor.headers == {}
    assert monitor.body is None
    assert monitor.expect == HttpExpect(status=["2xx", "3xx"], keyword=None, absent=None)
    assert monitor.expect.json_ == []
    assert monitor.follow_redirects is True
    assert monitor.max_redirects == 10
    assert monitor.max_body_bytes == 1_048_576
    assert monitor.verify_tls is True
    assert monitor.ca_file is None
    assert monitor.slow == SlowThresholds()


def test_an_http_monitor_reads_every_option_it_is_given() -> None:
    monitor = load(
        """\
        services:
          - name: shop
        monitors:
          - name: checkout
            type: http
            service: shop
            url: https://shop.example/api/checkout
            interval: 30s
            timeout: 5s
            runbook: https://wiki.example/runbooks/checkout
            method: POST
            headers: {Content-Type: application/json}
            body: '{"dry_run": true}'
            expect:
              status: [200, 201]
              keyword: order
              absent: error
              json:
                - {path: $.status, equals: ok}
                - {path: "$.items[0].id"}
            follow_redirects: false
            max_redirects: 0
            max_body_bytes: 65536
            verify_tls: false
            ca_file: /etc/onwatch/internal-ca.pem
            slow: {total: 3s, dns: 100ms, connect: 200ms, tls: 300ms, first_byte: 1s, transfer: 1s}
        """
    ).monitors[0]
    assert isinstance(monitor, HttpMonitor)
    assert (monitor.service, monitor.method, monitor.body) == ("shop", "POST", '{"dry_run": true}')
    assert (monitor.interval, monitor.timeout) == (timedelta(seconds=30), timedelta(seconds=5))
    assert monitor.runbook == "https://wiki.example/runbooks/checkout"
    assert monitor.expect.status == [200, 201]
    assert (monitor.expect.keyword, monitor.expect.absent) == ("order", "error")
    assert [(a.path, a.equals) for a in monitor.expect.json_] == [
        ("$.status", "ok"),
        ("$.items[0].id", None),
    ]
    assert (monitor.follow_redirects, monitor.max_redirects) == (False, 0)
    assert (monitor.max_body_bytes, monitor.verify_tls) == (65536, False)
    assert monitor.ca_file == "/etc/onwatch/internal-ca.pem"
    assert monitor.slow == SlowThresholds(
        total=timedelta(seconds=3),
        dns=timedelta(milliseconds=100),
        connect=timedelta(milliseconds=200),
        tls=timedelta(milliseconds=300),
        first_byte=timedelta(seconds=1),
        transfer=timedelta(seconds=1),
    )


def test_a_tcp_monitor_needs_a_host_and_a_port() -> None:
    monitor = load(
        """\
        monitors:
          - {name: db, type: tcp, host: db.internal, port: 5432}
        """
    ).monitors[0]
    assert isinstance(monitor, TcpMonitor)
    assert (monitor.host, monitor.port) == ("db.internal", 5432)
    assert monitor.interval == timedelta(seconds=60)
    assert monitor.timeout == timedelta(seconds=10)
    assert monitor.slow == SlowThresholds()


def test_a_dns_monitor_asks_the_system_resolver_for_an_a_record_by_default() -> None:
    monitor = load(
        """\
        monitors:
          - {name: web-dns, type: dns, query: shop.example}
        """
    ).monitors[0]
    assert isinstance(monitor, DnsMonitor)
    assert (monitor.query, monitor.record_type) == ("shop.example", "A")
    assert monitor.expect == []
    assert monitor.resolver is None
    assert monitor.slow == SlowThresholds()


def test_a_dns_monitor_takes_a_record_type_answers_and_a_resolver_address() -> None:
    monitors = load(
        """\
        monitors:
          - name: mail-dns
            type: dns
            query: shop.example
            record_type: MX
            expect: [10 mx1.shop.example.]
            resolver: 10.0.0.53:5353
          - {name: v6-resolver, type: dns, query: shop.example, resolver: "[2001:db8::53]:53"}
          - {name: bare-v6-resolver, type: dns, query: shop.example, resolver: "2001:db8::53"}
        """
    ).monitors
    first = monitors[0]
    assert isinstance(first, DnsMonitor)
    assert (first.record_type, first.expect) == ("MX", ["10 mx1.shop.example."])
    assert [m.resolver for m in monitors if isinstance(m, DnsMonitor)] == [
        "10.0.0.53:5353",
        "[2001:db8::53]:53",
        "2001:db8::53",
    ]


def test_a_tls_monitor_checks_port_443_and_warns_14_days_before_expiry_by_default() -> None:
    monitor = load(
        """\
        monitors:
          - {name: cert, type: tls, host: shop.example}
        """
    ).monitors[0]
    assert isinstance(monitor, TlsMonitor)
    assert (monitor.host, monitor.port, monitor.warn_days) == ("shop.example", 443, 14)
    assert monitor.server_name is None
    assert monitor.ca_file is None


def test_a_pool_checks_each_target_over_http_and_needs_two_healthy_by_default() -> None:
    pool = load(
        """\
        pools:
          - name: api-pool
            targets: [http://10.0.0.1/health, http://10.0.0.2/health]
        """
    ).pools[0]
    assert pool.targets == ["http://10.0.0.1/health", "http://10.0.0.2/health"]
    assert pool.min_healthy == 2
    assert (pool.method, pool.expect.status, pool.follow_redirects) == ("GET", ["2xx", "3xx"], True)
    assert pool.interval == timedelta(seconds=60)


def test_each_pool_target_is_stored_under_the_pool_name_and_its_position() -> None:
    pool = load(
        """\
        pools:
          - name: api-pool
            targets: [http://10.0.0.1/health, http://10.0.0.2/health, http://10.0.0.3/health]
        """
    ).pools[0]
    names = [pool.target_monitor_name(i) for i in range(len(pool.targets))]
    assert names == ["api-pool#1", "api-pool#2", "api-pool#3"]


def test_header_values_with_references_stay_references_until_a_check_is_sent() -> None:
    monitor = load(
        """\
        monitors:
          - name: api
            type: http
            url: https://api.example/v1/me
            headers:
              Authorization: Bearer ${API_TOKEN}
              Accept: application/json
        """
    ).monitors[0]
    assert isinstance(monitor, HttpMonitor)
    token = monitor.headers["Authorization"]
    assert token == SecretRef(template="Bearer ${API_TOKEN}")
    assert token.variables == ["API_TOKEN"]
    assert token.resolve({"API_TOKEN": "t0k3n"}) == "Bearer t0k3n"
    assert str(monitor.headers["Accept"]) == "application/json"


@pytest.mark.parametrize(
    ("written", "expected"),
    [("200", [200]), ("2xx", ["2xx"]), ("[200, 3xx]", [200, "3xx"])],
)
def test_a_single_status_is_short_for_a_list_of_one(
    written: str, expected: list[int | str]
) -> None:
    monitor = load(
        f"""\
        monitors:
          - {{name: home, type: http, url: "https://shop.example/", expect: {{status: {written}}}}}
        """
    ).monitors[0]
    assert isinstance(monitor, HttpMonitor)
    assert monitor.expect.status == expected


# --- mistakes, each at its place -------------------------------------------------------


def test_a_url_that_does_not_parse_is_reported_at_the_url() -> None:
    assert one_monitor(
        """\
        - name: home
          type: http
          url: http://[shop.example/
        """
    ) == [
        'onwatch.yaml:5:8: monitors[0].url: "http://[shop.example/" is not a URL '
        "(e.g. https://shop.example/checkout)"
    ]


def test_a_url_that_is_not_http_is_refused() -> None:
    assert one_monitor(
        """\
        - {name: files, type: http, url: "ftp://files.example/"}
        """
    ) == [
        'onwatch.yaml:3:34: monitors[0].url: "ftp://files.example/" is not an http:// '
        "or https:// URL with a host"
    ]


def test_a_url_with_a_space_in_its_host_is_refused() -> None:
    assert one_monitor(
        """\
        - {name: home, type: http, url: "https://shop example/"}
        """
    ) == [
        'onwatch.yaml:3:33: monitors[0].url: "https://shop example/" has no valid host name '
        "or IP address"
    ]


def test_a_url_with_a_port_out_of_range_is_refused() -> None:
    assert one_monitor(
        """\
        - {name: home, type: http, url: "https://shop.example:99999/"}
        """
    ) == [
        'onwatch.yaml:3:33: monitors[0].url: "https://shop.example:99999/" has a port '
        "that is not a number from 1 to 65535"
    ]


def test_a_password_in_a_url_is_refused_without_repeating_it() -> None:
    found = one_monitor(
        """\
        - {name: admin, type: http, url: "https://ops:hunter2@shop.example/admin"}
        """
    )
    assert found == [
        "onwatch.yaml:3:34: monitors[0].url: holds a password in plain text; send it in a "
        'header instead, e.g. headers: {Authorization: "Basic ${CHECK_AUTH}"}'
    ]
    assert "hunter2" not in "".join(found)


def test_a_tcp_port_out_of_range_is_reported_at_the_port() -> None:
    assert one_monitor(
        """\
        - name: db
          type: tcp
          host: db.internal
          port: 70000
        """
    ) == ["onwatch.yaml:6:9: monitors[0].port: must be at most 65535, got 70000"]


def test_a_host_that_is_no_host_name_is_refused() -> None:
    assert one_monitor(
        """\
        - {name: db, type: tcp, host: "db internal", port: 5432}
        """
    ) == ['onwatch.yaml:3:31: monitors[0].host: "db internal" is not a host name or IP address']


def test_a_resolver_address_that_does_not_parse_is_refused() -> None:
    assert one_monitor(
        """\
        - {name: web-dns, type: dns, query: shop.example, resolver: "10.0.0.53:dns"}
        """
    ) == [
        'onwatch.yaml:3:61: monitors[0].resolver: "10.0.0.53:dns" is not host, host:port '
        "or [IPv6]:port (e.g. 10.0.0.53:53)"
    ]


def test_an_unknown_type_is_reported_at_the_type_key_with_a_suggestion() -> None:
    assert one_monitor(
        """\
        - name: home
          type: htpp
          url: https://shop.example/
        """
    ) == [
        'onwatch.yaml:4:9: monitors[0].type: "htpp" is not a known type (did you mean "http"?); '
        "expected one of: http, tcp, dns, tls"
    ]


def test_a_monitor_without_a_type_is_reported_at_its_mapping() -> None:
    assert one_monitor(
        """\
        - name: home
          url: https://shop.example/
        """
    ) == ['onwatch.yaml:3:3: monitors[0].type: missing required key "type"']


@pytest.mark.parametrize(
    ("status", "col", "where", "message"),
    [
        ('"6xx"', 75, "status", '"6xx" is not a status code or class (e.g. 200 or 2xx)'),
        ("[200, 700]", 81, "status[1]", "700 is not an HTTP status (100-599)"),
    ],
)
def test_a_status_that_is_no_http_status_is_refused(
    status: str, col: int, where: str, message: str
) -> None:
    assert one_monitor(
        f"""\
        - {{name: home, type: http, url: "https://shop.example/", expect: {{status: {status}}}}}
        """
    ) == [f"onwatch.yaml:3:{col}: monitors[0].expect.{where}: {message}"]


@pytest.mark.parametrize("path", ["status", "$.items[x]", "$..status", "$.a b", "$['a']"])
def test_a_json_path_outside_the_supported_subset_is_refused(path: str) -> None:
    assert one_monitor(
        f"""\
        - name: api
          type: http
          url: https://api.example/health
          expect:
            json:
              - path: "{path}"
        """
    ) == [
        f'onwatch.yaml:8:15: monitors[0].expect.json[0].path: "{path}" is not a JSON path '
        "of the form $.key.list[0] (e.g. $.status, $.items[0].id)"
    ]


def test_a_bad_duration_in_the_slow_thresholds_is_reported_at_its_value() -> None:
    assert one_monitor(
        """\
        - name: home
          type: http
          url: https://shop.example/
          slow:
            total: 3 seconds
        """
    ) == [
        'onwatch.yaml:7:12: monitors[0].slow.total: "3 seconds" is not a duration '
        "(e.g. 30s, 5m, 1h)"
    ]


def test_an_unknown_phase_in_the_slow_thresholds_gets_a_suggestion() -> None:
    assert one_monitor(
        """\
        - name: home
          type: http
          url: https://shop.example/
          slow: {total: 3s, firstbyte: 1s}
        """
    ) == [
        'onwatch.yaml:6:21: monitors[0].slow.firstbyte: unknown key "firstbyte" '
        '(did you mean "first_byte"?)'
    ]


def test_an_unknown_key_is_matched_against_the_keys_of_the_monitors_own_type() -> None:
    assert one_monitor(
        """\
        - {name: web-dns, type: dns, query: shop.example, recordtype: MX}
        - {name: cert, type: tls, host: shop.example, warn_dayz: 30}
        - {name: db, type: tcp, host: db.internal, port: 5432, colour: red}
        """
    ) == [
        'onwatch.yaml:3:51: monitors[0].recordtype: unknown key "recordtype" '
        '(did you mean "record_type"?)',
        'onwatch.yaml:4:47: monitors[1].warn_dayz: unknown key "warn_dayz" '
        '(did you mean "warn_days"?)',
        'onwatch.yaml:5:56: monitors[2].colour: unknown key "colour"; known keys: '
        "confirm, flapping, host, interval, name, port, recovery, runbook, service, slow, timeout, type",
    ]


def test_a_pool_with_fewer_targets_than_min_healthy_is_reported_at_min_healthy() -> None:
    assert problems(
        """\
        pools:
          - name: api-pool
            targets: [http://10.0.0.1/health, http://10.0.0.2/health]
            min_healthy: 3
        """
    ) == [
        "onwatch.yaml:5:18: pools[0].min_healthy: min_healthy is 3 but the pool has only 2 targets"
    ]


def test_a_pool_with_one_target_is_reported_at_its_targets_since_two_must_be_healthy() -> None:
    assert problems(
        """\
        pools:
          - name: api-pool
            targets: [http://10.0.0.1/health]
        """
    ) == [
        "onwatch.yaml:4:14: pools[0].targets: min_healthy is 2 but the pool has only 1 target "
        "(min_healthy defaults to 2)"
    ]


def test_a_pool_of_one_target_is_accepted_when_one_healthy_is_enough() -> None:
    pool = load(
        """\
        pools:
          - {name: api-pool, targets: [http://10.0.0.1/health], min_healthy: 1}
        """
    ).pools[0]
    assert (pool.min_healthy, pool.target_monitor_name(0)) == (1, "api-pool#1")


def test_a_pool_target_is_checked_like_a_url() -> None:
    assert problems(
        """\
        pools:
          - name: api-pool
            targets: [http://10.0.0.1/health, "tcp://10.0.0.2:80"]
        """
    ) == [
        'onwatch.yaml:4:39: pools[0].targets[1]: "tcp://10.0.0.2:80" is not an http:// '
        "or https:// URL with a host"
    ]


def test_a_monitor_naming_an_unknown_service_gets_the_closest_one() -> None:
    assert problems(
        """\
        services:
          - name: checkout
        monitors:
          - {name: home, type: http, url: "https://shop.example/", service: chekout}
        pools:
          - {name: api-pool, targets: [http://a.example/, http://b.example/], service: api}
        """
    ) == [
        'onwatch.yaml:5:69: monitors[0].service: "chekout" is not a service '
        '(did you mean "checkout"?)',
        'onwatch.yaml:7:80: pools[0].service: "api" is not a service',
    ]


def test_a_pool_and_a_monitor_cannot_share_a_name() -> None:
    assert problems(
        """\
        monitors:
          - {name: api, type: tcp, host: api.internal, port: 443}
        pools:
          - {name: api, targets: [http://a.example/, http://b.example/]}
        """
    ) == ['onwatch.yaml:5:12: pools[0].name: "api" is already the name of a monitor on line 3']


def test_two_monitors_cannot_share_a_name() -> None:
    assert one_monitor(
        """\
        - {name: db, type: tcp, host: db1.internal, port: 5432}
        - {name: db, type: tcp, host: db2.internal, port: 5432}
        """
    ) == [
        'onwatch.yaml:4:10: monitors[1].name: "db" is already used on line 3; names must be unique'
    ]


def test_every_mistake_in_monitors_and_pools_is_reported_in_one_error() -> None:
    found = problems(
        """\
        services:
          - name: shop
        monitors:
          - {name: a, type: http, url: "http://[bad"}
          - {name: b, type: http, url: "ftp://shop.example/"}
          - {name: c, type: tcp, host: db.internal, port: 0}
          - {name: d, type: htp, url: "https://shop.example/"}
          - {name: e, url: "https://shop.example/"}
          - {name: f, type: http, url: "https://shop.example/", expect: {status: 6xx}}
          - {name: g, type: http, url: "https://shop.example/", expect: {json: [{path: x}]}}
          - {name: h, type: http, url: "https://shop.example/", slow: {total: 3x, dsn: 1s}}
          - {name: i, type: tls, host: shop.example, service: shp}
          - {name: i, type: tls, host: shop.example}
        pools:
          - {name: p, targets: [http://a.example/]}
          - {name: q, targets: [http://a.example/, http://b.example/], min_healthy: 3}
          - {name: a, targets: [http://a.example/, http://b.example/]}
        """
    )
    assert [line.split(": ")[1] for line in found] == [
        "monitors[0].url",
        "monitors[1].url",
        "monitors[2].port",
        "monitors[3].type",
        "monitors[4].type",
        "monitors[5].expect.status",
        "monitors[6].expect.json[0].path",
        "monitors[7].slow.total",
        "monitors[7].slow.dsn",
        "monitors[8].service",
        "monitors[9].name",
        "pools[0].targets",
        "pools[1].min_healthy",
        "pools[2].name",
    ]
    assert found[2] == "onwatch.yaml:7:51: monitors[2].port: must be at least 1, got 0"
    assert found[8].endswith('unknown key "dsn" (did you mean "dns"?)')
