"""GitHub App evaluators: key, clock, credentials, installations, permissions, repositories,
endpoints. Each reproduces one of the vendor's four error codes where it applies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from checks.api import HttpExchange, LoadedKey, Outcome, Verdict, passed, reasons, server_time
from checks.connectors.github import HTTP
from checks.connectors.github import api as github
from checks.connectors.github import reasons as own
from checks.connectors.github.app_key import IAT_BACKDATE, LIFETIME, MAX_EXP_AHEAD

message_of = HTTP.message_of
summary = HTTP.summary
unexpected = HTTP.unexpected

LEVELS = {"read": 1, "write": 2, "admin": 3}
# How GitHub's settings page names each permission (Permissions & events).
LABELS = {
    "actions": ("Repository permissions", "Actions"),
    "deployments": ("Repository permissions", "Deployments"),
    "issues": ("Repository permissions", "Issues"),
    "metadata": ("Repository permissions", "Metadata"),
    "pull_requests": ("Repository permissions", "Pull requests"),
    "contents": ("Repository permissions", "Contents"),
    "checks": ("Repository permissions", "Checks"),
    "environments": ("Repository permissions", "Environments"),
    "members": ("Organization permissions", "Members"),
    "organization_administration": ("Organization permissions", "Administration"),
}
LEVEL_WORDS = {"read": "Read-only", "write": "Read and write", "admin": "Admin"}
CLOCK_WARNING_S = 30


def settings_wording(permission: str, level: str = "read") -> str:
    """'Repository permissions > Deployments: Read-only', as GitHub's settings page says it."""
    fallback = ("Permissions", permission.replace("_", " ").capitalize())
    section, name = LABELS.get(permission, fallback)
    return f"{section} > {name}: {LEVEL_WORDS.get(level, level)}"


def private_key(loaded: LoadedKey | None, variable: str) -> Verdict:
    if loaded is None:
        return reasons.AUTH_MISSING(f"no private key: set {variable}_FILE to the .pem file (or "
                                    f"{variable} to its text)")
    evidence = loaded.evidence()
    repaired = f" (repaired: {', '.join(loaded.cleaned)})" if loaded.cleaned else ""
    if loaded.problem == "needed":
        return own.APP_PRIVATE_KEY_NEEDED(f"{loaded.detail}{repaired}", **evidence)
    if loaded.problem == "encrypted":
        return own.APP_PRIVATE_KEY_ENCRYPTED(f"{loaded.detail}{repaired}", **evidence)
    if loaded.problem == "invalid":
        return own.APP_PRIVATE_KEY_INVALID(f"{loaded.detail}{repaired}", **evidence)
    if loaded.problem == "weak":
        return own.APP_PRIVATE_KEY_WEAK(f"{loaded.detail} (fingerprint {loaded.fingerprint})"
                                            f"{repaired}", **evidence)
    return passed(f"{loaded.detail}, fingerprint {loaded.fingerprint}{repaired}", **evidence)


def clock(exchange: HttpExchange) -> Verdict:
    """This machine's clock against the server's Date header, judged by what GitHub rejects."""
    server = server_time(exchange)
    if server is None or not exchange.received_at:
        return reasons.NOT_APPLICABLE("the server sent no Date header to compare the clock with",
                                      **summary(exchange))
    local = datetime.fromisoformat(exchange.received_at)
    skew = (local - server).total_seconds()  # > 0: this machine is ahead
    evidence: dict[str, Any] = {"local_time": exchange.received_at, "server_date": exchange.header("date"),
                "skew_s": round(skew)}
    ahead = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the server"
    # iat = now - 60 s is in GitHub's future once this clock is over 60 s ahead; exp = now + 9 min
    # is in its past once this clock is over 9 minutes behind.
    too_far = skew > IAT_BACKDATE.total_seconds() or -skew > LIFETIME.total_seconds()
    if too_far:
        return own.APP_CLOCK_SKEW(
            f"this machine's clock is {ahead}: GitHub rejects JWTs made here (iat must not be "
            f"in its future, exp at most {MAX_EXP_AHEAD.seconds // 60} minutes ahead)", **evidence)
    if abs(skew) >= CLOCK_WARNING_S:
        return own.APP_CLOCK_SKEW(
            f"this machine's clock is {ahead}: JWTs still work, with "
            f"{IAT_BACKDATE.total_seconds() - abs(skew):.0f} s to spare", outcome=Outcome.WARNING,
            **evidence)
    return passed(f"this machine's clock is within {abs(skew):.0f} s of the server's", **evidence)


def credentials(exchange: HttpExchange, app_id: str) -> Verdict:
    """GET /app with the JWT: the app's identity, or why GitHub refuses the JWT."""
    evidence = summary(exchange)
    early = github.refusal(exchange)
    if early is not None:
        return early
    message = message_of(exchange)
    if exchange.status == 404:
        return own.APP_UNKNOWN_APP(f"GitHub knows no app {app_id}: 404 {message}", **evidence)
    if exchange.status == 401:
        if "'iat'" in message or "'exp'" in message:
            return own.APP_CLOCK_SKEW(f"GitHub rejects the JWT's time claims: {message}",
                                          **evidence)
        return own.APP_INVALID_CREDENTIALS(
            f"GitHub rejects the JWT for app {app_id}: {message or '401'}; the private key does "
            f"not belong to this app (or the app id is wrong)", **evidence)
    data = exchange.json()
    if exchange.status != 200 or not isinstance(data, dict):
        return unexpected(exchange, "the app's JSON")
    owner = (data.get("owner") or {}).get("login")
    evidence.update(name=data.get("name"), slug=data.get("slug"), owner=owner)
    return passed(f"the JWT is accepted: app {data.get('name')!r} ({data.get('slug')}), owned by "
                  f"{owner}", **evidence)


def page_count(last: str, max_pages: int) -> int | None:
    """The number of pages a Link header's last page names, when it is one to read: a whole
    number no larger than ``max_pages``."""
    if not (last.isascii() and last.isdigit()) or not 0 < int(last) <= max_pages:
        return None
    return int(last)


def installed(installations: Sequence[Any], pages: Sequence[HttpExchange], last: str = "1",
              max_pages: int = 100, more_pages: bool = False, total: int | None = None
              ) -> Verdict:
    """``last`` is the last page the first page's Link header names ("1" without one);
    ``more_pages``: a next page was still named after ``max_pages`` pages were read;
    ``total``: every installation listed (``installations`` holds those to check)."""
    total = len(installations) if total is None else total
    for page in pages:
        early = github.refusal(page)
        if early is not None:
            return early
        if page.status != 200 or not isinstance(page.json(), list):
            return unexpected(page, "a list of installations")
    if page_count(last, max_pages) is None:
        if last.isascii() and last.isdigit() and int(last) > max_pages:
            return reasons.HTTP_TOO_MANY_PAGES(
                f"GET /app/installations names {int(last)} pages, more than --max-pages "
                f"{max_pages}; none past the first was fetched", **summary(pages[0]))
        return unexpected(pages[0], f"a Link header whose last page is a number, not "
                                    f"{last[:40]!r}")
    if more_pages:
        return reasons.HTTP_TOO_MANY_PAGES(
            f"GET /app/installations still names a next page after {len(pages)} pages, the "
            f"--max-pages limit; no further page was fetched", **summary(pages[-1]))
    for n, installation in enumerate(installations, 1):
        problem = malformed(installation)
        if problem is not None:
            return reasons.HTTP_UNEXPECTED_RESPONSE(
                f"GET /app/installations: installation {n} of {len(installations)} {problem}",
                **summary(pages[0]))
    accounts = sorted(str((i.get("account") or {}).get("login")) for i in installations)
    evidence: dict[str, Any] = {"installations": total, "pages": len(pages),
                                "accounts": accounts[:50] + ([f"… {total - 50} more"]
                                                             if total > 50 else [])}
    if not installations:
        return own.APP_NOT_INSTALLED(
            "the app is not installed to any GitHub organizations", **evidence)
    checked = (f"; the first {len(installations)} are checked (--max-installations)"
               if total > len(installations) else "")
    return passed(f"the app is installed on {total} account{'s' * (total > 1)}{checked}",
                  **evidence)


def not_checked(total: int, checked: int, named: Sequence[str]) -> Verdict:
    """The installations past --max-installations: counted and named, never dropped."""
    more = total - checked
    names = ", ".join(named) + (f", … {more - len(named)} more" if more > len(named) else "")
    return own.APP_NOT_CHECKED(
        f"{more} of {total} installations were not checked: only the first {checked} are "
        f"(--max-installations {checked}); not checked: {names}", listed=total,
        checked=checked, not_checked=more, named=list(named))


def malformed(installation: Any) -> str | None:
    """What makes an entry of GET /app/installations unusable, or None. GitHub's shape:
    https://docs.github.com/en/rest/apps/apps#list-installations-for-the-authenticated-app"""
    if not isinstance(installation, dict):
        return f"is {type(installation).__name__}, not an object"
    if not isinstance(installation.get("id"), int) or isinstance(installation.get("id"), bool):
        return "has no numeric id"
    account = installation.get("account")
    if not isinstance(account, dict) or not isinstance(account.get("login"), str):
        return "has no account with a login"
    if not isinstance(installation.get("permissions", {}), dict):
        return "has permissions that are not an object"
    return None


def installation_active(installation: Mapping[str, Any]) -> Verdict:
    account = (installation.get("account") or {}).get("login")
    evidence: dict[str, Any] = {"installation_id": installation.get("id"), "account": account,
                "suspended_at": installation.get("suspended_at"),
                "suspended_by": (installation.get("suspended_by") or {}).get("login")}
    if installation.get("suspended_at"):
        return own.APP_SUSPENDED(
            f"the installation on {account} was suspended at {installation['suspended_at']}"
            + (f" by {evidence['suspended_by']}" if evidence["suspended_by"] else ""), **evidence)
    return passed(f"the installation on {account} is active", **evidence)


def permission(account: str, name: str, granted: Mapping[str, str], needed: str = "read"
               ) -> Verdict:
    """The installation grants the permission at the level needed or above."""
    level = granted.get(name)
    evidence: dict[str, Any] = {"required": settings_wording(name, needed), "granted": level}
    if level is not None and LEVELS.get(level, 0) >= LEVELS.get(needed, 1):
        return passed(f"{account} grants {settings_wording(name, level)}", **evidence)
    return own.APP_PERMISSION_MISSING(
        f"the installation on {account} lacks {settings_wording(name, needed)}"
        + (f" (it has {level})" if level else ""),
        f"On the app's settings page, set {settings_wording(name, needed)}; then accept the new "
        f"permissions on {account}'s installation (Settings > GitHub Apps).", **evidence)


def excess_permission(account: str, name: str, level: str) -> Verdict:
    """A permission the vendor does not need, or granted above the level it needs."""
    return own.APP_EXCESS_PERMISSION(
        f"the installation on {account} has {settings_wording(name, level)}, which the vendor "
        f"does not need", f"Set {settings_wording(name, 'read').rsplit(':', 1)[0]}: No access "
        f"on the app's settings page.", granted=level)


def repositories(token: HttpExchange, listing: HttpExchange | None, account: str) -> Verdict:
    early = github.refusal(token)
    if early is not None:
        return early
    if token.status != 201:
        return own.APP_TOKEN_REFUSED(
            f"GitHub refused an installation token for {account}: {token.status} "
            f"{message_of(token)}", **summary(token))
    if listing is None:
        return unexpected(token, "an installation token")
    early = github.refusal(listing)
    if early is not None:
        return early
    data = listing.json()
    listed = data.get("repositories") if isinstance(data, dict) else None
    if (listing.status != 200 or not isinstance(data, dict) or not isinstance(listed, list)
            or not all(isinstance(r, dict) for r in listed)):
        return unexpected(listing, "the installation's repositories")
    total = data.get("total_count")
    total = total if isinstance(total, int) and not isinstance(total, bool) else len(listed)
    names = [r.get("full_name") for r in listed][:20]
    evidence: dict[str, Any] = {"total_count": total, "repositories": names,
                                "repository_selection": data.get("repository_selection")}
    if total == 0:
        return own.APP_NO_RESOURCES(
            f"the installation on {account} cannot access any repository", **evidence)
    return passed(f"the installation on {account} can access {total} repositor"
                  f"{'ies' if total > 1 else 'y'}", **evidence)


def endpoint(exchange: HttpExchange, name: str, expected: int = 200) -> Verdict:
    """An endpoint the vendor reads, as its profile lists it, with an installation token: a
    refusal names the permission GitHub asks for."""
    def refused(answer: HttpExchange, evidence: dict[str, Any]) -> Verdict | None:
        if answer.status not in (403, 404):
            return None
        allow_list = github.ip_allow_list(answer)
        if allow_list is not None:
            return allow_list
        needs = answer.header("x-accepted-github-permissions")
        wording = "; ".join(settings_wording(*part.split("=", 1))
                            for part in (needs or "").split(",") if "=" in part)
        return own.APP_ENDPOINT_FORBIDDEN(
            f"{name} answers {answer.status} ({message_of(answer) or 'no message'})"
            + (f"; GitHub says it needs {wording}" if wording else ""), **evidence)

    return HTTP.endpoint(exchange, name, expected, refused)
