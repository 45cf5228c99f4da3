"""GitHub API evaluators: the API answers, the token works, has the scopes, owns the org."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from checks.api import HttpExchange, Verdict, answered_at, passed, reasons, tokens
from checks.connectors.github import HTTP
from checks.connectors.github import reasons as own

api_answer = HTTP.api_answer
failure = HTTP.failure
message_of = HTTP.message_of
summary = HTTP.summary
unexpected = HTTP.unexpected

# A scope grants the scopes below it; GitHub reports only the top one in X-OAuth-Scopes.
# https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
SCOPE_CHILDREN: Mapping[str, tuple[str, ...]] = {
    "repo": ("repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"),
    "admin:repo_hook": ("write:repo_hook",),
    "write:repo_hook": ("read:repo_hook",),
    "admin:org": ("write:org",),
    "write:org": ("read:org",),
    "admin:public_key": ("write:public_key",),
    "write:public_key": ("read:public_key",),
    "user": ("read:user", "user:email", "user:follow"),
    "project": ("read:project",),
    "write:packages": ("read:packages",),
    "admin:gpg_key": ("write:gpg_key",),
    "write:gpg_key": ("read:gpg_key",),
    "admin:ssh_signing_key": ("write:ssh_signing_key",),
    "write:ssh_signing_key": ("read:ssh_signing_key",),
    "codespace": ("codespace:secrets",),
    "admin:enterprise": ("manage_runners:enterprise", "manage_billing:enterprise",
                         "read:enterprise"),
    "audit_log": ("read:audit_log",),
    "write:discussion": ("read:discussion",),
    "copilot": ("manage_billing:copilot",),
}

# https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
TOKEN_TYPES = (
    ("github_pat_", "fine-grained personal access token"),
    ("ghp_", "classic personal access token"),
    ("gho_", "OAuth access token"),
    ("ghu_", "GitHub App user-to-server token"),
    ("ghs_", "GitHub App installation token"),
    ("ghr_", "GitHub App refresh token"),
)


CLASSIC = ("ghp_", "gho_")  # tokens GitHub answers with X-OAuth-Scopes

# GitHub's 403 for a token (classic, fine-grained, an app's installation token) used from an
# address an organization's or enterprise's IP allow list does not hold: "Although you appear
# to have the correct authorization credentials, the `ORG` organization has an IP allow list
# enabled, and your IP address is not permitted to access this resource." (or the address).
_IP_ALLOW_LIST = re.compile(r"the `([^`]{1,100})` (organization|enterprise) has an IP allow "
                            r"list enabled, and (.{1,80}?) is not permitted", re.IGNORECASE)


def ip_allow_list(exchange: HttpExchange) -> Verdict | None:
    """A 403 from an organization's or enterprise's IP allow list, naming it and the address."""
    if exchange.status != 403:
        return None
    found = _IP_ALLOW_LIST.search(message_of(exchange))
    if found is None:
        return None
    owner, kind, address = found.groups()
    shown = "this machine's address" if address.lower() == "your ip address" else address
    return own.AUTH_IP_ALLOW_LIST(
        f"the {kind} {owner} has an IP allow list enabled and {shown} is not on it: GitHub "
        f"refused {exchange.method} {urlsplit(exchange.url).path} (403) although the "
        f"credentials are valid",
        f"Add the vendor's egress IP addresses to the IP allow list of the {kind} {owner} "
        + ("(Organization settings > Authentication security > IP allow list)" if
           kind.lower() == "organization" else
           "(Enterprise settings > Settings > Authentication security > IP allow list)")
        + "; a GitHub App's owner may instead enable 'Allow access by GitHub Apps'. Run the "
          "check again from the vendor's side to confirm.",
        allow_list_owner=owner, allow_list_kind=kind.lower(), **summary(exchange))


def refusal(exchange: HttpExchange) -> Verdict | None:
    """What every GitHub evaluator says first: the request failed (:func:`failure`), or an
    IP allow list refused it, before the endpoint's own meaning applies."""
    return failure(exchange) or ip_allow_list(exchange)


def token_type(masked: str) -> str:
    for prefix, name in TOKEN_TYPES:
        if masked.startswith(prefix):
            return name
    return "token of unrecognised format (older tokens have no prefix)"


def granted_scopes(header: str) -> dict[str, str]:
    """Every scope the header grants, each mapped to the listed scope that grants it."""
    granted: dict[str, str] = {}

    def grant(scope: str, by: str) -> None:
        if scope not in granted:
            granted[scope] = by
            for child in SCOPE_CHILDREN.get(scope, ()):
                grant(child, by)

    for scope in (part.strip() for part in header.split(",")):
        if scope:
            grant(scope, scope)
    return granted


def meta(exchange: HttpExchange) -> Verdict:
    """GET /meta answers the API's JSON; GHES names its version."""
    decided = api_answer(exchange, "GitHub")  # private mode answers /meta 401: still the API
    if decided is not None:
        return decided
    data = exchange.json()
    evidence = summary(exchange)
    version = data.get("installed_version")
    header = exchange.header("x-github-enterprise-version")
    evidence.update(installed_version=version, x_github_enterprise_version=header)
    named = version or header
    return passed(f"{exchange.url} answers as GitHub Enterprise Server {named}" if named else
                  f"{exchange.url} answers the GitHub API (no Enterprise version reported)",
                  **evidence)


def user(exchange: HttpExchange, token: str) -> Verdict:
    """GET /user with the token: who it belongs to, or why it is refused."""
    evidence = {"token": token, "token_type": token_type(token), **summary(exchange)}
    early = refusal(exchange)
    if early is not None:
        return early.with_evidence(token=token)
    message = message_of(exchange)
    if exchange.status == 401:
        return reasons.AUTH_INVALID_CREDENTIALS(
            f"the server rejects the token {token}: 401 {message or 'Unauthorized'}", **evidence)
    if exchange.status == 403 and "maximum number of login attempts" in message.lower():
        return own.AUTH_LOCKED_OUT(f"GitHub locked the account out: 403 {message}",
                                       **evidence)
    if exchange.status == 403:
        return reasons.AUTH_FORBIDDEN(
            f"the server refuses the token {token}: 403 {message or 'Forbidden'}", **evidence)
    data = exchange.json()
    if exchange.status != 200 or not isinstance(data, dict) or not isinstance(
            data.get("login"), str) or not data["login"]:
        return unexpected(exchange, "a user object")
    evidence.update(login=data["login"], site_admin=data.get("site_admin"))
    return passed(f"the token {token} ({token_type(token)}) belongs to {data['login']}",
                  **evidence)


def scope(exchange: HttpExchange, wanted: str, token: str = "") -> Verdict:
    """``token``: the masked token, whose prefix says whether it is classic (and so whether
    GitHub sends X-OAuth-Scopes with every answer to it)."""
    header = exchange.header("x-oauth-scopes")
    evidence: dict[str, Any] = {"x_oauth_scopes": header, "required": wanted}
    if header is None and token.startswith(CLASSIC):
        return own.API_HEADERS_STRIPPED(
            f"the token is a {token_type(token)} ({token}), for which GitHub always sends "
            f"X-OAuth-Scopes; this answer has none, so {wanted} cannot be verified: something "
            f"between this machine and the server removes the header (not a fine-grained "
            f"token)", **evidence)
    if header is None:
        return own.SCOPES_UNVERIFIABLE(
            f"the token reports no scopes (no X-OAuth-Scopes header), so {wanted} cannot be "
            f"granted or verified: this looks like a fine-grained token, and a classic token "
            f"is needed", **evidence)
    granted = granted_scopes(header)
    if wanted in granted:
        by = granted[wanted]
        return passed(f"{wanted} is granted" + (f" (by {by})" if by != wanted else ""),
                      **evidence)
    return reasons.SCOPES_MISSING(
        f"the token lacks {wanted}; it has: {header or '(no scopes)'}",
        f"Edit the token and select {wanted} (Settings > Developer settings > Personal access "
        f"tokens > Tokens (classic)).", **evidence)


def org_membership(exchange: HttpExchange, org: str, role_needed: str = "owner") -> Verdict:
    """GET /user/memberships/orgs/ORG: owner means role admin and state active; member, any
    active membership."""
    evidence = summary(exchange)
    early = refusal(exchange)
    if early is not None:
        return early
    if exchange.status == 404:
        return own.ORG_NOT_MEMBER(
            f"the account is not a member of {org} (404: {message_of(exchange) or 'Not Found'}); "
            f"the organization may also not exist under that name", **evidence)
    if exchange.status == 403:
        return own.ORG_FORBIDDEN(
            f"the server refuses to show the membership in {org}: "
            f"{message_of(exchange) or '403 Forbidden'}", **evidence)
    data = exchange.json()
    if exchange.status != 200 or not isinstance(data, dict):
        return unexpected(exchange, "a membership object")
    role, state = data.get("role"), data.get("state")
    evidence.update(role=role, state=state)
    if state == "pending":
        return own.ORG_PENDING(
            f"the account's invitation to {org} (as {role}) is pending: accept it", **evidence)
    if role == "admin" and state == "active":
        return passed(f"the account is an owner of {org}", **evidence)
    if role_needed == "member" and state == "active":
        return passed(f"the account is an active {role} of {org}", **evidence)
    return own.ORG_NOT_OWNER(
        f"the account is an active {role} of {org}, not an owner: webhooks will not be "
        f"available, and the vendor's guide asks for an owner to use every integration "
        f"service (pull requests, tickets, webhooks); repositories can still be imported",
        **evidence)


def oauth_client(exchange: HttpExchange) -> Verdict:
    """POST /login/oauth/access_token with a made-up code: the error says if id and secret work.

    GitHub answers 200 with an ``error`` field. ``bad_verification_code`` is only reached after
    the client credentials were accepted.
    https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
    """
    evidence = summary(exchange)
    early = refusal(exchange)
    if early is not None:
        return early
    data = exchange.json()
    if not isinstance(data, dict):
        return unexpected(exchange, "the OAuth endpoint's JSON")
    error = data.get("error")
    evidence.update(error=error, error_description=data.get("error_description"))
    if error == "bad_verification_code":
        return passed("the OAuth client id and secret are accepted (the made-up code is "
                      "rejected, as it should be)", **evidence)
    if error == "incorrect_client_credentials":
        return own.OAUTH_INVALID_CLIENT(
            f"the server rejects the OAuth client id or secret: "
            f"{data.get('error_description') or error}", **evidence)
    return own.OAUTH_UNEXPECTED(
        f"the OAuth token endpoint answered {exchange.status} with error {error!r}: "
        f"{data.get('error_description') or data}", **evidence)


def cloud_only(exchange: HttpExchange, target: str) -> Verdict:
    """GitHub.com and GitHub Enterprise Cloud only: a GHES API (X-GitHub-Enterprise-Version, or
    installed_version in /meta) is refused by the vendor."""
    early = refusal(exchange)
    if early is not None:
        return early
    data = exchange.json()
    evidence = summary(exchange)
    version = exchange.header("x-github-enterprise-version") or (
        data.get("installed_version") if isinstance(data, dict) else None)
    if version:
        return own.GITHUB_ENTERPRISE_SERVER_UNSUPPORTED(
            f"{target} is GitHub Enterprise Server {version}; the GitHub connector supports "
            f"only cloud plans (github.com, GitHub Enterprise Cloud)",
            "Use a github.com or GitHub Enterprise Cloud account; to check this server's own "
            "setup, run: pytest --connector ghes --target " + target, **evidence)
    if exchange.status != 200 or not isinstance(data, dict):
        return own.GITHUB_NOT_GITHUB(
            f"{exchange.url} answered {exchange.status} {exchange.content_type or ''}: not "
            f"GitHub's cloud API", **evidence)
    return passed(f"{target} is a GitHub cloud API ({exchange.url})", **evidence)


def sso(exchange: HttpExchange, org: str) -> Verdict:
    """GET /orgs/ORG: a 403 with X-GitHub-SSO means the token is not authorized for SAML SSO.

    https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api#personal-access-tokens-and-saml-sso
    """
    evidence = summary(exchange)
    early = refusal(exchange)
    if early is not None:
        return early
    header = exchange.header("x-github-sso")
    if exchange.status == 403 and header:
        url = next((part.strip()[4:] for part in header.split(";")
                    if part.strip().startswith("url=")), None)
        evidence["authorize_url"] = url
        return own.AUTH_SSO_REQUIRED(
            f"{org} enforces SAML SSO and the token is not authorized for it"
            + (f": authorize it at {url}" if url else ""), **evidence)
    if exchange.status == 404:
        return own.ORG_NOT_MEMBER(f"the token cannot see the organization {org} (404)",
                                      **evidence)
    if exchange.status == 403:
        return reasons.AUTH_FORBIDDEN(f"GitHub refuses the token for {org}: "
                                      f"{message_of(exchange)}", **evidence)
    if exchange.status != 200:
        return unexpected(exchange, "the organization")
    return passed(f"the token can act in {org} (SSO authorized, or not enforced)", **evidence)


def token_expiration(exchange: HttpExchange) -> datetime | None:
    """github-authentication-token-expiration: "2026-02-19 19:55:13 UTC" or "... +0100"."""
    header = exchange.header("github-authentication-token-expiration")
    if not header:
        return None
    text = header.strip().replace(" UTC", " +0000")
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def expiry(exchange: HttpExchange) -> Verdict:
    source = "github-authentication-token-expiration header"
    return tokens.expiry(token_expiration(exchange), answered_at(exchange), source).with_evidence(
        header=exchange.header("github-authentication-token-expiration"))


def least_privilege(exchange: HttpExchange, required: tuple[str, ...]) -> Verdict:
    header = exchange.header("x-oauth-scopes") or ""
    listed = [scope.strip() for scope in header.split(",") if scope.strip()]
    needed = set(granted_scopes(", ".join(required)))
    excess = [scope for scope in listed if scope not in needed]
    return tokens.least_privilege(listed, required, excess, "X-OAuth-Scopes")


def repository_access(exchange: HttpExchange, repo: str, permission: str) -> Verdict:
    """A fine-grained token has no scopes: read access is shown by the endpoint answering."""
    evidence = summary(exchange)
    early = refusal(exchange)
    if early is not None:
        return early
    if exchange.status in (403, 404):
        needs = exchange.header("x-accepted-github-permissions") or f"{permission}=read"
        return own.SCOPES_PERMISSION_MISSING(
            f"the token cannot read {repo}'s {permission.replace('_', ' ')} ({exchange.status} "
            f"{message_of(exchange)}); GitHub asks for: {needs}",
            f"Edit the fine-grained token: give it access to {repo} with the permission GitHub "
            f"names ({needs}), read and write for the connector's actions.", **evidence)
    if exchange.status != 200:
        return unexpected(exchange, "the repository's JSON")
    return passed(f"the token reads {repo}'s {permission.replace('_', ' ')}; write access is "
                  f"not tried (it would change the repository)", **evidence)


# Hosts GitHub's answers name that are not the server: its documentation.
_ELSEWHERE = ("docs.github.com", "support.github.com", "github.com")
_URL = re.compile(r"https?://[^\s\"'<>]+")


def links(exchanges: Sequence[HttpExchange], host: str) -> Verdict:
    """Every absolute URL the API's answers hand out (the JSON's URL fields, Link headers)
    names ``host`` (or a subdomain of it, as GHES's subdomain isolation does), not an
    internal name a reverse proxy forgot to rewrite."""
    foreign: dict[str, str] = {}  # host -> where it was seen
    read = 0
    for exchange in exchanges:
        if exchange.error or exchange.status is None:
            continue
        read += 1
        found = [("Link header", url) for url in _URL.findall(exchange.header("link") or "")]
        found += [(f"the answer's {key}", url) for key, url in _urls(exchange.json())]
        for where, url in found:
            named = (urlsplit(url).hostname or "").lower()
            if named and named != host and not named.endswith(f".{host}") and \
                    named not in _ELSEWHERE and named not in foreign:
                foreign[named] = f"{where} of {exchange.method} {exchange.url}: {url[:200]}"
    evidence: dict[str, Any] = {"answers_read": read, "foreign": foreign}
    if foreign:
        first, seen = next(iter(foreign.items()))
        return own.API_FOREIGN_LINKS(
            f"the API's answers link to {', '.join(foreign)} instead of {host} ({seen}): the "
            f"vendor follows those links and will not reach them", **evidence)
    return passed(f"every link in {read} answer{'s' * (read != 1)} names {host}", **evidence)


def _urls(value: Any) -> list[tuple[str, str]]:
    """The (key, URL) pairs of a JSON value whose key names a URL (url, html_url, ...)."""
    found: list[tuple[str, str]] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(inner, str) and str(key).endswith("url") and \
                        key != "documentation_url" and _URL.match(inner):
                    found.append((str(key), inner))
                elif isinstance(inner, dict | list):
                    pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)
    return found


def headers(exchange: HttpExchange, token: str, enterprise: bool = True) -> Verdict:
    """GitHub's own headers on an answer to the token, as GitHub always sends them (not the
    rate-limit headers: GitHub Enterprise Server with rate limiting off sends none)."""
    evidence = summary(exchange)
    expected: list[str] = []
    if token.startswith(CLASSIC):
        expected.append("x-oauth-scopes")
    if enterprise:
        expected.append("x-github-enterprise-version")
    missing = [name for name in expected if exchange.header(name) is None]
    evidence["missing"] = missing
    if missing:
        return own.API_HEADERS_STRIPPED(
            f"{exchange.method} {exchange.url} answered {exchange.status} without "
            f"{', '.join(missing)}, which GitHub always sends"
            + (f" for a {token_type(token)}" if "x-oauth-scopes" in missing else "")
            + ": something between this machine and the server removes them", **evidence)
    named = ", ".join(expected) or "none is expected for this token"
    return passed(f"GitHub's own headers reach this machine ({named})", **evidence)
