"""DNS lookups with dnspython: A and AAAA asked concurrently."""

from __future__ import annotations

import asyncio
import time

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from checks.model.endpoints import Nameserver
from checks.model.observations import DnsLookup, RecordSet


async def lookup(name: str, servers: tuple[Nameserver, ...], timeout: float) -> DnsLookup:
    started = time.monotonic()
    a, aaaa = await asyncio.gather(
        _question(name, "A", servers, timeout), _question(name, "AAAA", servers, timeout)
    )
    label = ", ".join(str(server) for server in servers) or "system"
    return DnsLookup(name, label, a, aaaa, round(time.monotonic() - started, 3))


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
    except dns.resolver.NXDOMAIN:
        return RecordSet(rdtype, error="nxdomain", detail=f"{name} does not exist")
    except dns.resolver.NoAnswer:
        return RecordSet(rdtype, error="no_answer", detail=f"no {rdtype} record")
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
    return RecordSet(rdtype, addresses)
