"""DNS lookups with dnspython: A and AAAA asked concurrently."""

from __future__ import annotations

import asyncio
import socket
import time

import dns.asyncresolver
import dns.exception
import dns.message
import dns.nameserver
import dns.rdatatype
import dns.resolver
import dns.rrset

from checks.model.endpoints import Nameserver
from checks.model.observations import DnsLookup, RecordSet


async def lookup(name: str, servers: tuple[Nameserver, ...], timeout: float) -> DnsLookup:
    started = time.monotonic()
    a, aaaa = await asyncio.gather(
        _question(name, "A", servers, timeout), _question(name, "AAAA", servers, timeout)
    )
    if {a.error, aaaa.error} <= {"timeout", "servfail"}:
        # No answer at all: is the resolver there? dnspython retries past ICMP errors.
        unreachable = await _unreachable(servers or _system_servers())
        if unreachable:
            a = RecordSet("A", error="resolver_unreachable", detail=unreachable)
            aaaa = RecordSet("AAAA", error="resolver_unreachable", detail=unreachable)
    label = ", ".join(str(server) for server in servers) or "system"
    return DnsLookup(name, label, a, aaaa, round(time.monotonic() - started, 3))


def _system_servers() -> tuple[Nameserver, ...]:
    try:
        configured = dns.resolver.Resolver().nameservers
    except dns.exception.DNSException:
        return ()
    return tuple(Nameserver(str(s)) for s in configured if isinstance(s, str))


async def _unreachable(servers: tuple[Nameserver, ...], wait: float = 0.5) -> str | None:
    """Why none of the servers can be reached from here (no route, nothing listening on
    UDP), or None when one may be there. A connected UDP socket hears the ICMP errors an
    unconnected one ignores; a silence is not taken as proof of anything."""
    reasons = []
    for server in servers:
        query = dns.message.make_query(".", "NS").to_wire()
        family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            try:
                await loop.sock_connect(sock, (server.address, server.port))
                await loop.sock_sendall(sock, query)
                await asyncio.wait_for(loop.sock_recv(sock, 512), wait)
            except (TimeoutError, BlockingIOError):
                return None
            except OSError as error:
                reasons.append(f"{server}: {error.strerror or error}")
                continue
            return None
    return "; ".join(reasons) or None


def _resolver(servers: tuple[Nameserver, ...], timeout: float) -> dns.asyncresolver.Resolver:
    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(s.address, s.port) for s in servers]
    else:
        resolver = dns.asyncresolver.Resolver()  # the system's configured servers
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


async def _question(
    name: str, rdtype: str, servers: tuple[Nameserver, ...], timeout: float
) -> RecordSet:
    try:
        resolver = _resolver(servers, timeout)
        answer = await resolver.resolve(name, rdtype, search=False)
    except dns.resolver.NXDOMAIN as error:
        responses = error.responses()  # type: ignore[no-untyped-call]
        hops = _aliases(name, [r.answer for r in responses.values()])
        missing = hops[-1] if hops else name
        return RecordSet(rdtype, error="nxdomain", detail=f"{missing} does not exist",
                         cnames=hops)
    except dns.resolver.NoAnswer as error:
        response = error.kwargs.get("response")
        hops = _aliases(name, [response.answer] if response is not None else [])
        return RecordSet(rdtype, error="no_answer", detail=f"no {rdtype} record", cnames=hops)
    except dns.resolver.NoNameservers as error:
        return RecordSet(rdtype, error="servfail", detail=str(error))
    except dns.exception.Timeout:
        return RecordSet(rdtype, error="timeout", detail=f"no answer within {timeout:g} s")
    except dns.resolver.NoResolverConfiguration:
        return RecordSet(rdtype, error="no_resolver",
                         detail="this machine has no DNS servers configured; pass --resolver")
    except dns.exception.DNSException as error:
        return RecordSet(rdtype, error="error", detail=f"{type(error).__name__}: {error}")
    addresses = tuple(sorted({rdata.to_text() for rdata in answer}))
    return RecordSet(rdtype, addresses, cnames=_aliases(name, [answer.response.answer]))


def _aliases(name: str, sections: list[list[dns.rrset.RRset]]) -> tuple[str, ...]:
    """The CNAME hops from ``name`` in the answer sections, in order (at most 16)."""
    targets: dict[str, str] = {}
    for section in sections:
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.CNAME and len(rrset):
                targets[rrset.name.to_text().rstrip(".").lower()] = (
                    next(iter(rrset)).to_text().rstrip(".").lower())
    hops: list[str] = []
    current = name.rstrip(".").lower()
    while current in targets and len(hops) < 16:
        current = targets[current]
        hops.append(current)
    return tuple(hops)
