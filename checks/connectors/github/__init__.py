"""GitHub's connectors: GitHub Enterprise Server (``ghes``), GitHub.com with a personal access
token (``github``) and GitHub Apps (``github-app``). Everything that is GitHub's lives in this
folder: the declarations, the evaluators, the reason codes, token shapes, the scope grammar,
layer names, bundled profiles and scenarios."""

from __future__ import annotations

from checks.api import Http, Platform, register_token_shapes

# https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
PLATFORM = Platform(
    name="GitHub",
    token_prefixes=("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    token_patterns=(r"g(?<!\wg)ithub_pat_[A-Za-z0-9_]{20,}", r"g(?<!\wg)h[pousr]_[A-Za-z0-9]{20,}"),
    scope_pattern=r"[a-z][a-z_:]*[a-z]",
    scope_example="repo, read:org or admin:repo_hook",
    layers=(("github", "API"), ("oauth", "Credentials"), ("app", "GitHub App"),
            ("org", "Organization"), ("webhook", "Webhooks")),
    # https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
    scopes=("repo", "repo:status", "repo_deployment", "public_repo", "repo:invite",
            "security_events", "admin:repo_hook", "write:repo_hook", "read:repo_hook",
            "admin:org", "write:org", "read:org", "admin:public_key", "write:public_key",
            "read:public_key", "admin:org_hook", "gist", "notifications", "user", "read:user",
            "user:email", "user:follow", "project", "read:project", "delete_repo",
            "write:packages", "read:packages", "delete:packages", "admin:gpg_key",
            "write:gpg_key", "read:gpg_key", "codespace", "codespace:secrets", "workflow",
            "admin:enterprise", "manage_runners:enterprise", "manage_billing:enterprise",
            "read:enterprise", "audit_log", "read:audit_log", "copilot",
            "manage_billing:copilot", "write:discussion", "read:discussion",
            "admin:ssh_signing_key", "write:ssh_signing_key", "read:ssh_signing_key",
            "manage_runners:org", "site_admin"),
    scopes_source="GitHub's \"Scopes for OAuth apps\" page",
)
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns, PLATFORM.name)

# GitHub's answers: {"message": ...} bodies, and the headers that tell what GitHub decided.
HTTP = Http("GitHub", headers=frozenset({
    "x-oauth-scopes", "x-accepted-oauth-scopes", "x-github-enterprise-version",
    "x-accepted-github-permissions", "x-github-sso", "github-authentication-token-expiration",
    "x-github-request-id"}))
