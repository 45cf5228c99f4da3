"""The network requirements every connector shares (DNS, TCP, TLS), and the checks of one
endpoint. A profile cites them with its vendor guide's words (its [network] section)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from checks.evaluate import network, tls
from checks.evaluate import proxy as proxied
from checks.model.addresses import host_port, is_ip
from checks.model.endpoints import HttpRequest
from checks.model.observations import TlsHandshake
from checks.model.requirement import Requirement, ok, passed_or_warned
from checks.model.verdict import Verdict, passed
from checks.plan import Plan
from checks.probes.http import hide_credentials
from checks.run import RunContext

DNS_RESOLVES = Requirement(
    "dns.resolves", "The server's name resolves", "dns",
    "An A and/or AAAA record for the server's name.",
    "Publish an A and/or AAAA record for the name.", cites="network.dns")
DNS_PUBLIC = Requirement(
    "dns.public", "The name resolves to public addresses", "dns",
    "Every address the name resolves to is publicly routable, and public DNS agrees with "
    "internal DNS.",
    "Publish a public address (of the server or of a reverse proxy).", after=(DNS_RESOLVES,),
    cites="network.dns")
TCP_REACHABLE = Requirement(
    "tcp.reachable", "Port 443 accepts connections", "tcp",
    "Each resolved address accepts TCP connections on the port.",
    "Allowlist the vendor's IP addresses on port 443.", after=(DNS_RESOLVES,), cites="network.firewall")
TLS_HANDSHAKE = Requirement(
    "tls.handshake", "The port speaks TLS 1.2 or newer", "tls",
    "A TLS 1.2+ handshake completes within the timeout.",
    "Serve HTTPS with TLS 1.2 or 1.3 on the port.", after=(TCP_REACHABLE,), cites="network.tls")


def _usable_for_https(verdict: Verdict) -> bool:
    """A chain from a private CA named by --ca-bundle fails tls.public_ca, yet the HTTP client
    trusts it: the API checks behind it still run."""
    return passed_or_warned(verdict) or verdict.trusted_by_http_client


TLS_PUBLIC_CA = Requirement(
    "tls.public_ca", "The certificate chains to a public CA", "tls",
    "The presented chain is complete, current, strong, and ends at a public root.",
    "Install a certificate from a public CA, with its intermediates.", after=(TLS_HANDSHAKE,),
    lets_through=_usable_for_https, cites="network.tls")
TLS_HOSTNAME = Requirement(
    "tls.hostname", "The certificate names the server", "tls",
    "A subjectAltName of the certificate matches the DNS name.",
    "Install a certificate whose subjectAltName lists the DNS name.", after=(TLS_HANDSHAKE,),
    cites="network.dns")
# The forward proxy the HTTP client goes through (HTTPS_PROXY, ALL_PROXY; NO_PROXY): its
# checks exist only when one applies to the endpoint (optional prerequisites). No vendor's
# guide asks for them: this machine's path to the server goes through the proxy.
_PROXY_PATH = ("this machine's path to the server: HTTPS_PROXY (or ALL_PROXY) sends this run's "
               "HTTP checks through the proxy; the vendor's own requests do not pass it")
PROXY_RESOLVES = Requirement(
    "proxy.resolves", "The proxy's name resolves", "proxy",
    "The host of the proxy in HTTPS_PROXY resolves.",
    "Check the proxy's host name in HTTPS_PROXY.", optional=True, own=_PROXY_PATH)
PROXY_REACHABLE = Requirement(
    "proxy.reachable", "The proxy accepts connections", "proxy",
    "The proxy's port accepts TCP connections from this machine.",
    "Check the proxy's port in HTTPS_PROXY and the route to it.", after=(PROXY_RESOLVES,),
    optional=True, own=_PROXY_PATH)
PROXY_TUNNEL = Requirement(
    "proxy.tunnel", "The proxy opens a tunnel to the server", "proxy",
    "CONNECT HOST:443 is answered 200 Connection established.",
    "Allow CONNECT to the server on the proxy; give its credentials in HTTPS_PROXY.",
    after=(PROXY_REACHABLE,), optional=True, own=_PROXY_PATH)
PROXY_TLS = Requirement(
    "proxy.tls", "Through the proxy, the server presents its own certificate", "proxy",
    "The chain seen through the tunnel is the server's own (no TLS inspection), or one the "
    "HTTP client is told to trust (--ca-bundle).",
    "Exempt the server from TLS inspection on the proxy.", after=(PROXY_TUNNEL,),
    lets_through=_usable_for_https, optional=True, own=_PROXY_PATH)
PROXY_REQUIREMENTS = (PROXY_RESOLVES, PROXY_REACHABLE, PROXY_TUNNEL, PROXY_TLS)
MAX_ADDRESSES = 64  # addresses of one name tried at most (real names have a handful)
# What an HTTPS request to the endpoint waits for: never send credentials to a server that is
# not the one named, nor through a proxy that shows another's certificate.
AFTER_TLS = (TLS_HOSTNAME, TLS_PUBLIC_CA, PROXY_TLS)


# Every connector's network requirements, in report order.
NETWORK = (DNS_RESOLVES, DNS_PUBLIC, TCP_REACHABLE, TLS_HANDSHAKE, TLS_PUBLIC_CA, TLS_HOSTNAME,
           *PROXY_REQUIREMENTS)


def expected_network(context: RunContext, host: str, port: int
                     ) -> list[tuple[Requirement, str]]:
    """The network checks known before probing; tcp.reachable is per resolved address; the
    proxy's when one applies."""
    where = f"{host}:{port}"
    proxy = proxy_of(context, host, port)
    expected = [(DNS_RESOLVES, host), (DNS_PUBLIC, host), (TLS_HANDSHAKE, where),
                (TLS_PUBLIC_CA, where), (TLS_HOSTNAME, where)]
    if proxy is not None:
        parts = urlsplit(proxy)
        expected += [(PROXY_RESOLVES, parts.hostname or ""),
                     (PROXY_REACHABLE, host_port(parts.hostname or "", parts.port or 80)),
                     (PROXY_TUNNEL, where), (PROXY_TLS, where)]
    return expected


def proxy_of(context: RunContext, host: str, port: int) -> str | None:
    """The forward proxy the HTTP client uses for the endpoint, or None."""
    return context.proxy_for(f"https://{host_port(host, port)}")


async def network_checks(plan: Plan, context: RunContext, host: str, port: int) -> None:
    """dns.*, tcp.* and tls.* for one endpoint; and, when a forward proxy applies to it, the
    proxy's checks beside them (concurrently), compared with the direct handshake."""
    direct: asyncio.Future[TlsHandshake | None] = asyncio.get_running_loop().create_future()
    proxy = proxy_of(context, host, port)
    if proxy is not None:  # the environment's decision, recorded so a replay plans the same
        context.facts.proxies[f"{host}:{port}"] = hide_credentials(proxy)
    try:
        await asyncio.gather(_direct_checks(plan, context, host, port, direct),
                             *([_proxy_checks(plan, context, host, port, proxy, direct)]
                               if proxy is not None else []))
    finally:
        if not direct.done():
            direct.set_result(None)


async def _direct_checks(plan: Plan, context: RunContext, host: str, port: int,
                         direct: asyncio.Future[TlsHandshake | None]) -> None:
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
        direct.set_result(None)
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
        direct.set_result(None)
        return
    first = open_endpoints[0]
    observed = await facts.tls(host, port, first.address, first.port)
    direct.set_result(observed if observed.chain_pem else None)
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


async def _proxy_checks(plan: Plan, context: RunContext, host: str, port: int, proxy: str,
                        direct: asyncio.Future[TlsHandshake | None]) -> None:
    """The proxy's name and port (the DNS and TCP probes), the CONNECT tunnel, and the chain
    seen through it against the direct one (or alone, when there is none from here)."""
    facts = context.facts
    where = f"{host}:{port}"
    parts = urlsplit(proxy)
    proxy_host, proxy_port = parts.hostname or "", parts.port or 80
    at = host_port(proxy_host, proxy_port)
    if is_ip(proxy_host):
        address = proxy_host
        plan.add(PROXY_RESOLVES, proxy_host, passed(f"the proxy is given as an address, "
                                                    f"{proxy_host}: nothing to resolve"))
    else:
        lookup = await facts.dns(proxy_host, context.resolvers)
        if not ok(plan.add(PROXY_RESOLVES, proxy_host, network.resolves(lookup),
                           lookup.elapsed_s)):
            return
        address = lookup.addresses[0]
    connect = await facts.tcp(address, proxy_port)
    if not ok(plan.add(PROXY_REACHABLE, at, network.reachable(connect), connect.elapsed_s)):
        return
    tunnel = await facts.proxy(proxy, address, proxy_port, host, port)
    if not ok(plan.add(PROXY_TUNNEL, where, proxied.tunnel(tunnel), tunnel.elapsed_s)):
        return
    plan.add(PROXY_TLS, where, proxied.tls_through(tunnel, await direct, context.trust,
                                                   context.now))
