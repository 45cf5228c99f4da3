"""HTTP requests with httpx: proxies from HTTPS_PROXY/NO_PROXY, per-step timeouts, no redirects."""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from checks.model.addresses import host_port
from checks.model.endpoints import HttpRequest, Route
from checks.model.observations import HttpExchange
from checks.model.secret import Secret, mask

BODY_LIMIT = 64 * 1024
IN_FLIGHT = 32  # requests at once in a fan-out: well under GitHub's 100 concurrent


class _TokenAuth(httpx.Auth):
    """Adds the token at send time, so it lives in no request object we build or log."""

    def __init__(self, token: Secret, scheme: str) -> None:
        self._token = token
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"{self._scheme} {self._token.reveal()}"
        yield request


@dataclass
class HttpClient:
    """Sends requests with one httpx client per proxy (None: direct), so the proxy decision
    (HTTPS_PROXY, NO_PROXY) is taken once, here, and the report can state it."""

    make: Callable[[str | None], httpx.AsyncClient]
    routes: Mapping[tuple[str, int], Route] = field(default_factory=dict)
    proxy: Callable[[str], str | None] = field(default=lambda url: proxy_url(url))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    max_wait_s: float = 30.0  # longest rate-limit pause honoured before reporting the limit
    _clients: dict[str | None, httpx.AsyncClient] = field(default_factory=dict)
    _resume_at: float = 0.0  # monotonic time before which no request is sent (rate limits)

    def _client(self, proxy: str | None) -> httpx.AsyncClient:
        if proxy not in self._clients:
            self._clients[proxy] = self.make(proxy)
        return self._clients[proxy]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def send(self, request: HttpRequest) -> HttpExchange:
        """Send once; when GitHub asks to wait (Retry-After, or no requests remaining until a
        reset) no longer than ``max_wait_s``, pause every request and send this one again."""
        exchange = await self._send_once(request)
        pause = _pause_asked(exchange)
        if pause is not None and pause <= self.max_wait_s:
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
            exchange = await self._send_once(request)
        return exchange

    async def _send_once(self, request: HttpRequest) -> HttpExchange:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # GitHub asked us to hold back
        started = time.monotonic()
        proxy = self.proxy(request.url)
        client = self._client(proxy)
        url, headers, extensions = self._routed(request, proxy)
        auth = _TokenAuth(request.token, request.scheme) if request.token else None
        data = {name: value.reveal() if isinstance(value, Secret) else value
                for name, value in request.form} or None

        def seen(**found: object) -> HttpExchange:
            return HttpExchange(request.method, request.url,
                                elapsed_s=round(time.monotonic() - started, 3),
                                received_at=self.clock().isoformat(timespec="seconds"),
                                **found)  # type: ignore[arg-type]

        try:
            built = client.build_request(request.method, url, headers=headers, data=data,
                                         extensions=extensions)
            response = await client.send(built, auth=auth, stream=True)
            try:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= BODY_LIMIT:
                        break
            finally:
                await response.aclose()
        except httpx.TimeoutException as error:
            return seen(error="timeout", detail=f"{type(error).__name__}: no answer in time")
        except httpx.ProxyError as error:
            return seen(error="proxy", detail=str(error))
        except httpx.ConnectError as error:
            kind = "tls" if isinstance(error.__context__, ssl.SSLError) else "connect"
            return seen(error=kind, detail=str(error))
        except httpx.HTTPError as error:
            return seen(error="protocol", detail=f"{type(error).__name__}: {error}")
        except Exception as error:  # a replay with no recorded answer lands here too
            return seen(error="error", detail=f"{type(error).__name__}: {error}")
        charset = response.charset_encoding or "utf-8"
        return seen(status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=body[:BODY_LIMIT].decode(charset, errors="replace"))

    def _routed(self, request: HttpRequest, proxy: str | None
                ) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
        headers = list(request.headers)
        parts = urlsplit(request.url)
        host, port = parts.hostname or "", parts.port or 443
        route = self.routes.get((host, port))
        if route is None or proxy:
            return request.url, headers, {}  # through a proxy, the proxy does the connecting
        # Connect to the route, but keep the name for SNI, certificate checks and Host.
        headers.append(("Host", parts.netloc))
        routed = urlunsplit(parts._replace(netloc=host_port(route.address, route.port)))
        return routed, headers, {"sni_hostname": host}


def page_links(exchange: HttpExchange) -> dict[str, str]:
    """The Link header's relations (next, last, ...), as GitHub paginates."""
    link = exchange.header("link")
    if not link:
        return {}
    links = httpx.Response(200, headers={"link": link}).links
    return {str(rel): str(value["url"]) for rel, value in links.items() if "url" in value}


def _pause_asked(exchange: HttpExchange) -> float | None:
    """Seconds GitHub asks us to wait before the next request, if it asks.

    https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
    """
    if exchange.status not in (403, 429):
        return None
    retry_after = exchange.header("retry-after")
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    reset = exchange.header("x-ratelimit-reset")
    if exchange.header("x-ratelimit-remaining") == "0" and reset and reset.isdigit():
        return max(0.0, int(reset) - time.time())
    return None


def verifying_context(ca_pem: str) -> ssl.SSLContext:
    """A client context that trusts exactly ``ca_pem`` (never SSL_CERT_FILE or SSL_CERT_DIR)."""
    context = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.SSLContext(
        ssl.PROTOCOL_TLS_CLIENT)
    return context


def proxy_url(url: str) -> str | None:
    """The proxy httpx (trust_env) uses for ``url`` under HTTPS_PROXY/ALL_PROXY and NO_PROXY."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(urlsplit(url).scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(urlsplit(url).hostname or ""):
        return None
    return proxy


def proxy_for(url: str) -> str:
    """What the report says about the proxy for ``url``, credentials masked."""
    proxy = proxy_url(url)
    if proxy is None:
        proxies = urllib.request.getproxies_environment()
        host = urlsplit(url).hostname or ""
        configured = proxies.get(urlsplit(url).scheme) or proxies.get("all")
        return f"none ({host} is in NO_PROXY)" if configured else "none"
    password = urlsplit(proxy).password
    return proxy.replace(f":{password}@", f":{mask(password)}@") if password else proxy
