"""A small authoritative DNS server on a loopback UDP port, for probe tests.

It speaks the real protocol (dnspython parses queries and renders answers), so
the DNS probe is tested against the same bytes it meets in production. Zone
data is a plain dict; some names can be made to fail on purpose::

    async with DnsServer(
        {"shop.example": {"A": ["192.0.2.10"], "MX": ["10 mail.shop.example."]}},
        servfail={"broken.example"},
        silent={"void.example"},
        delays={"slow.example": 0.5},
    ) as server:
        server.address  # "127.0.0.1:53124"

A name not in the zone gets NXDOMAIN; a name in the zone without records of the
asked type gets an empty NOERROR answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = Mapping[str, Mapping[str, list[str]]]


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name, origin=dns.name.root)


class DnsServer(asyncio.DatagramProtocol):
    """Answers queries for ``zone``; ``queries`` records every (name, type) asked."""

    def __init__(
        self,
        zone: Zone,
        *,
        servfail: Iterable[str] = (),
        silent: Iterable[str] = (),
        delays: Mapping[str, float] | None = None,
        ttl: int = 60,
    ) -> None:
        self._zone = {_absolute(name): records for name, records in zone.items()}
        self._servfail = {_absolute(name) for name in servfail}
        self._silent = {_absolute(name) for name in silent}
        self._delays = {_absolute(name): seconds for name, seconds in (delays or {}).items()}
        self._ttl = ttl
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.queries: list[tuple[str, str]] = []

    @property
    def address(self) -> str:
        """``host:port`` of the server, the way a DNS monitor's ``resolver`` is written."""
        assert self._transport is not None, "the server is not running"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return f"{host}:{port}"

    async def __aenter__(self) -> DnsServer:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The loop hands a datagram transport; the base signature just doesn't say so.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return  # not DNS: a real server drops it too
        if not query.question:
            return
        question = query.question[0]
        self.queries.append(
            (question.name.to_text(), dns.rdatatype.to_text(question.rdtype)),
        )
        if question.name in self._silent:
            return
        wire = self._answer(query, question.name, question.rdtype).to_wire()
        delay = self._delays.get(question.name)
        if delay is None:
            self._send(wire, addr)
            return
        task = asyncio.get_running_loop().create_task(self._send_later(delay, wire, addr))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send_later(self, delay: float, wire: bytes, addr: tuple[str | object, int]) -> None:
        await asyncio.sleep(delay)
        self._send(wire, addr)

    def _send(self, wire: bytes, addr: tuple[str | object, int]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(wire, addr)

    def _answer(
        self, query: dns.message.Message, name: dns.name.Name, rdtype: int
    ) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self._servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if name not in self._zone:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        # Follow CNAMEs inside the zone, as an authoritative server does.
        wanted = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
        seen: set[dns.name.Name] = set()
        while name in self._zone and name not in seen:
            seen.add(name)
            records = self._zone[name]
            if wanted in records:
                response.answer.append(self._rrset(name, wanted, records[wanted]))
                break
            if "CNAME" not in records:
                break
            response.answer.append(self._rrset(name, "CNAME", records["CNAME"]))
            name = _absolute(records["CNAME"][0])
        return response

    def _rrset(self, name: dns.name.Name, rdtype: str, texts: list[str]) -> dns.rrset.RRset:
        return dns.rrset.from_text_list(
            name,
            self._ttl,
            dns.rdataclass.IN,
            rdtype,
            texts,
            origin=dns.name.root,
            relativize=False,
        )
