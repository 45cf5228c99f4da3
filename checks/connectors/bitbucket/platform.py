"""The platform: its permissions or scopes, how its answers read, its error body."""

from __future__ import annotations

from typing import Any

from checks.api import Http, Platform, json_message, register_token_shapes

# Bitbucket's permissions, as its REST API spells them (the `permission` filter of
# /rest/api/1.0/projects and /rest/api/1.0/repos, and the permission pages).
PERMISSIONS = ("PROJECT_VIEW", "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN", "REPO_READ",
               "REPO_WRITE", "REPO_ADMIN")
# A permission grants those below it; a project permission grants the repository one of
# its level on every repository of the project.
GRANTS = {"PROJECT_ADMIN": ("PROJECT_WRITE", "REPO_ADMIN"),
          "PROJECT_WRITE": ("PROJECT_READ", "REPO_WRITE"),
          "PROJECT_READ": ("PROJECT_VIEW", "REPO_READ"),
          "REPO_ADMIN": ("REPO_WRITE",), "REPO_WRITE": ("REPO_READ",)}

PLATFORM = Platform(
    name="Bitbucket",
    # HTTP access tokens have no prefix this connector relies on: masked by their value.
    token_prefixes=(),
    token_patterns=(),
    scope_pattern=r"[A-Z][A-Z_]*[A-Z]",
    scope_example="PROJECT_READ, REPO_READ or REPO_ADMIN",
    scopes=PERMISSIONS,
    scopes_source="Bitbucket's REST API (its permission filter)",
    layers=(("project", "Project and repository"),),
)
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns, PLATFORM.name)


def _message(data: Any) -> str:
    """Bitbucket's error body: {"errors": [{"message": ..., "exceptionName": ...}]}."""
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        said = []
        for error in data["errors"][:3]:
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                name = error.get("exceptionName")
                said.append(error["message"] + (f" ({str(name).rsplit('.', 1)[-1]})"
                                                if isinstance(name, str) else ""))
        return "; ".join(said)
    return json_message(data)


def exception_of(data: Any) -> str:
    """The first error's exceptionName, short (NoSuchProjectException), or ""."""
    if isinstance(data, dict) and isinstance(data.get("errors"), list) and data["errors"]:
        first = data["errors"][0]
        if isinstance(first, dict) and isinstance(first.get("exceptionName"), str):
            return str(first["exceptionName"]).rsplit(".", 1)[-1]
    return ""


HTTP = Http("Bitbucket", message=_message, headers=frozenset({
    "x-ausername", "x-arequestid", "x-ratelimit-limit", "x-ratelimit-interval-seconds",
    "x-ratelimit-fillrate"}))
