"""One run: facts probed once and shared, a plan that turns them into checks.

A connector's ``run`` gets a :class:`RunContext`; it asks :class:`Facts` for observations
(independent ones concurrently), hands them to evaluators and records :class:`Check` results
in a :class:`Plan`. Whether the facts come from the network or from a scenario is the
backend's business; nothing downstream can tell.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from checks import reasons
from checks.addresses import host_port
from checks.catalogue import Check, Connector
from checks.evaluate import network, tls
from checks.observations import DnsLookup, HttpExchange, TcpConnect, TlsHandshake
from checks.probes import dns as dns_probe
from checks.probes import tcp as tcp_probe
from checks.probes import tls as tls_probe
from checks.probes.dns import Nameserver
from checks.probes.http import HttpClient, HttpRequest, Route
from checks.secret import Redactor, Secret
from checks.verdict import Outcome, Verdict

T = TypeVar("T")
log = logging.getLogger("checks.probes")


class Backend(Protocol):
    """Where observations come from: the network, or a recorded scenario."""

    http: HttpClient

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup: ...

    async def tcp(self, address: str, port: int) -> TcpConnect: ...

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake: ...


@dataclass
class LiveBackend:
    http: HttpClient
    timeout: float

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup:
        return await dns_probe.lookup(name, servers, self.timeout)

    async def tcp(self, address: str, port: int) -> TcpConnect:
        return await tcp_probe.connect(address, port, self.timeout)

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        return await tls_probe.handshake(host, port, address, connect_port, self.timeout)


@dataclass
class Facts:
    """Every fact is probed once per run and shared by every check that needs it."""

    backend: Backend
    log: list[dict[str, Any]] = field(default_factory=list)
    _tasks: dict[Hashable, asyncio.Task[Any]] = field(default_factory=dict)

    async def _once(self, key: Hashable, kind: str, target: str,
                    probe: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._logged(kind, target, probe))
            self._tasks[key] = task
        result: T = await task
        return result

    async def _logged(self, kind: str, target: str, probe: Callable[[], Awaitable[T]]) -> T:
        started = time.monotonic()
        result = await probe()
        error = getattr(result, "error", None)
        elapsed = round(time.monotonic() - started, 3)
        self.log.append({"kind": kind, "target": target, "result": error or "ok",
                         "elapsed_s": elapsed})
        log.debug("probe %s %s: %s in %.3f s (%s)", kind, target, error or "ok", elapsed,
                  getattr(result, "detail", ""))
        return result

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool = False
                  ) -> DnsLookup:
        label = ", ".join(map(str, servers)) or "system"
        return await self._once(("dns", name, servers, public), "dns", f"{name} @ {label}",
                                lambda: self.backend.dns(name, servers, public))

    async def tcp(self, address: str, port: int) -> TcpConnect:
        return await self._once(("tcp", address, port), "tcp", host_port(address, port),
                                lambda: self.backend.tcp(address, port))

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        return await self._once(("tls", host, port, address, connect_port), "tls",
                                f"{host}:{port} via {host_port(address, connect_port)}",
                                lambda: self.backend.tls(host, port, address, connect_port))

    async def http(self, request: HttpRequest) -> HttpExchange:
        return await self._once(("http", request.key), "http", f"{request.method} {request.url}",
                                lambda: self.backend.http.send(request))


@dataclass(frozen=True)
class Target:
    url: str  # https://github.example.com (no trailing slash)
    host: str
    port: int


@dataclass
class RunContext:
    connector: Connector
    target: Target
    facts: Facts
    trust: tls.Trust
    now: datetime  # the moment the observations describe (recorded time when offline)
    secrets: dict[str, Secret | None]
    org: str | None = None
    repo: str | None = None
    require_scopes: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # the connector's required_env values
    redactor: Redactor = field(default_factory=Redactor)  # register secrets made in the run
    resolvers: tuple[Nameserver, ...] = ()
    public_resolvers: tuple[Nameserver, ...] = ()
    routes: dict[tuple[str, int], Route] = field(default_factory=dict)

    def secret(self, name: str | None) -> Secret | None:
        return self.secrets.get(name) if name else None


class Plan:
    """The checks of one connector, in the order they were decided."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.checks: list[Check] = []

    def add(self, requirement_id: str, parameter: str, verdict: Verdict,
            duration_s: float = 0.0) -> Check:
        check = Check(self.context.connector.requirement(requirement_id), parameter, verdict,
                      duration_s)
        self.checks.append(check)
        return check

    def blocked(self, requirement_id: str, parameter: str, cause: Check) -> Check:
        verdict = reasons.PREREQUISITE_FAILED(
            f"not checked: {cause.id} did not pass ({cause.verdict.reason})",
            blocked_by=cause.id, cause=cause.verdict.reason)
        return self.add(requirement_id, parameter, verdict)

    def not_applicable(self, requirement_id: str, parameter: str, why: str) -> Check:
        return self.add(requirement_id, parameter, reasons.NOT_APPLICABLE(why))

    def required_scopes(self, defaults: tuple[str, ...]) -> tuple[str, ...]:
        """--require-scope replaces the defaults; each default left out is shown as such."""
        chosen = self.context.require_scopes or defaults
        for scope in defaults:
            if scope not in chosen:
                self.not_applicable("scopes.granted", scope,
                                    f"left out by --require-scope (the default list is "
                                    f"{', '.join(defaults)})")
        return chosen


def ok(check: Check) -> bool:
    return check.verdict.outcome in (Outcome.PASSED, Outcome.WARNING)


async def network_checks(plan: Plan, host: str, port: int) -> Check | None:
    """dns.*, tcp.*, tls.* for one endpoint. Returns the check that makes HTTPS to it unsafe
    or impossible (the cause to name when skipping API checks), or None when it is usable."""
    context, facts = plan.context, plan.context.facts
    where = f"{host}:{port}"
    lookups = [facts.dns(host, context.resolvers)]
    if context.public_resolvers:
        lookups.append(facts.dns(host, context.public_resolvers, public=True))
    found = await asyncio.gather(*lookups)
    lookup, public_lookup = found[0], (found[1] if len(found) > 1 else None)
    resolved = plan.add("dns.resolves", host, network.resolves(lookup), lookup.elapsed_s)
    if ok(resolved):
        plan.add("dns.public", host, network.public(lookup, public_lookup), lookup.elapsed_s)
    else:
        plan.blocked("dns.public", host, resolved)

    route = context.routes.get((host, port))
    if route is not None:
        endpoints = [(route.address, route.port)]
        via = f"--connect-to {host}:{port}:{host_port(route.address, route.port)}"
    elif ok(resolved):
        endpoints, via = [(address, port) for address in lookup.addresses], ""
    else:
        return plan.blocked("tcp.reachable", where, resolved)
    connects = await asyncio.gather(*(facts.tcp(address, p) for address, p in endpoints))
    tcp_checks = [plan.add("tcp.reachable", c.endpoint, network.reachable(c, via), c.elapsed_s)
                  for c in connects]
    open_endpoints = [c for c, check in zip(connects, tcp_checks, strict=True) if ok(check)]
    if not open_endpoints:
        for requirement in ("tls.handshake", "tls.public_ca", "tls.hostname"):
            plan.blocked(requirement, where, tcp_checks[0])
        return tcp_checks[0]

    first = open_endpoints[0]
    observed = await facts.tls(host, port, first.address, first.port)
    shaken = plan.add("tls.handshake", where, tls.handshake(observed), observed.elapsed_s)
    if not ok(shaken) or not observed.chain_pem:
        plan.blocked("tls.public_ca", where, shaken)
        plan.blocked("tls.hostname", where, shaken)
        return shaken
    trusted = plan.add("tls.public_ca", where, tls.public_ca(observed, context.trust, context.now))
    named = plan.add("tls.hostname", where, tls.hostname(observed))
    if not ok(named):
        return named  # never send credentials to a server that is not the one named
    anchor = str(trusted.verdict.evidence.get("anchor", ""))
    if ok(trusted) or (trusted.verdict.reason == reasons.TLS_UNTRUSTED_ROOT.code
                       and "private CA from" in anchor):
        return None  # the HTTP client trusts public roots and --ca-bundle
    return trusted
