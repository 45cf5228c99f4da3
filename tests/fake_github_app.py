"""A loopback GitHub App API that behaves like GitHub: it verifies each JWT with the app's
public key and refuses an undecodable, foreign, expired or future one with GitHub's status
codes and messages (tests/recordings/github/app-*.json); it serves installations (paginated),
installation tokens, repositories and the endpoints the vendor reads."""

from __future__ import annotations

import email.utils
import secrets
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.warnings import InsecureKeyLengthWarning

from tests.servers import JsonHandler, ip_allow_list_message

DOCS = "https://docs.github.com/rest"
UNDECODABLE = "A JSON web token could not be decoded"
IAT = ("'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
       "was issued")
EXPIRED = ("'Expiration time' claim ('exp') must be a numeric value representing the future time "
           "at which the assertion expires")
TOO_LONG = "'Expiration time' claim ('exp') is too far in the future"
NOT_ACCESSIBLE = "Resource not accessible by integration"


@dataclass
class Installation:
    id: int
    account: str
    permissions: dict[str, str]
    repositories: list[str] = field(default_factory=list)
    suspended: bool = False
    deployments: int = 1


@dataclass
class AppWorld:
    app_id: str
    public_key: RSAPublicKey
    installations: list[Installation] = field(default_factory=list)
    prefix: str = ""  # "" for github.com's API host, "/api/v3" for GitHub Enterprise Server
    clock_offset_s: float = 0.0  # the server's clock minus the real one
    latency_s: float = 0.0  # answer each request after this long (benchmarks)
    rate_limit_first: bool = False  # answer the first installations request 429 Retry-After: 1
    list_permissions: bool = True  # False: installations list {} (as one recording shows)
    # Hostile answers: the last page the Link header names, and a rewrite of each page's body.
    last_page: str | None = None
    links: str = "next and last"  # or "next": the Link header names no last page
    page_size: int | None = None  # a page holds this many, whatever per_page asks
    retry_after: int | None = None  # answer every first request of a path 429 Retry-After
    mangle: Callable[[list[dict[str, Any]]], list[Any]] | None = None
    tokens: dict[str, Installation] = field(default_factory=dict)
    jwts: list[str] = field(default_factory=list)  # every JWT received, for the secrets scan
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Organizations whose IP allow list does not hold loopback (nor "Allow access by GitHub
    # Apps"): an installation token for them is refused 403.
    ip_allow_lists: set[str] = field(default_factory=set)

    def now(self) -> float:
        return time.time() + self.clock_offset_s


def app_handler(world: AppWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(world.now(), usegmt=True)

        def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            self.reply(status, {"message": message, "documentation_url": DOCS}, headers)

        def jwt_ok(self) -> bool:
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            with world.lock:
                world.jwts.append(token)
            try:
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.PyJWTError:
                self.error(401, UNDECODABLE)
                return False
            if str(claims.get("iss")) != world.app_id:
                self.error(404, "Integration not found")
                return False
            try:
                with warnings.catch_warnings():  # a 1024-bit app key is a case under test
                    warnings.simplefilter("ignore", InsecureKeyLengthWarning)
                    jwt.decode(token, world.public_key, algorithms=["RS256"],
                               options={"verify_exp": False, "verify_iat": False})
            except jwt.PyJWTError:
                self.error(401, UNDECODABLE)
                return False
            now = world.now()
            if scheme.lower() != "bearer" or not isinstance(claims.get("iat"), int):
                self.error(401, UNDECODABLE)
            elif claims["iat"] > now:
                self.error(401, IAT)
            elif claims.get("exp", 0) <= now:
                self.error(401, EXPIRED)
            elif claims["exp"] - now > 600:
                self.error(401, TOO_LONG)
            else:
                return True
            return False

        def installation(self) -> Installation | None:
            _, _, token = self.headers.get("Authorization", "").partition(" ")
            return world.tokens.get(token)

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def route(self, method: str) -> None:
            if world.latency_s:
                time.sleep(world.latency_s)  # the benchmark's slow API, not a test's wait
            parts = urlsplit(self.path)
            path, query = parts.path.removeprefix(world.prefix), parse_qs(parts.query)
            with world.lock:
                world.requests.append(f"{method} {path}")
                first = world.requests.count(f"{method} {path}") == 1
            if world.retry_after is not None and first and path != "/meta":
                return self.error(429, "You have exceeded a secondary rate limit.",
                                  {"Retry-After": str(world.retry_after)})
            if path == "/meta":
                return self.reply(200, {"verifiable_password_authentication": True})
            if path.startswith(("/app", "/app/")):
                if not self.jwt_ok():
                    return None
                return self.app_route(method, path, query)
            installation = self.installation()
            if installation is None:
                return self.error(401, "Bad credentials")
            if path == "/installation/repositories":
                repos = [{"full_name": name, "name": name.split("/")[1],
                          "owner": {"login": name.split("/")[0]}}
                         for name in installation.repositories]
                return self.reply(200, {"total_count": len(repos), "repositories": repos,
                                        "repository_selection": "selected"})
            return self.repo_route(installation, path)

        def app_route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
            if path == "/app":
                return self.reply(200, {"id": int(world.app_id), "slug": "acme-dx",
                                        "name": "Acme DX - GitHub Deployments",
                                        "owner": {"login": "acme", "type": "Organization"},
                                        "permissions": {"metadata": "read"}})
            if path == "/app/installations":
                if world.rate_limit_first:
                    world.rate_limit_first = False
                    return self.error(429, "You have exceeded a secondary rate limit.",
                                      {"Retry-After": "1"})
                return self.installations_page(query)
            if method == "POST" and path.endswith("/access_tokens"):
                wanted = int(path.split("/")[3])
                found = [i for i in world.installations if i.id == wanted]
                if not found:
                    return self.error(404, "Not Found")
                if found[0].suspended:
                    return self.error(403, "This installation has been suspended")
                if found[0].account in world.ip_allow_lists:
                    return self.error(403, ip_allow_list_message(found[0].account))
                # Long, with dots: installation tokens are not of a fixed shape.
                token = f"ghs_{secrets.token_hex(20)}.{secrets.token_urlsafe(24)}"
                world.tokens[token] = found[0]
                return self.reply(201, {"token": token, "expires_at": "2099-01-01T00:00:00Z",
                                        "permissions": found[0].permissions,
                                        "repository_selection": "selected"})
            return self.error(404, "Not Found")

        def installations_page(self, query: dict[str, list[str]]) -> None:
            per_page = world.page_size or int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            everything = world.installations
            chunk = everything[(page - 1) * per_page: page * per_page]
            last = max(1, -(-len(everything) // per_page))
            base = f"https://{self.headers['Host']}{world.prefix}/app/installations?per_page={per_page}"
            links = []
            if page < last:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
            if world.links != "next":
                links.append(f'<{base}&page={world.last_page or last}>; rel="last"')
            body: list[Any] = [{"id": i.id, "account": {"login": i.account, "type": "Organization"},
                     "repository_selection": "selected",
                     "permissions": i.permissions if world.list_permissions else {},
                     "suspended_at": "2026-10-01T12:00:00Z" if i.suspended else None,
                     "suspended_by": {"login": "octo-admin"} if i.suspended else None}
                    for i in chunk]
            if world.mangle is not None:
                body = world.mangle(body)
            self.reply(200, body, {"Link": ", ".join(links)})

        def repo_route(self, installation: Installation, path: str) -> None:
            parts = path.strip("/").split("/")
            if len(parts) < 4 or parts[0] != "repos" or f"{parts[1]}/{parts[2]}" not in (
                    installation.repositories):
                return self.error(404, "Not Found")
            needs = {"deployments": "deployments", "environments": "actions",
                     "pulls": "pull_requests", "contents": "contents"}.get(parts[3])
            if needs is None:
                return self.error(404, "Not Found")
            if installation.permissions.get(needs) not in ("read", "write"):
                return self.error(403, NOT_ACCESSIBLE,
                                  {"X-Accepted-GitHub-Permissions": f"{needs}=read"})
            if parts[3] == "pulls":  # GET /repos/{owner}/{repo}/pulls
                return self.reply(200, [{"id": 7, "number": 1, "state": "open"}])
            if parts[3] == "contents":  # GET /repos/{owner}/{repo}/contents/{path}
                return self.reply(200, [{"name": "README.md", "type": "file"}])
            if parts[3] == "environments":
                return self.reply(200, {"total_count": 1, "environments": [
                    {"id": 1, "name": "production"}]})
            if len(parts) == 6 and parts[5] == "statuses":
                return self.reply(200, [{"id": 10, "state": "success"}])
            return self.reply(200, [{"id": 100 + n, "environment": "production"}
                                    for n in range(installation.deployments)])

    return Handler
