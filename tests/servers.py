"""Real servers on loopback: TLS with a GitHub-Enterprise-like API, DNS, refused and filtered
ports. Each runs in threads and stops when its fixture ends."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, A, DNSRecord

from tests.pki import Chain

# -- a GitHub Enterprise Server API ------------------------------------------------------------
# Status codes, headers and bodies follow tests/recordings/ (real GitHub exchanges) and the
# REST documentation where no recording exists (see test_fakes_match_recordings.py).


@dataclass
class Account:
    login: str
    scopes: str | None  # X-OAuth-Scopes; None for a fine-grained token
    memberships: dict[str, tuple[str, str]] = field(default_factory=dict)  # org -> (role, state)
    refusal: tuple[int, dict[str, str], dict[str, Any]] | None = None  # status, headers, body
    expires: str | None = None  # github-authentication-token-expiration, as GitHub writes it
    sso_pending: set[str] = field(default_factory=set)  # orgs whose SSO the token lacks
    readable: dict[str, set[str]] = field(default_factory=dict)  # repo -> what it may read


@dataclass
class GithubWorld:
    version: str = "3.14.2"
    accounts: dict[str, Account] = field(default_factory=dict)  # token -> account
    oauth_clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    meta: str = "json"  # json | portal | redirect | error | hang
    released: threading.Event = field(default_factory=threading.Event)
    prefix: str = "/api/v3"  # "" for github.com's API host
    enterprise: bool = True  # GHES sends X-GitHub-Enterprise-Version; github.com does not
    # The host the API names in its URLs: None for the one asked (Host), or an internal name
    # a reverse proxy does not rewrite.
    link_host: str | None = None
    # Organizations whose IP allow list does not hold loopback: their resources answer 403.
    ip_allow_lists: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)  # every GET's path, as it came
    # Webhooks, as GitHub's REST API describes them ("Organization webhooks", "Repository
    # webhooks", their deliveries and pings): "orgs/ORG" or "repos/OWNER/REPO" -> hooks.
    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deliveries: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    deliveries_api: bool = True  # GHES before 3.2 answers the deliveries API 404
    # What a ping's delivery looks like (status, status_code); None: it never shows.
    ping_outcome: tuple[str, int] | None = ("OK", 200)
    pinged: list[int] = field(default_factory=list)


VENDOR_HOOK_URL = "https://hooks.vendor.example/github/acme"


def hook(hook_id: int, url: str = VENDOR_HOOK_URL, *, active: bool = True,
         events: tuple[str, ...] = ("push", "pull_request"), content_type: str = "json",
         insecure_ssl: str = "0", secret: bool = True, org: str = "acme",
         host: str = "github.example.com", prefix: str = "/api/v3") -> dict[str, Any]:
    """An organization webhook as GitHub's REST API shows it ("Get an organization webhook"):
    its secret, when set, as "********"."""
    base = f"https://{host}{prefix}/orgs/{org}/hooks/{hook_id}"
    return {"type": "Organization", "id": hook_id, "name": "web", "active": active,
            "events": list(events),
            "config": {"url": url, "content_type": content_type, "insecure_ssl": insecure_ssl,
                       **({"secret": "********"} if secret else {})},
            "updated_at": "2026-10-01T08:00:00Z", "created_at": "2026-09-01T08:00:00Z",
            "url": base, "ping_url": f"{base}/pings", "deliveries_url": f"{base}/deliveries"}


def delivery(n: int, at: str, status: str = "OK", status_code: int = 200,
             event: str = "push") -> dict[str, Any]:
    """One delivery as "List deliveries for an organization webhook" shows it."""
    return {"id": 7000 + n, "guid": f"58474f00-b361-11eb-836d-{n:012d}", "delivered_at": at,
            "redelivery": False, "duration": 0.27 if status_code else 30.0,
            "status": status, "status_code": status_code, "event": event,
            "action": None, "installation_id": None, "repository_id": 1296269}


def ip_allow_list_message(org: str) -> str:
    """GitHub's answer to a token used from an address an organization's IP allow list does
    not hold (its REST documentation, "IP allow list"; the wording GitHub's clients match)."""
    return (f"Although you appear to have the correct authorization credentials, the `{org}` "
            f"organization has an IP allow list enabled, and your IP address is not permitted "
            f"to access this resource.")


class JsonHandler(BaseHTTPRequestHandler):
    """Answers like GitHub: JSON bodies, GitHub's media-type header, a Date on every answer."""

    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    always: dict[str, str] = {}
    media: dict[str, str] = {"X-GitHub-Media-Type": "github.v3; format=json"}  # GitHub's own
    # Headers and body leave in one send (flushed at the end of each reply), as a real
    # server's do; with TCP_NODELAY no answer waits on the peer's delayed ACK.
    wbufsize = 256 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None,
              content_type: str = "application/json; charset=utf-8") -> None:
        data = (json.dumps(body) if content_type.startswith("application/json")
                else str(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self.media, **self.always, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def github_handler(world: GithubWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        always = {"X-GitHub-Enterprise-Version": world.version} if world.enterprise else {}

        def account(self) -> Account | None:
            auth = self.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            return world.accounts.get(token) if scheme.lower() in ("token", "bearer") else None

        def do_GET(self) -> None:
            path = self.path.split("?")[0].removeprefix(world.prefix)
            world.requests.append(path)
            if path == "/meta":
                return self.meta()
            if not path.startswith(("/user", "/orgs/", "/repos/")):
                return self.reply(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            account = self.account()
            if account is None:
                return self.reply(401, {"message": "Bad credentials",
                                        "documentation_url": "https://docs.github.com/rest"})
            if account.refusal is not None:
                status, headers, body = account.refusal
                return self.reply(status, body, headers)
            scopes = {} if account.scopes is None else {"X-OAuth-Scopes": account.scopes,
                                                        "X-Accepted-OAuth-Scopes": ""}
            if account.expires:
                scopes["github-authentication-token-expiration"] = account.expires
            owner = (path.removeprefix("/user/memberships/orgs/").removeprefix("/orgs/")
                     .removeprefix("/repos/").split("/")[0])
            if path != "/user" and owner in world.ip_allow_lists:
                return self.reply(403, {"message": ip_allow_list_message(owner),
                                        "documentation_url": "https://docs.github.com/rest"})
            if path == "/user":
                host = world.link_host or self.headers.get("Host", "")
                return self.reply(200, {"login": account.login, "id": 1, "type": "User",
                                        "site_admin": False,
                                        "url": f"https://{host}{world.prefix}/users/"
                                               f"{account.login}",
                                        "html_url": f"https://{host}/{account.login}"}, scopes)
            if "/hooks" in path:
                return self.hooks(account, path, scopes)
            if path.startswith("/orgs/"):
                return self.org(account, path.removeprefix("/orgs/"), scopes)
            if path.startswith("/repos/"):
                return self.repo(account, path.removeprefix("/repos/").split("/"), scopes)
            org = path.removeprefix("/user/memberships/orgs/")
            if org in account.memberships:
                role, state = account.memberships[org]
                return self.reply(200, {"state": state, "role": role,
                                        "organization": {"login": org},
                                        "user": {"login": account.login}}, scopes)
            return self.reply(404, {"message": "Not Found", "documentation_url":
                                    "https://docs.github.com/rest/orgs/members"
                                    "#get-an-organization-membership-for-the-authenticated-user"})

        def org(self, account: Account, org: str, scopes: dict[str, str]) -> None:
            if org in account.sso_pending:
                # https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api
                url = f"https://github.com/orgs/{org}/sso?authorization_request=A1B2C3"
                return self.reply(403, {
                    "message": "Resource protected by organization SAML enforcement. You must "
                               "grant your Personal Access token access to this organization.",
                    "documentation_url": "https://docs.github.com/articles/authenticating-to-a-"
                                         "github-organization-with-saml-single-sign-on/"},
                    {"X-GitHub-SSO": f"required; url={url}"})
            if org in account.memberships:
                return self.reply(200, {"login": org, "id": 7, "type": "Organization"}, scopes)
            return self.reply(404, {"message": "Not Found",
                                    "documentation_url": "https://docs.github.com/rest"})

        def hook_place(self, account: Account, path: str) -> tuple[str, int | None] | None:
            """The hooks' place ("orgs/acme", "repos/acme/api") and hook id the path names, or
            None when the token may not see them: GitHub answers 404, as for a resource that
            does not exist, without admin:org_hook (admin:repo_hook or repo) and an owner."""
            place, _, rest = path.strip("/").partition("/hooks")
            hook = rest.strip("/").split("/")[0]
            granted = {s.strip() for s in (account.scopes or "").split(",")}
            if place.startswith("orgs/"):
                org = place.removeprefix("orgs/")
                role = account.memberships.get(org, ("", ""))[0]
                if "admin:org_hook" not in granted or role != "admin":
                    return None
            elif not granted & {"admin:repo_hook", "write:repo_hook", "read:repo_hook",
                                "repo"}:
                return None
            return place, int(hook) if hook.isdigit() else None

        def hooks(self, account: Account, path: str, scopes: dict[str, str]) -> None:
            found = self.hook_place(account, path)
            if found is None or found[0] not in world.hooks:
                return self.reply(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            place, hook = found
            query = dict(part.split("=", 1) for part in self.path.partition("?")[2].split("&")
                         if "=" in part)
            if hook is None:  # pages of per_page (at most 100), with a Link to the next
                size = min(int(query.get("per_page", "30")), 100)
                page = int(query.get("page", "1"))
                listed = world.hooks[place]
                headers = dict(scopes)
                if page * size < len(listed):
                    host = self.headers.get("Host", "")
                    headers["Link"] = (f'<https://{host}{world.prefix}/{place}/hooks?'
                                       f'per_page={size}&page={page + 1}>; rel="next"')
                return self.reply(200, listed[(page - 1) * size:page * size], headers)
            if not world.deliveries_api:
                return self.reply(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            size = min(int(query.get("per_page", "30")), 100)
            return self.reply(200, world.deliveries.get(hook, [])[:size], scopes)

        def repo(self, account: Account, parts: list[str], scopes: dict[str, str]) -> None:
            name = "/".join(parts[:2])
            kind = {2: "metadata"}.get(len(parts)) or {"issues": "issues",
                                                       "pulls": "pull_requests"}[parts[2]]
            allowed = account.readable.get(name, set())
            if not allowed:
                return self.reply(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            if kind not in allowed:
                return self.reply(403, {"message": "Resource not accessible by personal access "
                                                   "token",
                                        "documentation_url": "https://docs.github.com/rest"},
                                  {"X-Accepted-GitHub-Permissions": f"{kind}=read"})
            return self.reply(200, {"full_name": name} if kind == "metadata" else [], scopes)

        def meta(self) -> None:
            if world.meta == "portal":
                return self.reply(200, "<html><title>Sign in to the guest Wi-Fi</title></html>",
                                  content_type="text/html; charset=utf-8")
            if world.meta == "redirect":
                return self.reply(302, "", {"Location": "https://sso.example.com/login"},
                                  content_type="text/html")
            if world.meta == "error":
                return self.reply(503, "<h1>Maintenance</h1>", content_type="text/html")
            if world.meta == "hang":
                world.released.wait()
                return None
            return self.reply(200, {"verifiable_password_authentication": True}
                              | ({"installed_version": world.version} if world.enterprise
                                 else {}))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(part.split("=", 1) for part in self.rfile.read(length).decode().split("&")
                        if "=" in part)
            if self.path.endswith("/pings"):
                return self.ping(self.path.removeprefix(world.prefix))
            if self.path != "/login/oauth/access_token":
                return self.reply(404, {"message": "Not Found"})
            if world.oauth_clients.get(form.get("client_id", "")) != form.get("client_secret"):
                return self.reply(200, {"error": "incorrect_client_credentials",
                                        "error_description": "The client_id and/or client_secret "
                                                             "passed are incorrect."})
            return self.reply(200, {"error": "bad_verification_code",
                                    "error_description": "The code passed is incorrect or "
                                                         "expired."})

        def ping(self, path: str) -> None:
            """POST .../hooks/ID/pings: 204, and (as GitHub does, a moment later) the ping's
            delivery in the hook's log."""
            account = self.account()
            found = self.hook_place(account, path) if account is not None else None
            if found is None or found[0] not in world.hooks or found[1] is None:
                return self.reply(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            hook = found[1]
            world.pinged.append(hook)
            if world.ping_outcome is not None:
                status, code = world.ping_outcome
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                world.deliveries.setdefault(hook, []).insert(0, {
                    "id": 900 + len(world.pinged), "guid": f"0b1c{len(world.pinged):04d}",
                    "delivered_at": now, "redelivery": False, "duration": 0.12,
                    "status": status, "status_code": code, "event": "ping", "action": None,
                    "installation_id": None, "repository_id": None})
            self.send_response(204)
            self.send_header("Date", self.date_time_string())
            self.end_headers()
            return None

    return Handler


class _TlsHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 context: ssl.SSLContext | None, family: int) -> None:
        self.address_family = family
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            if self.context is not None:
                request = self.context.wrap_socket(request, server_side=True)
            super().finish_request(request, client_address)
        except (OSError, ssl.SSLError):
            pass  # probes close right after the handshake
        finally:
            request.close()


@dataclass
class Listener:
    address: str
    port: int


def write_chain(directory: Path, chain: Chain) -> tuple[Path, Path]:
    cert = directory / f"chain-{id(chain)}.pem"
    key = directory / f"key-{id(chain)}.pem"
    cert.write_text("".join(chain.pems))
    key.write_text(chain.leaf.key_pem)
    return cert, key


def server_context(directory: Path, chain: Chain, *, max_version: ssl.TLSVersion | None = None,
                   client_ca: str | None = None) -> ssl.SSLContext:
    """``client_ca``: a CA's PEM; the server then requires a client certificate it issued
    (mutual TLS, as an ingress with client authentication does)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=client_ca)
    context.set_ciphers("ALL:@SECLEVEL=0")  # serve weak chains too: the checks must name them
    if max_version is not None:
        with warnings.catch_warnings():  # an old protocol on purpose: the check must name it
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.maximum_version = max_version
    cert, key = write_chain(directory, chain)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def serve_https(handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None,
                address: str = "127.0.0.1", port: int = 0) -> Iterator[Listener]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    server = _TlsHttpServer((address, port), handler, context, family)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(address, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def https_server(world: GithubWorld, context: ssl.SSLContext | None, address: str = "127.0.0.1",
                 port: int = 0) -> Iterator[Listener]:
    """A GitHub Enterprise Server API over TLS (plain HTTP when ``context`` is None)."""
    with serve_https(github_handler(world), context, address, port) as listener:
        try:
            yield listener
        finally:
            world.released.set()  # a handler told to hang lets go first


@dataclass
class Held(Listener):
    """A silent server's address, and every connection it accepted (held open)."""

    accepted: list[socket.socket] = field(default_factory=list)


@contextmanager
def silent_server(address: str = "127.0.0.1", port: int = 0) -> Iterator[Held]:
    """Accepts TCP connections and never says a word (a stalled TLS handshake, a proxy that
    never answers CONNECT); ``accepted`` counts them."""
    sock = socket.create_server((address, port))
    held = Held(address, sock.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.accepted.append(sock.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        stop.set()
        thread.join()
        for conn in held.accepted:
            conn.close()
        sock.close()


def _bound(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
    sock.bind((address, port))
    return sock


@contextmanager
def refused_port(address: str = "127.0.0.1", port: int = 0) -> Iterator[Listener]:
    """Bound but not listening: the kernel answers every SYN with a reset."""
    with _bound(address, port) as sock:
        yield Listener(address, sock.getsockname()[1])


@contextmanager
def filtered_port(address: str = "127.0.0.1", port: int = 0) -> Iterator[Listener]:
    """Listening with a full backlog and never accepting: further SYNs are dropped."""
    with _bound(address, port) as sock:
        sock.listen(0)
        bound = sock.getsockname()[1]
        with socket.create_connection((address, bound), timeout=5):  # fills the queue of one
            yield Listener(address, bound)


# -- DNS -----------------------------------------------------------------------------------

# name -> {"A": [...], "AAAA": [...]} | {"CNAME": name} | "nxdomain" | "servfail" | "silent"
Zone = dict[str, Any]


class _DnsHandler(socketserver.BaseRequestHandler):
    server: _DnsServer

    def handle(self) -> None:
        data, sock = self.request
        query = DNSRecord.parse(data)
        name = str(query.q.qname).rstrip(".").lower()
        entry = self.server.zone.get(name, "nxdomain")
        self.server.asked.append((name, QTYPE[query.q.qtype]))
        if entry == "silent":
            return
        reply = query.reply()
        # An alias: the CNAME records, followed as a recursive resolver does (each hop in
        # the answer), ending in the target's own answer or its NXDOMAIN.
        hops = 0
        while isinstance(entry, dict) and "CNAME" in entry and hops < 8:
            target = str(entry["CNAME"])
            reply.add_answer(RR(name + ".", QTYPE.CNAME, rdata=CNAME(target + "."), ttl=60))
            name, hops = target.lower(), hops + 1
            entry = self.server.zone.get(name, "nxdomain")
        if entry == "nxdomain":
            reply.header.rcode = RCODE.NXDOMAIN
        elif entry == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
        else:
            qtype = QTYPE[query.q.qtype]
            for address in entry.get(qtype, []):
                rdata = A(address) if qtype == "A" else AAAA(address)
                reply.add_answer(RR(name + ".", query.q.qtype, rdata=rdata, ttl=60))
        sock.sendto(reply.pack(), self.client_address)


class _DnsServer(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], zone: Zone) -> None:
        self.zone = zone
        self.asked: list[tuple[str, str]] = []
        super().__init__(address, _DnsHandler)


@dataclass
class DnsServer:
    address: str
    port: int
    zone: Zone
    asked: list[tuple[str, str]]

    @property
    def spec(self) -> str:
        return f"{self.address}:{self.port}"


@contextmanager
def dns_server(zone: Zone, address: str = "127.0.0.1") -> Iterator[DnsServer]:
    server = _DnsServer((address, 0), zone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DnsServer(address, server.server_address[1], zone, server.asked)
    finally:
        server.shutdown()
        server.server_close()


Starter = Callable[..., Any]


@dataclass
class Proxy:
    port: int
    tunnels: list[str]

    heads: list[list[str]] = field(default_factory=list)  # each CONNECT's header lines

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _ConnectHandler(socketserver.StreamRequestHandler):
    """An HTTP CONNECT proxy that tunnels to loopback only, recording each tunnel."""

    server: _ProxyServer

    def handle(self) -> None:
        request = self.rfile.readline().decode()
        if not request.strip():
            return  # a TCP probe: connected, and closed
        head = []
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            head.append(line.decode("latin-1").strip())
        self.server.heads.append(head)
        method, target, _ = request.split(" ", 2)
        host, _, port = target.rpartition(":")
        self.server.tunnels.append(target)
        host, port = self.server.hosts.get(target, (host, port))
        if self.server.answer is not None:  # a proxy that answers instead of tunnelling
            self.wfile.write(self.server.answer)
            return
        if self.server.inspect is not None:  # TLS inspection: it answers as the server
            context, handler = self.server.inspect
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            try:
                with context.wrap_socket(self.connection, server_side=True) as inspected:
                    handler(inspected, self.client_address, self.server)
            except (OSError, ssl.SSLError):
                pass  # a probe that closes after the handshake
            return
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        with socket.create_connection((host.strip("[]"), int(port))) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _pipe(self.connection, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(one, selectors.EVENT_READ, other)
        selector.register(other, selectors.EVENT_READ, one)
        while True:
            for key, _ in selector.select():
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hosts: dict[str, tuple[str, str]], answer: bytes | None = None,
                 inspect: tuple[ssl.SSLContext, type[BaseHTTPRequestHandler]] | None = None
                 ) -> None:
        self.inspect = inspect  # a context with the inspection CA's certificate, the server
        self.tunnels: list[str] = []
        self.heads: list[list[str]] = []  # each request's header lines
        self.hosts = hosts  # the proxy's own name resolution: "name:port" -> (address, port)
        self.answer = answer  # the whole answer to every request, instead of a tunnel
        super().__init__(("127.0.0.1", 0), _ConnectHandler)


@contextmanager
def connect_proxy(hosts: dict[str, tuple[str, str]] | None = None, answer: bytes | None = None,
                  inspect: tuple[ssl.SSLContext, type[BaseHTTPRequestHandler]] | None = None
                  ) -> Iterator[Proxy]:
    """An HTTP CONNECT proxy on loopback: it tunnels (to ``hosts``' addresses), answers every
    request with ``answer`` (a 407, a policy page), or inspects TLS: it answers the client's
    handshake with ``inspect``'s context (a certificate from its own CA) and serves the API
    itself with ``inspect``'s handler, as an inspecting proxy that relays would."""
    server = _ProxyServer(hosts or {}, answer, inspect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Proxy(server.server_address[1], server.tunnels, server.heads)
    finally:
        server.shutdown()
        server.server_close()
