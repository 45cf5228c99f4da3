"""A loopback GitLab API: tokens of every kind, with GitLab's status codes, bodies and 401
wording for expired and revoked tokens (tests/recordings/gitlab/ and the REST docs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from tests.servers import JsonHandler

UNAUTHORIZED = {"message": "401 Unauthorized"}  # tests/recordings/gitlab/user-401-unauthorized.json
EXPIRED = "Token is expired. You can either do re-authorization or token refresh."
REVOKED = "Token was revoked. You have to re-authorize from the user."
# https://docs.gitlab.com/api/rest/troubleshooting/#status-code-403 (a token without the scope)
INSUFFICIENT_SCOPE = {"error": "insufficient_scope",
                      "error_description": "The request requires higher privileges than "
                                           "provided by the access token.",
                      "scope": "api read_api"}


@dataclass
class GitlabToken:
    scopes: list[str]
    kind: str = "personal"  # personal | oauth | bot
    username: str = "dt-automation"
    expires_at: str | None = "2027-06-30"  # personal tokens: a date
    expires_in_seconds: int = 7200  # OAuth tokens
    state: str = "active"  # active | expired | revoked (refused by GitLab's auth)


@dataclass
class GitlabWorld:
    version: str = "17.5.1-ee"
    tokens: dict[str, GitlabToken] = field(default_factory=dict)
    version_path: bool = True  # False: an old instance without /version (/metadata only)
    projects: tuple[str, ...] = ("acme/api",)  # what the token's user can see


def gitlab_handler(world: GitlabWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = "nginx"

        def token(self) -> GitlabToken | None | str:
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            value = value if scheme.lower() == "bearer" else self.headers.get("PRIVATE-TOKEN", "")
            found = world.tokens.get(value)
            if found is None:
                return None
            if found.state != "active":
                return found.state
            return found

        def refuse(self, state: str | None) -> None:
            if state is None:
                return self.reply(401, UNAUTHORIZED)
            description = EXPIRED if state == "expired" else REVOKED
            return self.reply(401, {"error": "invalid_token", "error_description": description},
                              {"WWW-Authenticate": f'Bearer realm="", error="invalid_token", '
                                                   f'error_description="{description}"'})

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            token = self.token()
            if not isinstance(token, GitlabToken):
                return self.refuse(token)
            if path == "/api/v4/version" and world.version_path:
                return self.reply(200, {"version": world.version, "revision": "6c4d3e1b"})
            if path == "/api/v4/metadata":
                return self.reply(200, {"version": world.version, "revision": "6c4d3e1b",
                                        "enterprise": world.version.endswith("-ee")})
            if path == "/api/v4/user":
                return self.reply(200, {"id": 42, "username": token.username,
                                        "bot": token.kind == "bot", "state": "active"})
            if path == "/api/v4/personal_access_tokens/self":
                if token.kind == "oauth":
                    return self.reply(400, {"message": "400 Bad request - not a personal "
                                                       "access token"})
                return self.reply(200, {"id": 9, "name": "dynatrace", "revoked": False,
                                        "created_at": "2026-05-01T10:00:00.000Z",
                                        "scopes": token.scopes, "user_id": 42,
                                        "last_used_at": None, "active": True,
                                        "expires_at": token.expires_at})
            if path == "/oauth/token/info":
                return self.reply(200, {"resource_owner_id": 42, "scope": token.scopes,
                                        "expires_in_seconds": token.expires_in_seconds,
                                        "application": {"uid": "a1b2c3"},
                                        "created_at": 1763700000})
            if path.startswith("/api/v4/projects"):
                return self.project(token, path.removeprefix("/api/v4/projects"))
            return self.reply(404, {"message": "404 Not Found"})

        def project(self, token: GitlabToken, rest: str) -> None:
            """GET /projects (and /projects/:id, the path URL-encoded): read_api or api."""
            if not {"api", "read_api"} & set(token.scopes):
                return self.reply(403, INSUFFICIENT_SCOPE, {
                    "WWW-Authenticate": 'Bearer realm="", error="insufficient_scope", '
                                        'error_description="The request requires higher '
                                        'privileges than provided by the access token.", '
                                        'scope="api read_api"'})
            listed = [{"id": 100 + n, "path_with_namespace": name}
                      for n, name in enumerate(world.projects)]
            if not rest:
                return self.reply(200, listed)
            wanted = unquote(rest.lstrip("/"))
            found = next((p for p in listed if p["path_with_namespace"] == wanted), None)
            if found is None:
                return self.reply(404, {"message": "404 Project Not Found"})
            return self.reply(200, found)

    return Handler
