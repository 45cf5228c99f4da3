"""The network requirements every connector shares (DNS, TCP, TLS), and the checks of one
endpoint. Each connector cites them with its vendor guide's words."""

from __future__ import annotations

import asyncio

from checks.evaluate import network, tls
from checks.model.addresses import host_port
from checks.model.endpoints import HttpRequest
from checks.model.requirement import Requirement, ok, passed_or_warned
from checks.model.verdict import Verdict
from checks.plan import Plan
from checks.run import RunContext

DNS_RESOLVES = Requirement(
    "dns.resolves", "The server's name resolves", "dns",
    "An A and/or AAAA record for the server's name.",
    "Publish an A and/or AAAA record for the name.")
DNS_PUBLIC = Requirement(
    "dns.public", "The name resolves to public addresses", "dns",
    "Every address the name resolves to is publicly routable, and public DNS agrees with "
    "internal DNS.",
    "Publish a public address (of the server or of a reverse proxy).", after=(DNS_RESOLVES,))
TCP_REACHABLE = Requirement(
    "tcp.reachable", "Port 443 accepts connections", "tcp",
    "Each resolved address accepts TCP connections on the port.",
    "Allowlist the vendor's IP addresses on port 443.", after=(DNS_RESOLVES,))
TLS_HANDSHAKE = Requirement(
    "tls.handshake", "The port speaks TLS 1.2 or newer", "tls",
    "A TLS 1.2+ handshake completes within the timeout.",
    "Serve HTTPS with TLS 1.2 or 1.3 on the port.", after=(TCP_REACHABLE,))


def _usable_for_https(verdict: Verdict) -> bool:
    """A chain from a private CA named by --ca-bundle fails tls.public_ca, yet the HTTP client
    trusts it: the API checks behind it still run."""
    return passed_or_warned(verdict) or verdict.evidence.get("trusted_by_http_client") is True


TLS_PUBLIC_CA = Requirement(
    "tls.public_ca", "The certificate chains to a public CA", "tls",
    "The presented chain is complete, current, strong, and ends at a public root.",
    "Install a certificate from a public CA, with its intermediates.", after=(TLS_HANDSHAKE,),
    lets_through=_usable_for_https)
TLS_HOSTNAME = Requirement(
    "tls.hostname", "The certificate names the server", "tls",
    "A subjectAltName of the certificate matches the DNS name.",
    "Install a certificate whose subjectAltName lists the DNS name.", after=(TLS_HANDSHAKE,))
MAX_ADDRESSES = 64  # addresses of one name tried at most (real names have a handful)
# What an HTTPS request to the endpoint waits for: never send credentials to a server that is
# not the one named.
AFTER_TLS = (TLS_HOSTNAME, TLS_PUBLIC_CA)


def network_requirements(seed: str, dns_seed: str, firewall_seed: str,
                         tls_seed: str) -> tuple[Requirement, ...]:
    """The network requirements, cited with a connector's vendor guide."""
    return (DNS_RESOLVES.cited(f"{seed}: {dns_seed}"), DNS_PUBLIC.cited(f"{seed}: {dns_seed}"),
            TCP_REACHABLE.cited(f"{seed}: {firewall_seed}"),
            TLS_HANDSHAKE.cited(f"{seed}: {tls_seed}"), TLS_PUBLIC_CA.cited(f"{seed}: {tls_seed}"),
            TLS_HOSTNAME.cited(f"{seed}: {dns_seed}"))


def expected_network(host: str, port: int) -> list[tuple[Requirement, str]]:
    """The network checks known before probing; tcp.reachable is per resolved address."""
    where = f"{host}:{port}"
    return [(DNS_RESOLVES, host), (DNS_PUBLIC, host), (TLS_HANDSHAKE, where),
            (TLS_PUBLIC_CA, where), (TLS_HOSTNAME, where)]


async def network_checks(plan: Plan, context: RunContext, host: str, port: int) -> None:
    """dns.*, tcp.* and tls.* for one endpoint."""
    facts = context.facts
    where = f"{host}:{port}"
    lookups = [facts.dns(host, context.resolvers)]
    if context.public_resolvers:
        lookups.append(facts.dns(host, context.public_resolvers, public=True))
    found = await asyncio.gather(*lookups)
    lookup, public_lookup = found[0], (found[1] if len(found) > 1 else None)
    resolved = plan.add(DNS_RESOLVES, host, network.resolves(lookup), lookup.elapsed_s)
    if plan.ready(DNS_PUBLIC, host):
        plan.add(DNS_PUBLIC, host, network.public(lookup, public_lookup), lookup.elapsed_s)

    route = context.routes.get((host, port))
    if route is not None:  # --connect-to: the address is given, DNS is not asked for it
        endpoints = [(route.address, route.port)]
        via = f"--connect-to {host}:{port}:{host_port(route.address, route.port)}"
    elif ok(resolved):
        endpoints, via = [(address, port) for address in lookup.addresses], ""
    else:
        plan.expect(TCP_REACHABLE, where)  # no address to connect to: one check, skipped
        return
    if len(endpoints) > MAX_ADDRESSES:  # a hostile or broken answer: try a bounded number
        plan.not_applicable(TCP_REACHABLE, f"{where} beyond the first {MAX_ADDRESSES}",
                            f"{host} resolves to {len(endpoints)} addresses; the first "
                            f"{MAX_ADDRESSES} were tried, the other {len(endpoints) - MAX_ADDRESSES}"
                            f" were not")
        endpoints = endpoints[:MAX_ADDRESSES]
    connects = await asyncio.gather(*(facts.tcp(address, p) for address, p in endpoints))
    open_endpoints = [c for c in connects
                      if ok(plan.add(TCP_REACHABLE, c.endpoint, network.reachable(c, via),
                                     c.elapsed_s))]
    if not open_endpoints or not plan.ready(TLS_HANDSHAKE, where):
        return
    first = open_endpoints[0]
    observed = await facts.tls(host, port, first.address, first.port)
    plan.add(TLS_HANDSHAKE, where, tls.handshake(observed), observed.elapsed_s)
    if not observed.chain_pem:
        return
    if plan.ready(TLS_PUBLIC_CA, where):
        # An intermediate the server leaves out is fetched from where its CA publishes it
        # (one http:// request, as any other: the run's deadline, a size cap, the proxy).
        missing = tls.missing_issuer_url(observed, context.trust)
        fetched = await facts.http(HttpRequest("GET", missing)) if missing else None
        plan.add(TLS_PUBLIC_CA, where, tls.public_ca(observed, context.trust, context.now,
                                                     fetched))
    if plan.ready(TLS_HOSTNAME, where):
        plan.add(TLS_HOSTNAME, where, tls.hostname(observed, context.trust, context.now))
