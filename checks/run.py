"""One run: facts probed once and shared, and the context a connector runs in.

A connector's ``run`` gets a :class:`RunContext`; it asks :class:`Facts` for observations
(independent ones concurrently), hands them to evaluators and records the verdicts in a
:class:`~checks.plan.Plan`. Whether the facts come from the network or from a scenario is the
backend's business; nothing downstream can tell.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from checks.model.addresses import host_port
from checks.model.endpoints import HttpRequest, Nameserver, Route, Target
from checks.model.observations import (
    DnsLookup,
    HttpExchange,
    ProxyTunnel,
    TcpConnect,
    TlsHandshake,
)
from checks.model.secret import Redactor, Secret
from checks.model.trust import Trust
from checks.probes import tcp as tcp_probe
from checks.probes import tls as tls_probe
from checks.profiles import Guide, Profile

if TYPE_CHECKING:
    from checks.probes.http import HttpClient

T = TypeVar("T")
log = logging.getLogger("checks.probes")


class HttpSender(Protocol):
    """What sends a run's HTTP requests: :class:`~checks.probes.http.HttpClient`, a replay's
    client, or a fleet's shared one."""

    async def send(self, request: HttpRequest) -> HttpExchange: ...

    async def aclose(self) -> None: ...


class Backend(Protocol):
    """Where observations come from: the network, or a recorded scenario."""

    @property
    def http(self) -> HttpSender: ...

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup: ...

    async def tcp(self, address: str, port: int) -> TcpConnect: ...

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake: ...

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel: ...


@dataclass
class LiveBackend:
    """The network. dnspython is imported when the first lookup runs: an offline run, and a
    run that only lists its checks, need none of it."""

    http: HttpClient
    timeout: float
    _connecting: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(tcp_probe.IN_FLIGHT))

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup:
        from checks.probes import dns

        return await dns.lookup(name, servers, self.timeout)

    async def tcp(self, address: str, port: int) -> TcpConnect:
        async with self._connecting:  # the timeout starts once the attempt does
            return await tcp_probe.connect(address, port, self.timeout)

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        return await tls_probe.handshake(host, port, address, connect_port, self.timeout)

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel:
        from checks.probes import proxy as proxy_probe

        return await proxy_probe.connect(proxy, address, port, host, target_port, self.timeout)


@dataclass(frozen=True)
class Observed:
    """One observation as the run made it: what kind, when (seconds after the run began, and
    how long), and for HTTP the request that was sent."""

    kind: str  # dns | public_dns | tcp | tls | proxy | http
    observation: Any
    started_s: float
    elapsed_s: float
    request: HttpRequest | None = None


class Shared:
    """The probes of a fleet's targets whose facts are the same (the same trust and routes;
    DNS is keyed by its resolvers): what several ask for (a name of the same resolvers, an
    address, a request with the same credential) is probed once, by whichever asks first,
    and each target's own :class:`Facts` logs it as its own. Each waits shielded: a target
    cut short by its own deadline never cancels a probe another target waits for."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Future[Any]] = {}

    async def once(self, key: Hashable, probe: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.ensure_future(probe())
        result: T = await asyncio.shield(task)
        return result


class SharedBackend:
    """One target's backend (its own HTTP client: its own connections, and its own pauses
    for a rate limit its server asks for), its probes shared through ``shared``."""

    def __init__(self, shared: Shared, backend: Backend) -> None:
        self.shared = shared
        self.backend = backend
        self.http = _SharedHttp(self)

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup:
        return await self.shared.once(("dns", name, servers, public),
                                      lambda: self.backend.dns(name, servers, public))

    async def tcp(self, address: str, port: int) -> TcpConnect:
        return await self.shared.once(("tcp", address, port),
                                      lambda: self.backend.tcp(address, port))

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        return await self.shared.once(("tls", host, port, address, connect_port),
                                      lambda: self.backend.tls(host, port, address, connect_port))

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel:
        return await self.shared.once(("proxy", proxy, address, port, host, target_port),
                                      lambda: self.backend.proxy(proxy, address, port, host,
                                                                 target_port))


class _SharedHttp:
    def __init__(self, owner: SharedBackend) -> None:
        self.owner = owner

    async def send(self, request: HttpRequest) -> HttpExchange:
        return await self.owner.shared.once(("http", request.key),
                                            lambda: self.owner.backend.http.send(request))

    async def aclose(self) -> None:
        await self.owner.backend.http.aclose()


# Told of each probe as it starts and ends: (kind, target, probes done, probes started).
Progress = Callable[[str, str, int, int], None]


@dataclass
class Facts:
    """Every fact is probed once per run and shared by every check that needs it."""

    backend: Backend
    progress: Progress | None = None
    log: list[dict[str, Any]] = field(default_factory=list)
    observed: list[Observed] = field(default_factory=list)  # in the order they arrived
    # HTTP requests still unanswered when the run was cut short (its deadline): recorded as
    # such, so a replay leaves them unanswered too.
    unanswered: list[HttpRequest] = field(default_factory=list)
    # The forward proxy each endpoint was reached through (HOST:PORT -> its URL, credentials
    # hidden): the environment's decision, recorded so a replay plans the same checks.
    proxies: dict[str, str] = field(default_factory=dict)
    cut_short: list[str] = field(default_factory=list)  # the probes a Ctrl-C interrupted
    # Whom a DNS probe asked, as the reports name it ("recorded answers" for a replay).
    resolver_label: str | None = None
    # A replay answers at once: its probes are laid out on the recorded run's time axis, each
    # starting when the last probe answered before it began ended, lasting what it lasted.
    replay: bool = False
    _replay_end: float = 0.0
    began: float = field(default_factory=time.monotonic)
    _tasks: dict[Hashable, asyncio.Task[Any]] = field(default_factory=dict)
    # The probes under way: (kind, target, when each began); what a Ctrl-C cut short.
    _running: dict[int, tuple[str, str, float]] = field(default_factory=dict)

    async def _once(self, key: Hashable, kind: str, target: str,
                    probe: Callable[[], Awaitable[T]], request: HttpRequest | None = None) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._logged(kind, target, probe, request))
            self._tasks[key] = task
        result: T = await task
        return result

    async def _logged(self, kind: str, target: str, probe: Callable[[], Awaitable[T]],
                      request: HttpRequest | None) -> T:
        started = time.monotonic()
        if self.progress is not None:
            self.progress(kind, target, len(self.observed), len(self._tasks))
        running = object()
        self._running[id(running)] = (kind, target, started)
        replay_start = self._replay_end
        try:
            if self.replay:  # probes started together start together, before any answers
                await asyncio.sleep(0)
            result = await probe()
        except asyncio.CancelledError:
            if request is not None:
                self.unanswered.append(request)
            self._cut_short(id(running))
            raise
        finally:
            self._running.pop(id(running), None)
        error = getattr(result, "error", None)
        # A replay answers at once: the probe took what the recording says it took.
        elapsed = round(max(time.monotonic() - started,
                            float(getattr(result, "elapsed_s", 0.0) or 0.0)), 3)
        offset = round(started - self.began, 3)
        if self.replay:
            elapsed = round(float(getattr(result, "elapsed_s", 0.0) or 0.0), 3)
            offset = round(replay_start, 3)
            self._replay_end = max(self._replay_end, replay_start + elapsed)
        self.log.append({"kind": kind, "target": target, "result": error or "ok",
                         "started_s": offset, "elapsed_s": elapsed})
        self.observed.append(Observed(kind, result, offset, elapsed, request))
        if self.progress is not None:
            self.progress(kind, target, len(self.observed), len(self._tasks))
        log.debug("probe %s %s: %s in %.3f s (%s)", kind, target, error or "ok", elapsed,
                  getattr(result, "detail", ""))
        return result

    def _cut_short(self, key: int) -> str | None:
        """A probe the run was interrupted in: logged as ``interrupted``, with how long it had
        been under way, so the reports show the step in flight; its label, once."""
        running = self._running.pop(key, None)
        if running is None:
            return None
        kind, target, started = running
        elapsed = round(time.monotonic() - started, 3)
        self.log.append({"kind": kind, "target": target, "result": "interrupted",
                         "started_s": round(started - self.began, 3), "elapsed_s": elapsed})
        label = f"{kind} {target} ({elapsed:.1f} s under way)"
        self.cut_short.append(label)
        return label

    def interrupt(self) -> list[str]:
        """Every probe under way, cut short now (Ctrl-C, SIGTERM): their labels, with those
        already cut short."""
        for key in list(self._running):
            self._cut_short(key)
        return list(self.cut_short)

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool = False
                  ) -> DnsLookup:
        label = self.resolver_label or ", ".join(map(str, servers)) or "system"
        return await self._once(("dns", name, servers, public), "public_dns" if public else "dns",
                                f"{name} @ {label}",
                                lambda: self.backend.dns(name, servers, public))

    async def tcp(self, address: str, port: int) -> TcpConnect:
        return await self._once(("tcp", address, port), "tcp", host_port(address, port),
                                lambda: self.backend.tcp(address, port))

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        return await self._once(("tls", host, port, address, connect_port), "tls",
                                f"{host}:{port} via {host_port(address, connect_port)}",
                                lambda: self.backend.tls(host, port, address, connect_port))

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel:
        """CONNECT host:target_port through the proxy at address:port, and TLS through it."""
        target = host_port(host, target_port)
        return await self._once(("proxy", proxy, address, port, target), "proxy",
                                f"CONNECT {target} via {host_port(address, port)}",
                                lambda: self.backend.proxy(proxy, address, port, host,
                                                           target_port))

    async def http(self, request: HttpRequest) -> HttpExchange:
        async def send() -> HttpExchange:
            exchange = await self.backend.http.send(request)
            return self._with_client_auth(exchange) if exchange.error else exchange

        return await self._once(("http", request.key), "http", f"{request.method} {request.url}",
                                send, request)

    def _with_client_auth(self, exchange: HttpExchange) -> HttpExchange:
        """A request that broke, to a host whose TLS handshake asked for a client certificate:
        the exchange says so, so that the refusal of a TLS 1.3 server (an alert, or a reset
        that lost it) is named for what it is."""
        parts = urlsplit(exchange.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for seen in self.observed:
            handshake = seen.observation
            if isinstance(handshake, TlsHandshake) and handshake.client_certificate_requested \
                    and handshake.host == parts.hostname and handshake.port == port:
                return replace(exchange, client_certificate_requested=True,
                               client_ca_names=handshake.client_ca_names)
        return exchange


@dataclass
class RunContext:
    target: Target
    facts: Facts
    trust: Trust
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
    max_pages: int = 100  # pages of a paginated list read at most (--max-pages)
    max_installations: int = 200  # installations checked one by one at most
    # The forward proxy HTTP requests to a URL go through (HTTPS_PROXY, NO_PROXY), or None.
    proxy_for: Callable[[str], str | None] = field(default=lambda url: None)
    # What the vendor asks of the connector: its guide, scopes or permissions, endpoints.
    profile: Profile = field(default_factory=lambda: Profile("", "", Guide("", ""), ""))
    # The connector's own options (checks.options), by flag: as given, or as recorded.
    options: Mapping[str, Any] = field(default_factory=dict)
    # --ping-webhooks: the connector may send its platform's webhook ping (a live run only).
    ping_webhooks: bool = False

    def option(self, flag: str) -> Any:
        """The value of one of the connector's own options (None when not given)."""
        return self.options.get(flag)

    def secret(self, name: str | None) -> Secret | None:
        return self.secrets.get(name) if name else None
