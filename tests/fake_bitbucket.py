"""A loopback Bitbucket Data Center REST API, following Atlassian's REST reference
(developer.atlassian.com/server/bitbucket/rest/): application-properties answered without
credentials; an HTTP access token as Bearer, refused 401 with Bitbucket's error body
({"errors": [{"context", "message", "exceptionName"}]}); the authenticated user in
X-AUSERNAME; paged answers ({"size", "limit", "isLastPage", "start", "values"}); the
`permission` filter of /projects and /repos; NoSuchProjectException and
NoSuchRepositoryException as 404, AuthorisationException as 401; 429 with Retry-After and
X-RateLimit-* when rate limited."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from checks.connectors.bitbucket.platform import GRANTS
from tests.servers import JsonHandler

API = "/rest/api/1.0"


@dataclass
class BitbucketToken:
    user: str | None  # None: a project or repository token (no user)
    granted: set[str] = field(default_factory=set)  # "PROJECT_READ:KEY", "REPO_ADMIN:KEY/slug"


@dataclass
class BitbucketWorld:
    version: str = "8.19.2"
    prefix: str = ""  # a context path: "/bitbucket"
    projects: dict[str, list[str]] = field(default_factory=lambda: {"ACME": ["api", "web"]})
    tokens: dict[str, BitbucketToken] = field(default_factory=dict)
    rate_limited: bool = False

    def effective(self, token: BitbucketToken) -> set[str]:
        """Every permission the token has, its grants expanded (a project's to its repos)."""
        found: set[str] = set()
        todo = list(token.granted)
        while todo:
            one = todo.pop()
            if one in found:
                continue
            found.add(one)
            name, _, where = one.partition(":")
            for child in GRANTS.get(name, ()):
                if child.startswith("REPO_") and name.startswith("PROJECT_"):
                    todo += [f"{child}:{where}/{slug}" for slug in self.projects.get(where, [])]
                else:
                    todo.append(f"{child}:{where}")
        return found


def _error(message: str, exception: str) -> dict[str, Any]:
    return {"errors": [{"context": None, "message": message,
                        "exceptionName": f"com.atlassian.bitbucket.{exception}"}]}


def _page(values: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    return {"size": min(len(values), limit), "limit": limit,
            "isLastPage": len(values) <= limit, "start": 0, "values": values[:limit]}


def bitbucket_handler(world: BitbucketWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = ""
        media: dict[str, str] = {}  # none of GitHub's headers

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path.removeprefix(world.prefix), parse_qs(parts.query)
            if world.rate_limited:
                return self.reply(429, _error("Rate limit exceeded", "throttle."
                                              "ThrottledException"),
                                  {"Retry-After": "120", "X-RateLimit-Limit": "60",
                                   "X-RateLimit-Interval-Seconds": "1",
                                   "X-RateLimit-FillRate": "5"})
            if path == f"{API}/application-properties":
                return self.reply(200, {"version": world.version, "buildNumber": "8019002",
                                        "buildDate": "1717000000000",
                                        "displayName": "Bitbucket"})
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            token = world.tokens.get(value) if scheme == "Bearer" else None
            if token is None:
                return self.reply(401, _error(
                    "Authentication failed. Please check your credentials and try again.",
                    "auth.IncorrectPasswordAuthenticationException"))
            who = {"X-AUSERNAME": token.user} if token.user else {}
            has = world.effective(token)
            limit = int(query.get("limit", ["25"])[0])
            if path == f"{API}/repos":
                key, wanted = query.get("projectkey", [None])[0], query.get("permission",
                                                                           ["REPO_READ"])[0]
                repos = [{"slug": slug, "name": slug, "project": {"key": project}}
                         for project, slugs in world.projects.items() for slug in slugs
                         if key in (None, project) and f"{wanted}:{project}/{slug}" in has]
                return self.reply(200, _page(repos, limit), who)
            if path == f"{API}/projects":
                wanted = query.get("permission", ["PROJECT_VIEW"])[0]
                found = [{"key": key, "name": key.title()} for key in world.projects
                         if f"{wanted}:{key}" in has]
                return self.reply(200, _page(found, limit), who)
            pieces = path.removeprefix(f"{API}/projects/").split("/")
            key = pieces[0]
            if key not in world.projects:
                return self.reply(404, _error(f"Project {key} does not exist.",
                                              "project.NoSuchProjectException"), who)
            sees = any(p.endswith(f":{key}") or f":{key}/" in p for p in has)
            slug = pieces[2] if len(pieces) >= 3 and pieces[1] == "repos" else ""
            if sees and slug in world.projects[key] and not any(
                    p.endswith((f":{key}", f":{key}/{slug}")) for p in has):
                return self.reply(401, _error("You are not permitted to access this resource",
                                              "AuthorisationException"), who)
            if not sees:
                return self.reply(401, _error("You are not permitted to access this resource",
                                              "AuthorisationException"), who)
            if len(pieces) == 1:
                return self.reply(200, {"key": key, "id": 1, "name": key.title(),
                                        "public": False, "type": "NORMAL"}, who)
            if slug not in world.projects[key]:
                return self.reply(404, _error(f"Repository {key}/{slug} does not exist.",
                                              "repository.NoSuchRepositoryException"), who)
            return self.reply(200, {"slug": slug, "name": slug, "project": {"key": key},
                                    "state": "AVAILABLE"}, who)

    return Handler
