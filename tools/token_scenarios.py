"""The github and gitlab connectors' offline scenarios (written by python -m tools.build_scenarios).

GitHub shapes follow tests/recordings/github/user-*.json; GitLab's follow
tests/recordings/gitlab/ and GitLab's REST documentation. Tokens are recorded by prefix only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.pki import Pki
from tools.world import IPV4, RECORDED

GITHUB_API = "https://api.github.com"
DATE = f"{RECORDED:%a, %d %b %Y %H:%M:%S GMT}"
JSON = "application/json; charset=utf-8"


def _answer(url: str, status: int, body: Any, **headers: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "url": url},
            "response": {"status": status, "json": body, "headers": {
                "Date": DATE, "Content-Type": JSON,
                **{k.replace("_", "-"): v for k, v in headers.items()}}}}


def _network(pki: Pki, host: str) -> dict[str, Any]:
    chain = pki.public_chain(host, now=RECORDED)
    return {
        "trust": {"public_roots": [pki.public_root.pem]},
        "dns": {host: {"A": [IPV4], "AAAA": {"error": "no_answer"}, "elapsed_s": 0.01}},
        "tcp": {f"{IPV4}:443": {"elapsed_s": 0.02}},
        "tls": {f"{host}:443": {"version": "TLSv1.3", "cipher": "TLS_AES_128_GCM_SHA256",
                                "chain": list(chain.pems), "elapsed_s": 0.04}},
    }


def _scenario(connector: str, description: str, target: str, host: str, pki: Pki,
              token_prefix: str, http: list[dict[str, Any]], expect: list[tuple[str, str, str]],
              **extra: Any) -> dict[str, Any]:
    return {"schema": 1, "connector": connector, "description": description,
            "recorded_at": f"{RECORDED:%Y-%m-%dT%H:%M:%SZ}", "target": target,
            "credentials": {f"CONNECTOR_{connector.upper()}_TOKEN": token_prefix},
            **_network(pki, host), "http": http, **extra,
            "expect": [{"check": c, "outcome": o, "reason": r} for c, o, r in expect]}


# -- github ----------------------------------------------------------------------------------

USER = {"login": "dt-automation", "id": 40047636, "type": "User", "site_admin": False}
EXPIRES_LATER = f"{RECORDED + timedelta(days=80):%Y-%m-%d %H:%M:%S} UTC"
EXPIRES_SOON = f"{RECORDED + timedelta(days=6):%Y-%m-%d %H:%M:%S} +0100"


def _github(pki: Pki, description: str, user: dict[str, Any], expect: list[tuple[str, str, str]],
            prefix: str = "ghp_", more: list[dict[str, Any]] | None = None,
            org: str | None = None) -> dict[str, Any]:
    http = [_answer(f"{GITHUB_API}/meta", 200, {"verifiable_password_authentication": True}),
            user, *(more or [])]
    return _scenario("github", description, "https://github.com", "api.github.com", pki, prefix,
                     http, expect, **({"org": org} if org else {}))


def _user(scopes: str | None = "repo", expires: str = EXPIRES_LATER) -> dict[str, Any]:
    headers = {"github_authentication_token_expiration": expires, "X_RateLimit_Remaining": "4966"}
    if scopes is not None:
        headers |= {"X_OAuth_Scopes": scopes, "X_Accepted_OAuth_Scopes": ""}
    else:
        headers["x_accepted_github_permissions"] = "allows_permissionless_access=true"
    return _answer(f"{GITHUB_API}/user", 200, USER, **headers)


def github_scenarios(pki: Pki) -> dict[str, dict[str, Any]]:
    forbidden = {"message": "Resource not accessible by personal access token",
                 "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests"}
    return {
        "healthy": _github(pki, "A classic token with repo, expiring in 80 days.", _user(), []),
        "bad-credentials": _github(
            pki, "The token was revoked: GitHub answers 401 Bad credentials.",
            _answer(f"{GITHUB_API}/user", 401, {"message": "Bad credentials",
                                                 "documentation_url": "https://docs.github.com/rest"}),
            [("auth.token[github]", "failed", "auth.invalid_credentials"),
             ("auth.expiry[github]", "skipped", "prerequisite.failed"),
             ("scopes.granted[repo]", "skipped", "prerequisite.failed"),
             ("scopes.least_privilege[github]", "skipped", "prerequisite.failed")]),
        "missing-scope": _github(pki, "The token has read:org and gist, not repo.",
                                 _user("gist, read:org"),
                                 [("scopes.granted[repo]", "failed", "scopes.missing"),
                                  ("scopes.least_privilege[github]", "warning", "scopes.excess")]),
        "excess-scopes": _github(
            pki, "The token has repo and far more: admin:org, delete_repo, workflow.",
            _user("admin:org, delete_repo, repo, workflow"),
            [("scopes.least_privilege[github]", "warning", "scopes.excess")]),
        "expiring-token": _github(pki, "The token expires in six days.",
                                  _user(expires=EXPIRES_SOON),
                                  [("auth.expiry[github]", "warning", "auth.token_expiring")]),
        "sso-required": _github(
            pki, "The acme organization enforces SAML SSO; the token was never authorized.",
            _user(), [("auth.sso[acme]", "failed", "auth.sso_required")], org="acme",
            more=[_answer(f"{GITHUB_API}/orgs/acme", 403, {
                "message": "Resource protected by organization SAML enforcement. You must grant "
                           "your Personal Access token access to this organization.",
                "documentation_url": "https://docs.github.com/articles/authenticating-to-a-"
                                     "github-organization-with-saml-single-sign-on/"},
                X_GitHub_SSO="required; url=https://github.com/orgs/acme/sso?"
                             "authorization_request=A5ZHBZJTGVGQNHJCMZNDC5LSMNQW24")]),
        "enterprise-server": {**_scenario(
            "github", "The target is a GitHub Enterprise Server appliance, not a cloud plan.",
            "https://github.example.com", "github.example.com", pki, "ghp_", [
                _answer("https://github.example.com/api/v3/meta", 200, {
                    "verifiable_password_authentication": True, "installed_version": "3.14.2"},
                    X_GitHub_Enterprise_Version="3.14.2")],
            [("github.cloud_only[https://github.example.com]", "failed",
              "github.enterprise_server_unsupported"),
             *((check, "skipped", "prerequisite.failed") for check in (
                 "auth.token[github]", "auth.expiry[github]", "scopes.granted[repo]",
                 "scopes.least_privilege[github]"))])},
        "fine-grained": {**_github(
            pki, "A fine-grained token with access to acme/api, without pull requests.",
            _user(scopes=None), [
                ("scopes.granted[repo]", "skipped", "not_applicable"),
                ("scopes.granted[acme/api:pull_requests]", "failed", "scopes.permission_missing"),
                ("scopes.least_privilege[github]", "skipped", "not_applicable")],
            prefix="github_pat_", more=[
                _answer(f"{GITHUB_API}/repos/acme/api", 200, {"full_name": "acme/api",
                                                              "private": True}),
                _answer(f"{GITHUB_API}/repos/acme/api/issues?per_page=1", 200, []),
                _answer(f"{GITHUB_API}/repos/acme/api/pulls?per_page=1", 403, forbidden,
                        X_Accepted_GitHub_Permissions="pull_requests=read")]),
            "repo": "acme/api"},
    }


# -- gitlab ----------------------------------------------------------------------------------

SCOPES = ["api", "read_repository", "read_user", "write_repository"]


def _gitlab(pki: Pki, description: str, expect: list[tuple[str, str, str]], *,
            host: str = "gitlab.com", prefix: str = "glpat-", scopes: list[str] | None = None,
            expires_at: str | None = f"{RECORDED + timedelta(days=200):%Y-%m-%d}",
            refused: str | None = None, version: str = "18.6.0-pre") -> dict[str, Any]:
    api = f"https://{host}/api/v4"
    http = [_answer(f"{api}/version", 200, {"version": version, "revision": "a1b2c3d4"})]
    if refused:
        described = {"expired": "Token is expired. You can either do re-authorization or token "
                                "refresh.",
                     "revoked": "Token was revoked. You have to re-authorize from the user."}
        body = ({"error": "invalid_token", "error_description": described[refused]}
                if refused in described else {"message": "401 Unauthorized"})
        http += [_answer(f"{api}/{path}", 401, body)
                 for path in ("personal_access_tokens/self", "user")]
    else:
        http += [_answer(f"{api}/personal_access_tokens/self", 200, {
                    "id": 4, "name": "dynatrace-workflows", "revoked": False,
                    "created_at": "2026-05-01T08:00:00.000Z", "scopes": scopes or SCOPES,
                    "user_id": 24, "last_used_at": "2026-10-31T17:58:37.550Z", "active": True,
                    "expires_at": expires_at}),
                _answer(f"{api}/user", 200, {"id": 24, "username": "dt-automation",
                                             "bot": False, "state": "active"})]
    return _scenario("gitlab", description, f"https://{host}", host, pki, prefix, http, expect)


def _oauth(pki: Pki) -> dict[str, Any]:
    """An OAuth token: /personal_access_tokens/self answers 400; /oauth/token/info tells."""
    data = _gitlab(pki, "An OAuth access token (from the vendor's OAuth flow) with the four "
                        "scopes.", [])
    api = "https://gitlab.com/api/v4"
    data["http"][1] = _answer(f"{api}/personal_access_tokens/self", 400,
                              {"message": "400 Bad request - not a personal access token"})
    data["http"].append(_answer("https://gitlab.com/oauth/token/info", 200, {
        "resource_owner_id": 24, "scope": SCOPES, "expires_in_seconds": 7019,
        "application": {"uid": "8f2a1c"}, "created_at": int(RECORDED.timestamp()) - 181}))
    return data


def gitlab_scenarios(pki: Pki) -> dict[str, dict[str, Any]]:
    blocked = [(f"scopes.granted[{s}]", "skipped", "prerequisite.failed") for s in SCOPES] + [
        ("scopes.least_privilege[gitlab]", "skipped", "prerequisite.failed")]
    return {
        "healthy": _gitlab(pki, "A personal access token with the four scopes the seed lists.",
                           []),
        "bad-credentials": _gitlab(pki, "The token is wrong: 401 Unauthorized.",
                                   [("auth.token[gitlab]", "failed", "auth.invalid_credentials"),
                                    *blocked], refused="unknown"),
        "missing-scope": _gitlab(pki, "The token lacks write_repository.",
                                 [("scopes.granted[write_repository]", "failed", "scopes.missing")],
                                 scopes=["api", "read_repository", "read_user"]),
        "excess-scopes": _gitlab(pki, "The token also has sudo and admin_mode.",
                                 [("scopes.least_privilege[gitlab]", "warning", "scopes.excess")],
                                 scopes=[*SCOPES, "sudo", "admin_mode"]),
        "expiring-token": _gitlab(pki, "The token expires in five days.",
                                  [("auth.token[gitlab]", "warning", "auth.token_expiring")],
                                  expires_at=f"{RECORDED + timedelta(days=5):%Y-%m-%d}"),
        "expired-token": _gitlab(pki, "The token expired: GitLab answers 401 invalid_token.",
                                 [("auth.token[gitlab]", "failed", "gitlab.token_expired"),
                                  *blocked], refused="expired"),
        "revoked-token": _gitlab(pki, "The token was revoked: GitLab answers 401 invalid_token.",
                                 [("auth.token[gitlab]", "failed", "gitlab.token_revoked"),
                                  *blocked], refused="revoked"),
        "oauth-token": _oauth(pki),
        "self-managed": _gitlab(pki, "A self-managed GitLab EE with a custom token prefix.", [],
                                host="gitlab.example.com", prefix="acme-", version="17.5.1-ee"),
    }
