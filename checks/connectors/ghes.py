"""GitHub Enterprise Server, connected with a classic token or an OAuth app.

Seed: ``shared/seeds/003_1ae271353f0dd48f.txt`` (the vendor's GHES setup guide).
"""

from __future__ import annotations

import asyncio

from checks import reasons
from checks.catalogue import Connector, Secrets
from checks.connectors import scopes
from checks.connectors.network import (
    AFTER_TLS,
    expected_network,
    network_checks,
    network_requirements,
)
from checks.evaluate import github
from checks.model.endpoints import HttpRequest
from checks.model.requirement import Requirement
from checks.plan import Plan
from checks.run import RunContext

SEED = "Flow's guide \"GitHub Enterprise Server setup\""
SCOPES = ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook", "user",
          "read:user")
SECRETS = Secrets(token="CONNECTOR_GHES_TOKEN",
                  oauth_client_id="CONNECTOR_GHES_OAUTH_CLIENT_ID",
                  oauth_client_secret="CONNECTOR_GHES_OAUTH_CLIENT_SECRET")
# A code no authorization ever produced: the endpoint checks the client before the code.
MADE_UP_CODE = "connector-checks-probe-code"

API_REACHABLE = Requirement(
    "api.reachable", "The REST API answers at URL/api/v3", "api",
    "GET /api/v3/meta answers the API's JSON.",
    "Use the server's web URL as the target; check proxies on the way.", after=AFTER_TLS,
    seed=f"{SEED}: 'If we are unable to connect to your URL'")
AUTH_TOKEN = Requirement(
    "auth.token", "The access token is accepted", "auth",
    "GET /api/v3/user succeeds with the token (CONNECTOR_GHES_TOKEN).",
    "Create an access token for the service account and set CONNECTOR_GHES_TOKEN.",
    after=(API_REACHABLE,),
    seed=f"{SEED}: 'Access token'; 'If the authorization failed, check your credentials'")
SCOPES_GRANTED = Requirement(
    "scopes.granted", "The token has each required scope", "scopes",
    "X-OAuth-Scopes grants the scope (directly or through its parent).",
    "Select the scope on the token's settings page.", after=(AUTH_TOKEN,),
    seed=f"{SEED}: 'select the scopes below: repo (all), admin:org, read:org, admin:repo_hook "
         f"(all), admin:org_hook, user, read:user'")
ORG_OWNER = Requirement(
    "org.owner", "The service account owns the organization", "org",
    "The account's membership in the organization is active, with role admin.",
    "Make the service account an owner of the organization.", after=(AUTH_TOKEN,),
    seed=f"{SEED}: 'the service account needs to be an owner on the GitHub organization'")
API_LINKS = Requirement(
    "api.links", "The API's links name the host the vendor uses", "api",
    "Every absolute URL in the API's answers, and every Link header, names the target's host.",
    "Set the server's hostname to its public name, or rewrite links in the reverse proxy.",
    after=(API_REACHABLE,),
    seed=f"{SEED}: 'If your public domain is different from your internal domain, you will "
         f"need a reverse proxy in place'")
API_HEADERS = Requirement(
    "api.headers", "GitHub's own headers reach this machine", "api",
    "An answer to the token carries X-OAuth-Scopes (classic token), "
    "X-GitHub-Enterprise-Version and the rate-limit headers.",
    "Have the reverse proxy pass GitHub's response headers through.", after=(AUTH_TOKEN,),
    seed=f"{SEED}: 'If your public domain is different from your internal domain, you will "
         f"need a reverse proxy in place'")
OAUTH_CLIENT = Requirement(
    "oauth.client", "The OAuth app's client id and secret are accepted", "oauth",
    "POST /login/oauth/access_token identifies the OAuth app.",
    "Copy the Client ID and Client Secret from the OAuth app's page.", after=(API_REACHABLE,),
    seed=f"{SEED}: 'check your Client ID and Client Secret to make sure they are correct'")

REQUIREMENTS = network_requirements(
    SEED,
    dns_seed="'a public DNS record pointing to the IP address ... should match the TLS/SSL "
             "certificate'",
    firewall_seed="'allowlist our IPs on port 443 over HTTPS'",
    tls_seed="'a valid SSL certificate signed by a public CA'",
) + (API_REACHABLE, AUTH_TOKEN, SCOPES_GRANTED, ORG_OWNER, OAUTH_CLIENT, API_LINKS,
     API_HEADERS)

_ACCEPT = (("Accept", "application/vnd.github+json"),)


def _org_parameter(context: RunContext) -> str:
    return context.org or "--org not given"


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target = context.target
    return [*expected_network(context, target.host, target.port), (API_REACHABLE, f"{target.url}/api/v3"),
            (AUTH_TOKEN, "ghes"), *scopes.expected(SCOPES_GRANTED, context, SCOPES),
            (ORG_OWNER, _org_parameter(context)), (OAUTH_CLIENT, "ghes"),
            (API_LINKS, f"{target.url}/api/v3"), (API_HEADERS, "ghes")]


async def run(context: RunContext, plan: Plan) -> None:
    target = context.target
    scopes.leave_out(plan, SCOPES_GRANTED, context, SCOPES)
    org = context.org
    if not org:
        plan.not_applicable(ORG_OWNER, _org_parameter(context),
                            "pass --org NAME to check that the account owns the organization "
                            "(webhooks need an owner)")
    token = context.secret(SECRETS.token)
    client_id = context.secret(SECRETS.oauth_client_id)
    client_secret = context.secret(SECRETS.oauth_client_secret)
    if client_id is None and client_secret is None:
        plan.not_applicable(OAUTH_CLIENT, "ghes",
                            f"no OAuth app given: set {SECRETS.oauth_client_id} and "
                            f"{SECRETS.oauth_client_secret} to check one")
    elif client_id is None or client_secret is None:
        missing = SECRETS.oauth_client_id if client_id is None else SECRETS.oauth_client_secret
        plan.add(OAUTH_CLIENT, "ghes", reasons.OAUTH_INCOMPLETE(
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
        for scope in scopes.required(context, SCOPES):
            if plan.ready(SCOPES_GRANTED, scope):
                plan.add(SCOPES_GRANTED, scope, github.scope(user, scope, masked))
        if plan.ready(API_HEADERS, "ghes"):
            plan.add(API_HEADERS, "ghes", github.headers(user, masked))
    membership = answers.get("membership")
    if org and membership is not None and plan.ready(ORG_OWNER, org):
        plan.add(ORG_OWNER, org, github.org_membership(membership, org), membership.elapsed_s)

    oauth = answers.get("oauth")
    if oauth is not None and plan.ready(OAUTH_CLIENT, "ghes"):
        plan.add(OAUTH_CLIENT, "ghes", github.oauth_client(oauth), oauth.elapsed_s)
    if plan.ready(API_LINKS, api):  # every answer the run read, as the vendor will read them
        plan.add(API_LINKS, api, github.links(list(answers.values()), target.host))


CONNECTOR = Connector(
    name="ghes",
    title="GitHub Enterprise Server",
    seed=SEED,
    requirements=REQUIREMENTS,
    secrets=SECRETS,
    expected=expected,
    run=run,
)
