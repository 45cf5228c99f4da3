"""GitHub Enterprise Server, connected with a classic token or an OAuth app. What a vendor
asks of it (the scopes, the organization role, an OAuth app, least privilege) is its profile's;
the default is Flow's guide "GitHub Enterprise Server setup" (profiles/flow-ghes.toml).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from checks.api import (
    AFTER_TLS,
    NETWORK,
    Connector,
    HttpRequest,
    Plan,
    Profile,
    Requirement,
    RunContext,
    Secrets,
    expected_network,
    network_checks,
    reasons,
    scopes,
)
from checks.connectors.github import PLATFORM, webhooks
from checks.connectors.github import api as github
from checks.connectors.github import reasons as own
from checks.connectors.github_options import GHES as OPTIONS

SECRETS = Secrets(token="CONNECTOR_GHES_TOKEN",
                  oauth_client_id="CONNECTOR_GHES_OAUTH_CLIENT_ID",
                  oauth_client_secret="CONNECTOR_GHES_OAUTH_CLIENT_SECRET")
# A code no authorization ever produced: the endpoint checks the client before the code.
MADE_UP_CODE = "connector-checks-probe-code"

API_REACHABLE = Requirement(
    "api.reachable", "The REST API answers at URL/api/v3", "api",
    "GET /api/v3/meta answers the API's JSON.",
    "Use the server's web URL as the target; check proxies on the way.", after=AFTER_TLS)
AUTH_TOKEN = Requirement(
    "auth.token", "The access token is accepted", "auth",
    "GET /api/v3/user succeeds with the token (CONNECTOR_GHES_TOKEN).",
    "Create an access token for the service account and set CONNECTOR_GHES_TOKEN.",
    after=(API_REACHABLE,), cites="credentials")
SCOPES_GRANTED = Requirement(
    "scopes.granted", "The token has each required scope", "scopes",
    "X-OAuth-Scopes grants the scope (directly or through its parent).",
    "Select the scope on the token's settings page.", after=(AUTH_TOKEN,), cites="scopes")
LEAST_PRIVILEGE = Requirement(
    "scopes.least_privilege", "The token has no more scopes than needed", "scopes",
    "No scope beyond those required.", "Create a token with only the required scopes.",
    after=(AUTH_TOKEN,), cites="scopes")
ORG_OWNER = Requirement(
    "org.owner", "The service account owns the organization", "org",
    "The account's membership in the organization is active, with role admin.",
    "Make the service account an owner of the organization.", after=(AUTH_TOKEN,),
    cites="organization")
ORG_MEMBER = Requirement(
    "org.member", "The service account belongs to the organization", "org",
    "The account's membership in the organization is active.",
    "Add the service account to the organization.", after=(AUTH_TOKEN,), cites="organization")
API_LINKS = Requirement(
    "api.links", "The API's links name the host the vendor uses", "api",
    "Every absolute URL in the API's answers, and every Link header, names the target's host.",
    "Set the server's hostname to its public name, or rewrite links in the reverse proxy.",
    after=(API_REACHABLE,))
API_HEADERS = Requirement(
    "api.headers", "GitHub's own headers reach this machine", "api",
    "An answer to the token carries X-OAuth-Scopes (classic token), "
    "X-GitHub-Enterprise-Version and the rate-limit headers.",
    "Have the reverse proxy pass GitHub's response headers through.", after=(AUTH_TOKEN,))
WEBHOOK_FLAG = "--ghes-webhook-url"
OAUTH_CLIENT = Requirement(
    "oauth.client", "The OAuth app's client id and secret are accepted", "oauth",
    "POST /login/oauth/access_token identifies the OAuth app.",
    "Copy the Client ID and Client Secret from the OAuth app's page.", after=(API_REACHABLE,),
    cites="credentials")


WEBHOOKS = webhooks.requirements(after=(AUTH_TOKEN,))


def declare(profile: Profile) -> tuple[Requirement, ...]:
    """The requirements a profile asks for: the organization role and an OAuth app only when
    it names them, least privilege only when it asks for it."""
    org = _org_requirement(profile)
    return (*NETWORK, API_REACHABLE, AUTH_TOKEN, SCOPES_GRANTED,
            *((LEAST_PRIVILEGE,) if profile.least_privilege else ()), *((org,) if org else ()),
            *((OAUTH_CLIENT,) if _oauth(profile) else ()), API_LINKS, API_HEADERS, *WEBHOOKS)


def _oauth(profile: Profile) -> bool:
    return not profile.credentials or "oauth-app" in profile.credentials


def _org_requirement(profile: Profile) -> Requirement | None:
    return {"owner": ORG_OWNER, "member": ORG_MEMBER}.get(profile.org_role or "")

_ACCEPT = (("Accept", "application/vnd.github+json"),)


def _org_parameter(context: RunContext) -> str:
    return context.org or "--org not given"


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target, profile = context.target, context.profile
    org = _org_requirement(profile)
    return [*expected_network(context, target.host, target.port),
            (API_REACHABLE, f"{target.url}/api/v3"), (AUTH_TOKEN, "ghes"),
            *scopes.expected(SCOPES_GRANTED, context, profile.scopes),
            *([(LEAST_PRIVILEGE, "ghes")] if profile.least_privilege else []),
            *([(org, _org_parameter(context))] if org else []),
            *([(OAUTH_CLIENT, "ghes")] if _oauth(profile) else []),
            (API_LINKS, f"{target.url}/api/v3"), (API_HEADERS, "ghes"),
            *((WEBHOOKS[0], where) for _, where in webhooks.places(context, WEBHOOK_FLAG))]


async def run(context: RunContext, plan: Plan) -> None:
    target, profile = context.target, context.profile
    scopes.leave_out(plan, SCOPES_GRANTED, context, profile.scopes)
    org_requirement = _org_requirement(profile)
    org = context.org if org_requirement is not None else None
    if org_requirement is not None and not org:
        plan.not_applicable(org_requirement, _org_parameter(context),
                            f"pass --org NAME to check the account's role in the organization "
                            f"(the profile asks for {profile.org_role})")
    token = context.secret(SECRETS.token)
    wants_oauth = _oauth(profile)
    client_id = context.secret(SECRETS.oauth_client_id) if wants_oauth else None
    client_secret = context.secret(SECRETS.oauth_client_secret) if wants_oauth else None
    if wants_oauth and client_id is None and client_secret is None:
        plan.not_applicable(OAUTH_CLIENT, "ghes",
                            f"no OAuth app given: set {SECRETS.oauth_client_id} and "
                            f"{SECRETS.oauth_client_secret} to check one")
    elif wants_oauth and (client_id is None or client_secret is None):
        missing = SECRETS.oauth_client_id if client_id is None else SECRETS.oauth_client_secret
        plan.add(OAUTH_CLIENT, "ghes", own.OAUTH_INCOMPLETE(
            f"only one of the OAuth variables is set: {missing} is missing"))

    if token is None:  # said before anything is probed, whatever the network does
        plan.add(AUTH_TOKEN, "ghes", reasons.AUTH_MISSING(
            f"no token: set {SECRETS.token} (or {SECRETS.token}_FILE) to the access token"))
    await network_checks(plan, context, target.host, target.port)
    api = f"{target.url}/api/v3"
    if not plan.ready(API_REACHABLE, api):
        return
    requests = {"meta": HttpRequest("GET", f"{api}/meta", headers=_ACCEPT)}
    if token is not None:
        requests["user"] = HttpRequest("GET", f"{api}/user", token=token, headers=_ACCEPT)
        if org:
            requests["membership"] = HttpRequest(
                "GET", f"{api}/user/memberships/orgs/{org}", token=token, headers=_ACCEPT)
    if client_id is not None and client_secret is not None:
        requests["oauth"] = HttpRequest(
            "POST", f"{target.url}/login/oauth/access_token",
            headers=(("Accept", "application/json"),),
            form=(("client_id", client_id), ("client_secret", client_secret),
                  ("code", MADE_UP_CODE)))
    answers = dict(zip(requests, await asyncio.gather(*map(context.facts.http,
                                                           requests.values())), strict=True))

    meta = answers["meta"]
    plan.add(API_REACHABLE, api, github.meta(meta), meta.elapsed_s)
    user = answers.get("user")
    if token is not None and user is not None and plan.ready(AUTH_TOKEN, "ghes"):
        plan.add(AUTH_TOKEN, "ghes", github.user(user, token.masked), user.elapsed_s)
    if user is not None:
        masked = token.masked if token is not None else ""
        required = scopes.required(context, profile.scopes)
        for scope in required:
            if plan.ready(SCOPES_GRANTED, scope):
                plan.add(SCOPES_GRANTED, scope, github.scope(user, scope, masked))
        if profile.least_privilege and plan.ready(LEAST_PRIVILEGE, "ghes"):
            plan.add(LEAST_PRIVILEGE, "ghes", github.least_privilege(user, required))
        if plan.ready(API_HEADERS, "ghes"):
            plan.add(API_HEADERS, "ghes", github.headers(user, masked))
    membership = answers.get("membership")
    if org and org_requirement is not None and membership is not None and \
            plan.ready(org_requirement, org):
        plan.add(org_requirement, org,
                 github.org_membership(membership, org, profile.org_role or "owner"),
                 membership.elapsed_s)

    oauth = answers.get("oauth")
    if oauth is not None and plan.ready(OAUTH_CLIENT, "ghes"):
        plan.add(OAUTH_CLIENT, "ghes", github.oauth_client(oauth), oauth.elapsed_s)
    if plan.ready(API_LINKS, api):  # every answer the run read, as the vendor will read them
        plan.add(API_LINKS, api, github.links(list(answers.values()), target.host))
    await webhooks.run(plan, context, api, token, WEBHOOKS, WEBHOOK_FLAG,
                       _webhook_waits(context, org_requirement))


def _webhook_waits(context: RunContext, org: Requirement | None) -> dict[str, list[str]]:
    """The checks the webhook checks wait for, besides the token: the hook scope (when the
    profile asks for it), and an owner of the organization (a member sees no webhooks)."""
    required = scopes.required(context, context.profile.scopes)
    waits: dict[str, list[str]] = {"organization": [], "repository": []}
    if "admin:org_hook" in required:
        waits["organization"].append(SCOPES_GRANTED.at("admin:org_hook"))
    if "admin:repo_hook" in required:
        waits["repository"].append(SCOPES_GRANTED.at("admin:repo_hook"))
    if org is not None and context.org:
        waits["organization"].append(org.at(context.org))
    return waits


CONNECTOR = Connector(
    name="ghes",
    title="GitHub Enterprise Server",
    platform=PLATFORM,
    declare=declare,
    secrets=SECRETS,
    expected=expected,
    run=run,
    home=Path(__file__).parent,
    default_profile="flow-ghes",
    sections=frozenset({"organization", "webhook"}),
    credentials=("token", "oauth-app"),
    explains=(("--org", "the account's role in it: an owner, as the profile asks (org.owner); "
                        "with a webhook URL, its webhooks"),),
    options=OPTIONS,
)
