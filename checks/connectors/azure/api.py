"""Azure DevOps evaluators: pure functions of its answers.

https://learn.microsoft.com/rest/api/azure/devops/ (connectionData, projects, git
repositories, work item types, build definitions); a PAT is sent with Basic auth.
"""

from __future__ import annotations

from typing import Any

from checks.api import HttpExchange, Verdict, passed, reasons
from checks.connectors.azure import reasons as own
from checks.connectors.azure.platform import HTTP, code_of


def refusal(exchange: HttpExchange) -> Verdict | None:
    """What Azure DevOps says instead of an answer: a sign-in page (203) for a bad token, or
    one of its error codes."""
    early = HTTP.failure(exchange)
    if early is not None:
        return early
    evidence = HTTP.summary(exchange)
    if exchange.status == 203 or (exchange.status == 200 and exchange.content_type == "text/html"):
        return own.SIGN_IN_PAGE(f"{exchange.url} answered {exchange.status} with a sign-in "
                                f"page, not the API: the token was not accepted", **evidence)
    if exchange.status in (401, 403):
        said = HTTP.message_of(exchange) or exchange.header("x-tfs-serviceerror") or ""
        code = code_of(said)
        evidence["code"] = code or None
        if code == "VS30063":
            return own.NOT_IN_ORGANIZATION(f"Azure DevOps: {said}", **evidence)
        if code == "VS403463":
            return own.CONDITIONAL_ACCESS(f"Azure DevOps: {said}", **evidence)
        if code == "TF400813":
            return own.NOT_AUTHORIZED(f"Azure DevOps: {said}", **evidence)
        return reasons.AUTH_INVALID_CREDENTIALS(
            f"Azure DevOps refuses the token ({exchange.status}): {said or 'no message'}",
            "Create a personal access token in this organization and set it in "
            "CONNECTOR_AZURE_DEVOPS_TOKEN.", **evidence)
    return None


def reachable(exchange: HttpExchange) -> Verdict:
    """GET _apis/connectionData without credentials: the API answers (its JSON, or a JSON
    refusal, is still the API)."""
    said = HTTP.api_answer(exchange, "Azure DevOps")
    if said is not None:
        return said
    data: Any = exchange.json()
    evidence = HTTP.summary(exchange)
    kind = data.get("deploymentType")
    evidence.update(deployment=kind, instance=data.get("instanceId"))
    where = {"hosted": "Azure DevOps Services", "onPremises": "Azure DevOps Server"}.get(
        str(kind), "Azure DevOps")
    return passed(f"{exchange.url} is {where} (instance {data.get('instanceId') or '?'})",
                  **evidence)


def identity(exchange: HttpExchange, masked: str) -> Verdict:
    """GET _apis/connectionData with the token: whom Azure DevOps takes it for."""
    refused = refusal(exchange)
    if refused is not None:
        return refused
    data: Any = exchange.json()
    user = data.get("authenticatedUser") if isinstance(data, dict) else None
    if exchange.status != 200 or not isinstance(user, dict):
        return HTTP.unexpected(exchange, "the connection data")
    account = ((user.get("properties") or {}).get("Account") or {}).get("$value")
    name = user.get("providerDisplayName")
    evidence = HTTP.summary(exchange)
    evidence.update(user=name, account=account, user_id=user.get("id"))
    if not account:  # a signed-in user has an Account; the anonymous one has none
        return reasons.AUTH_INVALID_CREDENTIALS(
            f"Azure DevOps took the token {masked} for an anonymous user (no account)",
            "Create a personal access token in this organization and set it in "
            "CONNECTOR_AZURE_DEVOPS_TOKEN.", **evidence)
    return passed(f"the token {masked} acts as {name or account}"
                  + (f" ({account})" if account and name else ""), **evidence)


def project(exchange: HttpExchange, name: str) -> Verdict:
    refused = refusal(exchange)
    if refused is not None:
        return refused
    evidence = HTTP.summary(exchange)
    if exchange.status == 404:
        return own.NO_SUCH_PROJECT(f"no project {name}: {HTTP.message_of(exchange) or '404'}",
                                   **evidence)
    data: Any = exchange.json()
    if exchange.status != 200 or not isinstance(data, dict):
        return HTTP.unexpected(exchange, "the project's JSON")
    return passed(f"the project {data.get('name') or name} exists and the token sees it "
                  f"({data.get('state') or 'state unknown'})", **evidence)


def scope(exchange: HttpExchange, wanted: str, proof: str) -> Verdict:
    """A scope proven by the read request that needs it (a PAT's scopes cannot be listed with
    the PAT itself)."""
    refused = refusal(exchange)
    evidence = HTTP.summary(exchange)
    evidence.update(scope=wanted, proven_by=proof)
    if refused is not None:
        if refused.reason in (own.NOT_AUTHORIZED.code, reasons.AUTH_INVALID_CREDENTIALS.code):
            return own.NOT_AUTHORIZED(
                f"{proof} is refused: the token lacks {wanted} (or its user the permission): "
                f"{refused.message}", f"Edit the personal access token and select {wanted} "
                f"(User settings > Personal access tokens > Edit > Scopes).", **evidence)
        return refused
    if exchange.status != 200 or not isinstance(exchange.json(), dict):
        return HTTP.unexpected(exchange, f"the answer to {proof}")
    return passed(f"{wanted} is granted: {proof} answers", **evidence)
