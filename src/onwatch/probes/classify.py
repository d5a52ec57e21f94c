"""Why an HTTP check broke: exceptions mapped to a :class:`FailureClass` and one human sentence.

Third-party errors (aiohttp, ssl, socket) stop here; what leaves is a value.
The phase the check was in when it broke decides what a bare error means (a
reset during the handshake is a TLS failure, a reset while waiting for the
answer is a protocol failure), and the deadline is told apart by phase too::

    tls: certificate has expired
    refused: 127.0.0.1:8443 refused the connection
    connect_timeout: 10.0.0.7:443 did not accept the connection within 10 s

Details never quote request headers: they may hold resolved secrets.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator

import aiohttp
from aiohttp import http_exceptions

from onwatch.errors import SecretError
from onwatch.probes.base import FailureClass
from onwatch.probes.slow import format_ms

Failure = tuple[FailureClass, str]

# OpenSSL verify codes people meet, in their words (X509_V_ERR_*).
_CERT_REASONS = {
    9: "certificate is not yet valid",
    10: "certificate has expired",
    18: "unknown issuer: the certificate is self-signed",
    19: "unknown issuer: self-signed certificate in the chain",
    20: "unknown issuer: unable to get the local issuer certificate",
    21: "unknown issuer: unable to verify the first certificate",
    23: "certificate has been revoked",
}
_WRONG_HOST = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_ERRNO = re.compile(r"\[Errno (\d+)\]")
_WAITING = {"start", "send", "first_byte", "redirect"}
_MAX_DETAIL = 300


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "…"


def _certificate(exc: ssl.SSLCertVerificationError) -> str:
    code, message = getattr(exc, "verify_code", None), getattr(exc, "verify_message", None) or ""
    if code in _WRONG_HOST:
        return f"wrong host: {_first_line(message).rstrip('.')}"
    return _CERT_REASONS.get(code or 0) or _first_line(message or str(exc))


def _refused(exc: OSError) -> bool:
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return True
    # Happy eyeballs tried several addresses and reports them all in one message.
    codes = _ERRNO.findall(str(exc))
    return bool(codes) and all(int(code) == errno.ECONNREFUSED for code in codes)


def _http_message(exc: http_exceptions.HttpProcessingError) -> str:
    """aiohttp's parser messages span lines (text, the bad bytes, a caret); keep text and bytes."""
    lines = [line.strip() for line in str(exc.message).splitlines() if line.strip()]
    what = lines[0].rstrip(":") if lines else type(exc).__name__
    quoted = next((line for line in lines if line.startswith(("b'", 'b"'))), None)
    text = f"{what[:1].lower()}{what[1:]}" + (f": {quoted}" if quoted else "")
    return _first_line(text)


def _redirects(exc: aiohttp.TooManyRedirects) -> str:
    urls = [response.url for response in exc.history]
    origin = urls[0].origin() if urls else None
    # One origin throughout (the usual loop): name it once, then show paths.
    same = all(url.origin() == origin for url in urls)
    shown = [url.path_qs if same else str(url) for url in urls]
    where = f" at {origin}" if same and origin is not None else ""
    first_seen: dict[str, int] = {}
    for index, url in enumerate(shown):
        if url in first_seen:
            cycle = shown[first_seen[url] : index + 1]
            more = " → …" if len(cycle) > 5 else ""
            return f"protocol: redirect loop{where} (" + " → ".join(cycle[:5]) + more + ")"
        first_seen[url] = index
    return (
        f"protocol: more than {max(len(urls) - 1, 0)} redirects (last: {urls[-1] if urls else '?'})"
    )


def _certificate_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    # aiohttp's wrapper subclasses SSLCertVerificationError without its fields; the cause has them.
    if isinstance(exc, ssl.SSLCertVerificationError) and not isinstance(exc, aiohttp.ClientError):
        return FailureClass.TLS, f"tls: {_certificate(exc)}"
    return None


def _dns_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, socket.gaierror):
        host = _host(address) or "the name"
        return FailureClass.DNS, f"dns: {host} cannot be resolved ({_os_reason(exc)})"
    return None


def _connect_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if not isinstance(exc, OSError) or phase not in ("dns", "connect"):
        return None
    if _refused(exc):
        return FailureClass.REFUSED, f"refused: {address or 'the server'} refused the connection"
    if isinstance(exc, TimeoutError):  # the kernel gave up waiting for the SYN's answer
        return (
            FailureClass.CONNECT_TIMEOUT,
            f"connect_timeout: {address or 'the server'} did not answer",
        )
    if isinstance(exc, aiohttp.ClientError) and not isinstance(exc, aiohttp.ClientOSError):
        return None
    target = f" to {address}" if address else ""
    return FailureClass.ERROR, f"error: cannot connect{target} ({_os_reason(exc)})"


def _not_http_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, http_exceptions.BadStatusLine):
        return FailureClass.PROTOCOL, f"protocol: not HTTP ({_http_message(exc)})"
    return None


def _bad_http_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, http_exceptions.PayloadEncodingError):
        return FailureClass.PROTOCOL, f"protocol: broken body ({_http_message(exc)})"
    if isinstance(exc, http_exceptions.HttpProcessingError):
        return FailureClass.PROTOCOL, f"protocol: bad headers ({_http_message(exc)})"
    return None


def _redirect_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, aiohttp.TooManyRedirects):
        return FailureClass.PROTOCOL, _redirects(exc)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return (
            FailureClass.PROTOCOL,
            f"protocol: redirect to an unusable URL ({_first_line(str(exc))})",
        )
    return None


def _ssl_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, ssl.SSLError | ssl.CertificateError) and not isinstance(
        exc, aiohttp.ClientError
    ):
        reason = getattr(exc, "reason", None)
        why = reason.replace("_", " ").lower() if isinstance(reason, str) else _first_line(str(exc))
        return FailureClass.TLS, f"tls: handshake failed ({why})"
    return None


def _handshake_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, OSError) and phase == "tls":
        return FailureClass.TLS, f"tls: connection lost during the handshake ({_os_reason(exc)})"
    return None


def _answer_rule(exc: BaseException, phase: str, address: str) -> Failure | None:
    if isinstance(exc, aiohttp.ServerDisconnectedError) and phase in _WAITING:
        return FailureClass.PROTOCOL, "protocol: the server closed the connection without answering"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return (
            FailureClass.PROTOCOL,
            f"protocol: broken body ({_first_line(str(exc)) or 'cut short'})",
        )
    if isinstance(exc, OSError):
        where = "during the body" if phase == "transfer" else "before the answer"
        return FailureClass.PROTOCOL, f"protocol: connection lost {where} ({_os_reason(exc)})"
    return None


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0].strip("[]") if address else ""


def _os_reason(exc: OSError) -> str:
    return exc.strerror or _first_line(str(exc)) or type(exc).__name__


# Most telling first: the certificate's own complaint beats aiohttp's wrapper around it.
_RULES = (
    _certificate_rule,
    _ssl_rule,
    _dns_rule,
    _connect_rule,
    _handshake_rule,
    _not_http_rule,
    _bad_http_rule,
    _redirect_rule,
    _answer_rule,
)


def classify_exception(exc: BaseException, *, phase: str = "connect", address: str = "") -> Failure:
    """The failure for ``exc``, raised while a check was in ``phase`` talking to ``address``.

    ``address`` (``host:port``) is named in the detail when given. Anything not
    recognised is ``error`` with the exception's type and first line.
    """
    chain = list(_chain(exc))
    for rule in _RULES:
        for link in chain:
            found = rule(link, phase, address)
            if found is not None:
                return found
    if isinstance(exc, SecretError):
        return FailureClass.ERROR, f"error: {exc}"
    message = _first_line(str(exc))
    return FailureClass.ERROR, f"error: {type(exc).__name__}" + (f": {message}" if message else "")


def classify_deadline(phase: str, *, address: str, timeout_ms: float, bytes_read: int) -> Failure:
    """The failure for a check that ran out of time while in ``phase``."""
    within = f"within {format_ms(timeout_ms)}"
    if phase == "dns":
        return FailureClass.DNS, f"dns: no answer for {_host(address) or 'the name'} {within}"
    if phase == "connect":
        return (
            FailureClass.CONNECT_TIMEOUT,
            f"connect_timeout: {address} did not accept the connection {within}",
        )
    if phase == "tls":
        return FailureClass.TLS, f"tls: handshake with {address} not finished {within}"
    if phase == "transfer":
        return (
            FailureClass.TIMEOUT,
            f"timeout: body not complete {within} ({bytes_read} bytes read)",
        )
    return FailureClass.TIMEOUT, f"timeout: no answer from {address} {within}"
