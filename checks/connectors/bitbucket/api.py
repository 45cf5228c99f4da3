"""Bitbucket Data Center evaluators: pure functions of its answers.

https://developer.atlassian.com/server/bitbucket/rest/ (application-properties, projects,
repos and their `permission` filter; errors as {"errors": [{"message", "exceptionName"}]}).
"""

from __future__ import annotations

from typing import Any

from checks.api import HttpExchange, Verdict, passed, reasons
from checks.connectors.bitbucket import reasons as own
from checks.connectors.bitbucket.platform import GRANTS, HTTP, exception_of


def application(exchange: HttpExchange) -> Verdict:
    """GET /rest/api/1.0/application-properties: Bitbucket's name and version."""
    decided = HTTP.api_answer(exchange, "Bitbucket")
    if decided is not None:
        return decided
    data = exchange.json()
    evidence = HTTP.summary(exchange)
    evidence.update(version=data.get("version"), build=data.get("buildNumber"),
                    display_name=data.get("displayName"))
    if not isinstance(data.get("version"), str):
        return HTTP.unexpected(exchange, "Bitbucket's application properties")
    return passed(f"{exchange.url} is {data.get('displayName') or 'Bitbucket'} "
                  f"{data['version']} (build {data.get('buildNumber') or '?'})", **evidence)


def token(exchange: HttpExchange, masked: str) -> Verdict:
    """GET /rest/api/1.0/repos?limit=1 with the token: accepted, and whose it is."""
    evidence = HTTP.summary(exchange)
    early = HTTP.failure(exchange)
    if early is not None:
        return early
    said = HTTP.message_of(exchange) or f"{exchange.status}"
    if exchange.status == 401:
        return reasons.AUTH_INVALID_CREDENTIALS(
            f"Bitbucket refuses the token {masked}: {said}",
            "Create an HTTP access token (Manage account, or the project's or repository's "
            "settings > HTTP access tokens) and set it in CONNECTOR_BITBUCKET_DC_TOKEN.",
            **evidence)
    if exchange.status == 403:
        return reasons.AUTH_FORBIDDEN(f"Bitbucket forbids the token {masked}: {said}",
                                      **evidence)
    if exchange.status != 200 or not isinstance(exchange.json(), dict):
        return HTTP.unexpected(exchange, "a page of repositories")
    user = exchange.header("x-ausername")
    evidence["user"] = user
    return passed(f"the token {masked} is accepted"
                  + (f": it acts as {user}" if user else " (Bitbucket named no user: a project "
                                                         "or repository token)"), **evidence)


def found(exchange: HttpExchange, what: str, name: str) -> Verdict:
    """GET a project or repository: it exists and the account sees it; or which it is not."""
    evidence = HTTP.summary(exchange)
    early = HTTP.failure(exchange)
    if early is not None:
        return early
    data: Any = exchange.json()
    said = HTTP.message_of(exchange)
    if exchange.status == 404 and exception_of(data) == "NoSuchRepositoryException":
        return own.NO_SUCH_REPOSITORY(f"no repository {name}: {said}", **evidence)
    if exchange.status == 404:
        return own.NO_SUCH_PROJECT(f"no project {name}: {said or 'Not Found'}", **evidence)
    if exchange.status in (401, 403):
        hidden = own.REPOSITORY_HIDDEN if what == "repository" else own.PROJECT_HIDDEN
        return hidden(f"the {what} {name} exists, but the account cannot see it: "
                      f"{said or exchange.status}", **evidence)
    if exchange.status != 200 or not isinstance(data, dict):
        return HTTP.unexpected(exchange, f"the {what}'s JSON")
    return passed(f"the {what} {name} exists and the account sees it"
                  + (f" ({data.get('name')})" if isinstance(data.get("name"), str) else ""),
                  **evidence)


def permission(exchange: HttpExchange, wanted: str, where: str, key: str, field: str) -> Verdict:
    """The permission filter (GET /rest/api/1.0/projects?permission=P, or /repos?...): the
    project or repository is listed when the account has the permission on it."""
    evidence = HTTP.summary(exchange)
    evidence.update(required=wanted, on=where)
    early = HTTP.failure(exchange)
    if early is not None:
        return early
    data = exchange.json()
    values = data.get("values") if isinstance(data, dict) else None
    if exchange.status != 200 or not isinstance(values, list):
        return HTTP.unexpected(exchange, "a page of the permission filter")
    listed = [str(v.get(field)) for v in values if isinstance(v, dict)]
    more = isinstance(data, dict) and data.get("isLastPage") is False
    if key in listed:
        implied = [parent for parent, children in GRANTS.items() if wanted in children]
        return passed(f"the account has {wanted} on {where} (Bitbucket's permission filter "
                      f"lists it" + (f"; {' or '.join(implied)} would grant it too)"
                                     if implied else ")"), **evidence)
    return own.PERMISSION_MISSING(
        f"the account lacks {wanted} on {where}: Bitbucket's permission filter does not list "
        f"it" + (f" among the first {len(listed)} it lists (it has more pages)" if more else ""),
        f"Grant {wanted} on {where} to the account, or create the HTTP access token "
               f"with it (Bitbucket's permission pages).", **evidence)
