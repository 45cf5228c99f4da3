"""A loopback GitLab API: tokens of every kind, with GitLab's status codes, bodies and 401
wording for expired and revoked tokens (tests/recordings/gitlab/ and the REST docs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
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
    # Webhooks ("Project webhooks API"): project path -> hooks; hook id -> its events, as
    # "Get a list of project webhook events" lists them (GitLab 17.3 and later).
    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hook_events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    events_api: bool = True
    maintainer: bool = True  # listing webhooks takes the Maintainer role
    test_status: str | None = "200"  # a test event's response_status (None: no record)
    tested: list[int] = field(default_factory=list)


def gitlab_hook(hook_id: int, url: str, *, alert_status: str = "executable",
                ssl: bool = True, events: tuple[str, ...] = ("push_events",
                                                             "merge_requests_events"),
                project_id: int = 100) -> dict[str, Any]:
    """A project webhook as "Get a project webhook" shows it (GitLab never returns its
    secret token)."""
    flags = ("push_events", "issues_events", "confidential_issues_events",
             "merge_requests_events", "tag_push_events", "note_events",
             "confidential_note_events", "job_events", "pipeline_events", "wiki_page_events",
             "deployment_events", "releases_events", "feature_flag_events")
    return {"id": hook_id, "url": url, "name": "vendor", "description": "", "project_id":
            project_id, **{flag: flag in events for flag in flags},
            "push_events_branch_filter": "", "enable_ssl_verification": ssl,
            "repository_update_events": False, "alert_status": alert_status,
            "disabled_until": "2026-12-06T10:00:00.000Z" if alert_status ==
            "temporarily_disabled" else None, "url_variables": [],
            "created_at": "2026-09-01T08:00:00.000Z", "resource_access_token_events": False}


def hook_event(event_id: int, status: str = "200", body: str = '{"success":true}',
               url: str = "https://hooks.vendor.example/gitlab") -> dict[str, Any]:
    """One event as "Get a list of project webhook events" shows it."""
    return {"id": event_id, "url": url, "trigger": "push_hooks",
            "request_headers": {"Content-Type": "application/json",
                                "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "[REDACTED]"},
            "request_data": {"object_kind": "push"}, "response_headers": {},
            "response_body": body, "execution_duration": 0.31, "response_status": status}


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
            if path.startswith("/api/v4/projects") and "/hooks" in path:
                return self.hooks(token, path.removeprefix("/api/v4/projects/"))
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

        def hooks(self, token: GitlabToken, rest: str) -> None:
            project, _, tail = rest.partition("/hooks")
            name = unquote(project)
            if not world.maintainer or name not in world.hooks:
                return self.reply(404 if name not in world.hooks else 403,
                                  {"message": "404 Not Found" if name not in world.hooks
                                   else "403 Forbidden"})
            parts = tail.strip("/").split("/")
            if not parts[0]:
                return self.reply(200, world.hooks[name])
            hook = int(parts[0])
            if parts[1:] == ["events"]:
                if not world.events_api:
                    return self.reply(404, {"error": "404 Not Found"})
                query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&")
                             if "=" in p)
                size = min(int(query.get("per_page", "20")), 100)
                listed = sorted(world.hook_events.get(hook, []), key=lambda e: e["id"],
                                reverse=True)
                return self.reply(200, listed[:size])
            return self.reply(404, {"message": "404 Not Found"})

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            token = self.token()
            if not isinstance(token, GitlabToken):
                return self.refuse(token)
            project, _, tail = path.removeprefix("/api/v4/projects/").partition("/hooks/")
            hook, _, trigger = tail.partition("/test/")
            if unquote(project) not in world.hooks or not hook.isdigit() or not trigger:
                return self.reply(404, {"message": "404 Not Found"})
            world.tested.append(int(hook))
            if world.test_status is not None:
                events = world.hook_events.setdefault(int(hook), [])
                events.append(hook_event(max((e["id"] for e in events), default=0) + 1,
                                         world.test_status))
            return self.reply(201, {"message": "201 Created"})

    return Handler
