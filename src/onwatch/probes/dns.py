"""DNS probe: ask a resolver for one record type of one name and compare the answers.

Each check asks afresh (no cache) with dnspython's asyncio resolver, either the
system's resolvers or the monitor's ``resolver`` (``host`` or ``host:port``).
Expected answers are compared in a normal form, so ``10 Mail.Example.com`` and
``10 mail.example.com.`` match, and TXT answers compare as their joined text.

NXDOMAIN, an empty answer and a failing server are ``dns`` failures; running
out of time is ``timeout``; answers that lack an expected value are
``assertion`` failures naming what was missing and what came back.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from datetime import timedelta

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.TXT import TXT

from onwatch.policy.monitors import DnsMonitor, SlowThresholds, parse_resolver
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.probes.slow import format_ms
from onwatch.probes.tcp import CheckError, Run, endpoint, finish

_DETAIL_LIMIT = 300  # answers listed in a detail; a 4 kB TXT set would swamp alerts


def normal_form(rdata: dns.rdata.Rdata) -> str:
    """How an answer compares: canonical text, names lower-case and absolute; TXT as its text."""
    if isinstance(rdata, TXT):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text().lower()


def expected_form(text: str, rdtype: dns.rdatatype.RdataType) -> str:
    """The normal form of an expected answer as a person wrote it in the policy."""
    text = text.strip()
    if rdtype == dns.rdatatype.TXT and not text.startswith('"'):
        return text  # plain text, spaces and all
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN, rdtype, text, origin=dns.name.root, relativize=False
        )
    except (dns.exception.DNSException, ValueError):
        return " ".join(text.split()).lower()  # cannot be parsed: then it simply won't match
    return normal_form(rdata)


def _listing(texts: Sequence[str]) -> str:
    joined = ", ".join(texts)
    return joined if len(joined) <= _DETAIL_LIMIT else joined[: _DETAIL_LIMIT - 3] + "..."


def _server_errors(errors: Sequence[tuple[object, ...]]) -> str:
    """``127.0.0.1:5353 answered SERVFAIL; ...`` from dnspython's error trace."""
    texts = []
    for server, _tcp, port, error, response in errors:
        # dnspython names a server "Do53:127.0.0.1@5353"; people know it as the address.
        address = str(server).removeprefix("Do53:").partition("@")[0]
        said = (
            dns.rcode.to_text(response.rcode())
            if isinstance(response, dns.message.Message)
            else str(error)
        )
        texts.append(f"{endpoint(address, int(str(port)))} answered {said}")
    return "; ".join(texts)


class DnsProbe:
    """Resolves ``query``/``record_type`` once per check and compares with ``expect``."""

    def __init__(
        self,
        *,
        name: str,
        query: str,
        record_type: str = "A",
        expect: Sequence[str] = (),
        resolver: str | None = None,
        timeout: timedelta,
        slow: SlowThresholds | None = None,
    ) -> None:
        self.name = name
        self.query = query
        self.record_type = dns.rdatatype.from_text(record_type)
        self.expect = tuple(expect)
        self._expected = {expected_form(text, self.record_type): text for text in self.expect}
        self.resolver = None if resolver is None else parse_resolver(resolver)
        self.timeout = timeout
        self.slow = slow or SlowThresholds()
        # The server asked is what per-host caps limit; with system resolvers, the name.
        self.target = query if self.resolver is None else endpoint(*self.resolver)

    @classmethod
    def from_monitor(cls, monitor: DnsMonitor) -> DnsProbe:
        return cls(
            name=monitor.name,
            query=monitor.query,
            record_type=monitor.record_type,
            expect=monitor.expect,
            resolver=monitor.resolver,
            timeout=monitor.timeout,
            slow=monitor.slow,
        )

    @property
    def _question(self) -> str:
        return f"{self.query} {dns.rdatatype.to_text(self.record_type)}"

    async def check(self, started_at: float) -> CheckResult:
        run = Run(self.name, started_at)
        budget = self.timeout.total_seconds()
        try:
            async with asyncio.timeout(budget):
                resolver = await self._resolver()
                run.timeline.enter("dns")
                answer = await self._ask(resolver, budget)
        except CheckError as error:
            return finish(run, self.slow, failure=error)
        except TimeoutError:
            return finish(run, self.slow, failure=self._no_answer_in_time())
        returned = sorted(rdata.to_text() for rdata in answer)  # sets have no order
        found = {normal_form(rdata) for rdata in answer}
        missing = [text for form, text in self._expected.items() if form not in found]
        if missing:
            failure = CheckError(
                FailureClass.ASSERTION,
                f"assertion: {self._question} lacks {_listing(missing)}"
                f" (the answer was {_listing(returned)})",
            )
            return finish(run, self.slow, failure=failure)
        return finish(run, self.slow, detail=f"{self._question}: {_listing(returned)}")

    async def _resolver(self) -> dns.asyncresolver.Resolver:
        """A fresh resolver per check: no cache, and a changed resolv.conf is picked up."""
        if self.resolver is None:
            try:
                return dns.asyncresolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration as exc:
                raise CheckError(
                    FailureClass.ERROR, f"error: this machine has no resolver configured ({exc})"
                ) from exc
        host, port = self.resolver
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = await self._addresses_of(host, port)
        resolver.port = port
        return resolver

    async def _addresses_of(self, host: str, port: int) -> list[str]:
        """dnspython wants addresses; a resolver given by name is looked up by the system."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise CheckError.classified(exc, "dns", endpoint(host, port)) from exc
        # Every address, in the system's order: dnspython moves on when one fails.
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def _ask(
        self, resolver: dns.asyncresolver.Resolver, budget: float
    ) -> dns.resolver.Answer:
        """The answer, or a :class:`CheckError` saying what the DNS said instead."""
        asked = self._question
        try:
            answer = await resolver.resolve(
                self.query,
                self.record_type,
                search=False,  # the policy names the exact name; never try search domains
                raise_on_no_answer=False,
                lifetime=budget,
            )
        except dns.resolver.NXDOMAIN as exc:
            raise CheckError(
                FailureClass.DNS, f"dns: {self.query} does not exist (NXDOMAIN)"
            ) from exc
        except dns.resolver.LifetimeTimeout as exc:  # dnspython's clock ran out before ours
            raise self._no_answer_in_time(exc.kwargs.get("errors", [])) from exc
        except dns.resolver.NoNameservers as exc:
            errors = _server_errors(exc.kwargs.get("errors", []))
            raise CheckError(
                FailureClass.DNS, f"dns: no server could answer {asked} ({errors or exc})"
            ) from exc
        except dns.exception.DNSException as exc:  # YXDOMAIN, malformed answers, ...
            raise CheckError(FailureClass.DNS, f"dns: {asked}: {exc}") from exc
        if answer.rrset is None:
            kind = dns.rdatatype.to_text(self.record_type)
            raise CheckError(
                FailureClass.DNS, f"dns: {self.query} exists but has no {kind} records"
            )
        return answer

    def _no_answer_in_time(self, errors: Sequence[tuple[object, ...]] = ()) -> CheckError:
        """The deadline hit: ``timeout``, with what the servers did meanwhile when known."""
        within = format_ms(self.timeout.total_seconds() * 1000)
        said = _server_errors(errors)
        return CheckError(
            FailureClass.TIMEOUT,
            f"timeout: no answer to {self._question} within {within}"
            + (f" ({said})" if said else ""),
        )
