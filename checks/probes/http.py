"""HTTP requests with httpx: proxies from HTTPS_PROXY/NO_PROXY, one deadline per request
(connect, TLS, headers and the whole body), bounded bodies, no redirects."""

from __future__ import annotations

import asyncio
import codecs
import ssl
import time
import urllib.request
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from checks.model.addresses import host_port
from checks.model.endpoints import HttpRequest, Route
from checks.model.observations import HttpExchange
from checks.model.secret import Secret
from checks.probes import body as bounded

IN_FLIGHT = 32  # requests at once in a fan-out: well under GitHub's 100 concurrent
POOLS = 4  # clients requests take turns over, each with IN_FLIGHT / POOLS connections


# Bodies that are bytes, not text (a CA's certificate at its AIA URL): held as Latin-1, which
# maps every byte to one character, so ``body.encode("latin-1")`` gives them back whole.
BINARY_TYPES = ("application/pkix-cert", "application/x-x509-ca-cert",
                "application/pkcs7-mime", "application/x-pkcs7-certificates",
                "application/octet-stream")
UNANSWERED = "unanswered"  # a recorded request the run's deadline cut short


class RecordedFailure(Exception):
    """How a recorded exchange failed, raised by a replay transport to be observed as such."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


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
    timeout: float = 5.0  # for the whole of one request: connect, TLS, headers, body
    _clients: dict[str | None, list[httpx.AsyncClient]] = field(default_factory=dict)
    _proxies: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _sent: int = 0
    _resume_at: float = 0.0  # monotonic time before which no request is sent (rate limits)
    _paused_s: float = 0.0  # how long the run has been held back for rate limits, in all

    def _client(self, proxy: str | None) -> httpx.AsyncClient:
        """Requests take turns over a few clients, each with a small pool: httpcore assigns
        a request by scanning its pool's connections for every waiting request, a cost that
        grows with the square of the pool (benchmarks/installations.py measures it)."""
        if proxy not in self._clients:
            self._clients[proxy] = [self.make(proxy) for _ in range(POOLS)]
        self._sent += 1
        return self._clients[proxy][self._sent % POOLS]

    def _proxy(self, url: str) -> str | None:
        """The proxy decision, taken once per scheme and host of a run: reading the proxy
        variables for every request costs more CPU than the request itself."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            self._proxies[key] = self.proxy(url)
        return self._proxies[key]

    async def aclose(self) -> None:
        for clients in self._clients.values():
            for client in clients:
                await client.aclose()

    async def send(self, request: HttpRequest) -> HttpExchange:
        """Send once; when GitHub asks to wait (Retry-After, or no requests remaining until a
        reset), pause every request and send this one again, as long as the run's pauses add
        up to no more than ``max_wait_s`` (a server that asks every request to wait 30 s holds
        the run 30 s, not 30 s per request); past that, the limit is reported."""
        exchange = await self._send_once(request)
        pause = _pause_asked(exchange)
        if pause is not None:
            now = time.monotonic()
            longer = max(0.0, now + pause - max(self._resume_at, now))  # what this adds
            if self._paused_s + longer <= self.max_wait_s:
                self._paused_s += longer
                self._resume_at = max(self._resume_at, now + pause)
                exchange = await self._send_once(request)
        return exchange

    async def _send_once(self, request: HttpRequest) -> HttpExchange:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # GitHub asked us to hold back
        started = time.monotonic()
        proxy = self._proxy(request.url)
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
            async with asyncio.timeout(self.timeout):
                built = client.build_request(request.method, url, headers=headers, data=data,
                                             extensions=extensions)
                response = await client.send(built, auth=auth, stream=True)
                try:
                    body = await bounded.read(_raw(response),
                                              response.headers.get("content-encoding"))
                finally:
                    await response.aclose()
        except RecordedFailure as failure:  # a replayed recording of a failed exchange
            if failure.kind == UNANSWERED:  # the run's deadline came first: it comes again
                await asyncio.Event().wait()
            return seen(error=failure.kind, detail=failure.detail)
        except TimeoutError:
            return seen(error="timeout", detail=f"no complete answer within {self.timeout:g} s")
        except httpx.TimeoutException as error:
            return seen(error="timeout", detail=f"{type(error).__name__}: no answer in time")
        except bounded.TooLarge as error:
            return seen(error="too_large", status=response.status_code,
                        headers=_headers(response), detail=f"the response body is {error.what}")
        except bounded.UnsupportedEncoding as error:
            return seen(error="protocol", detail=str(error))
        except zlib.error as error:
            return seen(error="protocol", detail=f"the body does not decode as its "
                                                f"Content-Encoding says: {error}")
        except httpx.ProxyError as error:
            return seen(error="proxy", detail=_detail(error))
        except httpx.ConnectError as error:
            kind = "tls" if isinstance(error.__context__, ssl.SSLError) else "connect"
            return seen(error=kind, detail=_detail(error))
        except httpx.HTTPError as error:
            return seen(error="protocol", detail=f"{type(error).__name__}: {_detail(error)}")
        except Exception as error:  # a replay with no recorded answer lands here too
            return seen(error="error", detail=f"{type(error).__name__}: {_detail(error)}")
        return seen(status=response.status_code, headers=_headers(response),
                    body=body.decode(_charset(response), errors="replace"))


    def _routed(self, request: HttpRequest, proxy: str | None
                ) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
        headers = list(request.headers)
        parts = urlsplit(request.url)
        host, port = parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)
        route = self.routes.get((host, port))
        if route is None or proxy:
            return request.url, headers, {}  # through a proxy, the proxy does the connecting
        # Connect to the route, but keep the name for SNI, certificate checks and Host.
        headers.append(("Host", parts.netloc))
        routed = urlunsplit(parts._replace(netloc=host_port(route.address, route.port)))
        return routed, headers, {"sni_hostname": host}


_SAID = {
    httpx.RemoteProtocolError: "the server closed the connection before the answer was whole",
    httpx.ReadError: "the connection broke while the answer was read",
    httpx.ProxyError: "the proxy did not open a tunnel to the server",
    httpx.ConnectError: "the connection could not be made",
}


def _detail(error: BaseException) -> str:
    """What an exception says, never nothing: its text, else its cause's, else what its
    kind means (a proxy answering CONNECT with a page, a reset mid-body)."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain and len(chain) < 8:  # httpx, httpcore, ssl
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for said in chain:
        if str(said).strip():
            return str(said).strip()
    for kind, meaning in _SAID.items():
        if isinstance(error, kind):
            return meaning
    return f"{type(error).__name__} (no detail given)"


async def _raw(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as it came off the wire; a replayed response holds it already."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.StreamConsumed:
        yield response.content


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _charset(response: httpx.Response) -> str:
    """The body's declared charset when Python knows it, else UTF-8; Latin-1 for bytes."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in BINARY_TYPES:
        return "latin-1"
    declared = response.charset_encoding or "utf-8"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return "utf-8"


def page_links(exchange: HttpExchange) -> dict[str, str]:
    """The Link header's relations (next, last, ...), as GitHub paginates."""
    link = exchange.header("link")
    if not link:
        return {}
    # As bytes: a header holding non-ASCII (a page number in superscript digits) is evidence
    # to judge, not an encoding error.
    raw = link.encode("utf-8", "surrogateescape")
    links = httpx.Response(200, headers=[(b"link", raw)]).links
    return {str(rel): str(value["url"]) for rel, value in links.items() if "url" in value}


def _pause_asked(exchange: HttpExchange) -> float | None:
    """Seconds GitHub asks us to wait before the next request, if it asks.

    https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
    """
    if exchange.status not in (403, 429):
        return None
    retry_after = exchange.whole_number("retry-after", digits=9)
    if retry_after is not None:
        return float(retry_after)
    reset = exchange.whole_number("x-ratelimit-reset")
    if exchange.header("x-ratelimit-remaining") == "0" and reset is not None:
        return max(0.0, reset - time.time())
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


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                   "all_proxy")


def proxy_credentials(environ: Mapping[str, str]) -> list[Secret]:
    """Check every proxy variable; the user names and passwords they hold, to redact.
    ValueError names a variable that cannot be used, never its value."""
    found = []
    for name in PROXY_VARIABLES:
        value = environ.get(name, "").strip()
        if not value:
            continue
        unusable = ValueError(f"{name} is not a proxy URL connector-checks can use (its value is "
                              f"not shown): give http://[USER:PASSWORD@]HOST:PORT, or unset it")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises ValueError for a port that is not one)
        except ValueError:
            raise unusable from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise unusable
        userinfo = parts.netloc.rpartition("@")[0]
        found += [Secret(v, f"{name} credentials", whole_only=v != parts.password)
                  for v in (userinfo, parts.password or "", parts.username or "") if len(v) >= 4]
    return found


def proxy_for(url: str) -> str:
    """What the report says about the proxy for ``url``: its user name and password hidden."""
    proxy = proxy_url(url)
    if proxy is None:
        proxies = urllib.request.getproxies_environment()
        host = urlsplit(url).hostname or ""
        configured = proxies.get(urlsplit(url).scheme) or proxies.get("all")
        return f"none ({host} is in NO_PROXY)" if configured else "none"
    return hide_credentials(proxy)


def hide_credentials(proxy: str) -> str:
    """A proxy URL as reports show it: its user name and password hidden."""
    parts = urlsplit(proxy)
    if "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc="****@" + parts.netloc.rpartition("@")[2]))
    return proxy
