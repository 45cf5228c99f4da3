"""GitLab API evaluators: the version, the token (personal, project, group or OAuth), scopes.

https://docs.gitlab.com/api/personal_access_tokens/#get-details-on-a-personal-access-token
https://docs.gitlab.com/api/oauth2/#retrieve-the-token-information
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from checks.api import HttpExchange, Outcome, Verdict, answered_at, passed, reasons, tokens
from checks.connectors.gitlab import HTTP, SCOPE_CHILDREN
from checks.connectors.gitlab import reasons as own

api_answer = HTTP.api_answer
failure = HTTP.failure
message_of = HTTP.message_of
summary = HTTP.summary
unexpected = HTTP.unexpected


def version(exchange: HttpExchange) -> Verdict:
    """GET /api/v4/version (or /metadata): the API answers; the evidence names the version."""
    decided = api_answer(exchange, "GitLab")  # without a token: a JSON 401, still the API
    if decided is not None:
        return decided
    data = exchange.json()
    evidence = summary(exchange)
    number = str(data.get("version", ""))
    enterprise = data.get("enterprise")
    edition = ("Enterprise" if enterprise or number.endswith("-ee") else
               "Community" if enterprise is False or number else "unknown")
    evidence.update(version=number, revision=data.get("revision"), edition=edition)
    return passed(f"the GitLab API answers: GitLab {number} ({edition} Edition)", **evidence)


def token(about: HttpExchange, info: HttpExchange | None, user: HttpExchange | None,
          masked: str) -> Verdict:
    """The token from /personal_access_tokens/self, or /oauth/token/info for an OAuth token."""
    shown = info if info is not None else about
    evidence: dict[str, Any] = {"token": masked, **summary(shown)}
    early = failure(shown)
    if early is not None:
        return early.with_evidence(token=masked)
    if shown.status == 401:
        data = shown.json() if isinstance(shown.json(), dict) else {}
        described = f"{data.get('error_description') or ''} {shown.header('www-authenticate') or ''}"
        if "expired" in described.lower():
            return own.GITLAB_TOKEN_EXPIRED(f"GitLab says the token {masked} has expired: "
                                                f"{data.get('error_description')}", **evidence)
        if "revoked" in described.lower():
            return own.GITLAB_TOKEN_REVOKED(f"GitLab says the token {masked} was revoked: "
                                                f"{data.get('error_description')}", **evidence)
        return reasons.AUTH_INVALID_CREDENTIALS(
            f"GitLab rejects the token {masked}: {message_of(shown) or '401 Unauthorized'}",
            **evidence)
    if shown.status == 403:
        return reasons.AUTH_FORBIDDEN(f"GitLab refuses the token {masked}: "
                                      f"{message_of(shown) or '403 Forbidden'}", **evidence)
    data = shown.json()
    if shown.status != 200 or not isinstance(data, dict):
        return unexpected(shown, "the token's details")
    owner = user.json() if user is not None and user.status == 200 else None
    if isinstance(owner, dict):
        evidence.update(user=owner.get("username"), bot=bool(owner.get("bot")))
    kind = _kind(info is not None, evidence.get("bot", False))
    evidence.update(kind=kind, scopes=scopes_of(shown), name=data.get("name"))
    now = answered_at(shown)
    who = f" ({evidence['user']})" if evidence.get("user") else ""
    if info is not None:
        # OAuth tokens live two hours and are refreshed by the integration: no warning.
        seconds = data.get("expires_in_seconds")
        evidence["expires_in_seconds"] = seconds
        return passed(f"the {kind} {masked}{who} is active (OAuth tokens are short-lived and "
                      f"refreshed; this one for {seconds} s more)", **evidence)
    if data.get("revoked"):
        return own.GITLAB_TOKEN_REVOKED(f"the token {masked} was revoked", **evidence)
    expires = (datetime.fromisoformat(str(data["expires_at"])).replace(tzinfo=UTC)
               if data.get("expires_at") else None)
    if data.get("active") is False or (expires is not None and now is not None
                                         and expires <= now):
        return own.GITLAB_TOKEN_EXPIRED(
            f"the token {masked} expired on {data.get('expires_at')}", **evidence)
    when = tokens.expiry(expires, now, "GitLab's expires_at")
    evidence.update(when.evidence)
    if when.outcome is Outcome.WARNING:
        return reasons.AUTH_TOKEN_EXPIRING(f"the {kind} {masked}{who} works, but {when.message}",
                                           **evidence)
    return passed(f"the {kind} {masked}{who} is active; {when.message}", **evidence)


def _kind(oauth: bool, bot: bool) -> str:
    if oauth:
        return "OAuth token"
    if bot:
        return "project or group access token (a bot user)"
    return "personal access token"


def scopes_of(exchange: HttpExchange) -> list[str]:
    data = exchange.json()
    if not isinstance(data, dict):
        return []
    found = data.get("scopes", data.get("scope")) or []
    if isinstance(found, str):  # the OAuth form may be space-separated
        found = found.split()
    return [str(scope) for scope in found]


def scope(granted: list[str], wanted: str) -> Verdict:
    """GitLab's scopes, with the few that grant another (api grants read_api,
    write_repository grants read_repository: SCOPE_CHILDREN)."""
    evidence: dict[str, Any] = {"granted": granted, "required": wanted}
    if wanted in granted:
        return passed(f"{wanted} is granted", **evidence)
    by = next((parent for parent in granted if wanted in SCOPE_CHILDREN.get(parent, ())), None)
    if by is not None:
        return passed(f"{wanted} is granted by {by}", **evidence, granted_by=by)
    return reasons.SCOPES_MISSING(
        f"the token lacks {wanted}; it has: {', '.join(granted) or '(no scopes)'}",
        f"Create a token with {wanted} selected (User settings > Access tokens); GitLab scopes "
        f"cannot be added to an existing token.", **evidence)


def endpoint(exchange: HttpExchange, name: str, expected: int = 200) -> Verdict:
    """An endpoint the vendor calls, as its profile lists it, with the token."""
    def refused(answer: HttpExchange, evidence: dict[str, Any]) -> Verdict | None:
        if answer.status not in (401, 403, 404):
            return None
        return reasons.ENDPOINT_FORBIDDEN(
            f"{name} answers {answer.status} ({message_of(answer) or 'no message'})",
            **evidence)

    return HTTP.endpoint(exchange, name, expected, refused)
