"""GitLab's connector (``gitlab``: gitlab.com or self-managed). Everything that is GitLab's
lives in this folder: the declaration, the evaluators, the reason codes, token shapes, the
scope grammar, bundled profiles and scenarios."""

from __future__ import annotations

from typing import Any

from checks.api import Http, Platform, json_message, register_token_shapes

# https://docs.gitlab.com/security/tokens/#token-prefixes
PLATFORM = Platform(
    name="GitLab",
    token_prefixes=("glpat-", "gloas-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-",
                    "glsoat-"),
    token_patterns=(r"g(?<!\wg)l[a-z]{2,5}-[A-Za-z0-9_\-.]{20,}",),
    scope_pattern=r"[a-z][a-z_]*[a-z]",
    scope_example="api, read_api or read_repository",
    scopes=("api", "read_api", "read_user", "create_runner", "manage_runner", "k8s_proxy",
            "read_repository", "write_repository", "read_registry", "write_registry",
            "read_virtual_registry", "write_virtual_registry", "sudo", "admin_mode",
            "read_service_ping", "ai_features", "self_rotate", "read_observability",
            "write_observability", "ai_workflows", "openid", "profile", "email"),
    scopes_source="GitLab's \"Access token scopes\" page (and its OAuth scopes openid, profile, "
                  "email)",
)

# A scope that grants another ("Access token scopes"): api grants read access to the API as
# well as write; write_repository grants pull as well as push. No other scope grants another
# (write_registry pushes only: pulling needs read_registry).
SCOPE_CHILDREN = {"api": ("read_api",), "write_repository": ("read_repository",)}
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns, PLATFORM.name)


def _message(data: Any) -> str:
    """GitLab's error bodies: {"message": "401 Unauthorized"}, {"message": {"field": [...]}},
    or OAuth's {"error": "insufficient_scope", "error_description": "..."}."""
    if isinstance(data, dict) and isinstance(data.get("message"), dict):
        return "; ".join(f"{key} {value}" for key, value in data["message"].items())[:500]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        described = data.get("error_description")
        return str(data["error"]) + (f": {described}" if isinstance(described, str) else "")
    return json_message(data)


HTTP = Http("GitLab", message=_message, headers=frozenset({
    "x-gitlab-meta", "x-request-id", "ratelimit-remaining", "ratelimit-reset"}))
