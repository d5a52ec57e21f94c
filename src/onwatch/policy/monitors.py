"""Monitors and pools: what onwatch checks, how often, and what counts as slow.

``monitors:`` is a list of checks, each with a ``type`` (``http``, ``tcp``,
``dns``, ``tls``). ``pools:`` is one logical service served by several
backends, each checked on its own, so losing one of two servers is noticed even
while users still get answers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from onwatch.policy.confirmation import Confirm, Flapping, Recovery
from onwatch.policy.names import Name
from onwatch.policy.secrets import PolicyModel, SecretText
from onwatch.policy.types import Duration


def _check_http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError(f'"{value}" is not a URL (e.g. https://shop.example/checkout)') from None
    if parts.password is not None:
        # Never echo the URL: it holds the password we are refusing.
        raise ValueError(
            "holds a password in plain text; send it in a header instead, "
            'e.g. headers: {Authorization: "Basic ${CHECK_AUTH}"}'
        )
    try:
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        raise ValueError(f'"{value}" has a port that is not a number from 1 to 65535') from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f'"{value}" is not an http:// or https:// URL with a host')
    try:
        _check_host(parts.hostname.encode("idna").decode("ascii"))
    except (UnicodeError, ValueError):
        raise ValueError(f'"{value}" has no valid host name or IP address') from None
    if port == 0:
        raise ValueError(f'"{value}" has port 0')
    return value


HttpUrl = Annotated[str, AfterValidator(_check_http_url), Field(examples=["https://shop.example/"])]

_HOST = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?"
)


def _check_host(value: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_address(value.strip("[]"))
        return value.strip("[]")
    except ValueError:
        pass
    if not _HOST.fullmatch(value):
        raise ValueError(f'"{value}" is not a host name or IP address')
    return value


Host = Annotated[str, AfterValidator(_check_host), Field(examples=["db.internal", "127.0.0.1"])]
Port = Annotated[int, Field(ge=1, le=65535)]


def parse_resolver(value: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[IPv6]:port`` or a bare IPv6 address (port 53) → (host, port)."""
    host, port = value.strip(), "53"
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") if rest else port
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        _check_host(host)
    except ValueError:
        host = ""
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f'"{value}" is not host, host:port or [IPv6]:port (e.g. 10.0.0.53:53)')
    return host, int(port)


def _check_resolver(value: str) -> str:
    parse_resolver(value)
    return value


def _status_list(value: object) -> object:
    """``200``, ``[200, 204]`` or ``"2xx"`` → a list of codes or classes."""
    return [value] if isinstance(value, int | str) else value


def _check_status(value: int | str) -> int | str:
    if isinstance(value, int):
        if not 100 <= value <= 599:
            raise ValueError(f"{value} is not an HTTP status (100-599)")
        return value
    if not re.fullmatch(r"[1-5]xx", value):
        raise ValueError(f'"{value}" is not a status code or class (e.g. 200 or 2xx)')
    return value


StatusSpec = Annotated[
    int | str,
    AfterValidator(_check_status),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 100, "maximum": 599},
                {"type": "string", "pattern": "^[1-5]xx$"},
            ],
            "examples": [200, "2xx"],
        }
    ),
]


class SlowThresholds(PolicyModel):
    """A check slower than any of these is a failure of class ``slow``."""

    total: Duration | None = None
    dns: Duration | None = None
    connect: Duration | None = None
    tls: Duration | None = None
    first_byte: Duration | None = None
    transfer: Duration | None = None


_JSON_PATH = r"^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$"


def _check_json_path(value: str) -> str:
    if not re.fullmatch(_JSON_PATH, value):
        raise ValueError(
            f'"{value}" is not a JSON path of the form $.key.list[0] (e.g. $.status, $.items[0].id)'
        )
    return value


JsonPath = Annotated[
    str,
    AfterValidator(_check_json_path),
    WithJsonSchema({"type": "string", "pattern": _JSON_PATH, "examples": ["$.status"]}),
]


class JsonAssertion(PolicyModel):
    """The JSON body has ``equals`` (or anything, when left out) at ``path`` (``$.a.b[0]``)."""

    path: JsonPath
    equals: str | int | float | bool | None = None


class HttpExpect(PolicyModel):
    """What a good HTTP answer looks like."""

    status: Annotated[
        list[StatusSpec],
        BeforeValidator(_status_list, json_schema_input_type=StatusSpec | list[StatusSpec]),
    ] = Field(default_factory=lambda: list[int | str](["2xx", "3xx"]))
    keyword: str | None = Field(default=None, description="Text the body must contain")
    absent: str | None = Field(default=None, description="Text the body must not contain")
    json_: list[JsonAssertion] = Field(default_factory=list, alias="json")


class MonitorBase(PolicyModel):
    """What every monitor has."""

    name: Name
    service: Name | None = Field(default=None, description="The service this monitor watches")
    interval: Duration = timedelta(seconds=60)
    timeout: Duration = Field(
        default=timedelta(seconds=10), description="One deadline for the whole check"
    )
    runbook: str | None = Field(default=None, description="A URL or text carried into alerts")
    confirm: Confirm = Confirm()
    recovery: Recovery = Recovery()
    flapping: Flapping = Flapping()


class HttpOptions(PolicyModel):
    """How an HTTP check is made (shared by http monitors and pools)."""

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, SecretText] = Field(default_factory=dict)
    body: str | None = None
    expect: HttpExpect = HttpExpect()
    follow_redirects: bool = True
    max_redirects: Annotated[int, Field(ge=0, le=30)] = 10
    max_body_bytes: Annotated[int, Field(ge=0)] = 1_048_576
    verify_tls: bool = True
    ca_file: str | None = Field(
        default=None,
        description="PEM bundle of CAs to trust instead of the system's (internal CAs)",
    )
    slow: SlowThresholds = SlowThresholds()


class HttpMonitor(MonitorBase, HttpOptions):
    """Fetch a URL like a first-time visitor: fresh connection, no DNS cache."""

    type: Literal["http"]
    url: HttpUrl


class TcpMonitor(MonitorBase):
    """Open a TCP connection."""

    type: Literal["tcp"]
    host: Host
    port: Port
    slow: SlowThresholds = SlowThresholds()


class DnsMonitor(MonitorBase):
    """Ask a resolver for a record and compare the answers."""

    type: Literal["dns"]
    query: Host = Field(description="The name to look up")
    record_type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "CAA", "PTR"] = "A"
    expect: list[str] = Field(default_factory=list, description="Answers that must all be present")
    resolver: Annotated[str, AfterValidator(_check_resolver)] | None = Field(
        default=None, description="host or host:port of the resolver (default: the system's)"
    )
    slow: SlowThresholds = SlowThresholds()


class TlsMonitor(MonitorBase):
    """Handshake with a TLS server and judge its certificate."""

    type: Literal["tls"]
    host: Host
    port: Port = 443
    server_name: Host | None = Field(
        default=None, description="SNI and the name to verify (default: host)"
    )
    warn_days: Annotated[int, Field(ge=0)] = 14
    ca_file: str | None = Field(
        default=None,
        description="PEM bundle of CAs to trust instead of the system's (internal CAs)",
    )
    slow: SlowThresholds = SlowThresholds()


Monitor = Annotated[
    HttpMonitor | TcpMonitor | DnsMonitor | TlsMonitor,
    Field(discriminator="type"),
]
"""One entry of ``monitors:``, told apart by its ``type``."""


class Pool(MonitorBase, HttpOptions):
    """One logical service on several backends, each checked separately."""

    targets: Annotated[list[HttpUrl], Field(min_length=1)]
    min_healthy: Annotated[int, Field(ge=1)] = 2

    def target_monitor_name(self, index: int) -> str:
        """The name under which one backend's results are stored (``api-pool#2``)."""
        return f"{self.name}#{index + 1}"
