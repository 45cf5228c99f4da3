"""GitHub Enterprise Server, connected with a classic token or an OAuth app.

Seed: ``shared/seeds/003_1ae271353f0dd48f.txt`` (the vendor's GHES setup guide).
"""

from __future__ import annotations

import asyncio

from checks import reasons
from checks.catalogue import Check, Connector, Requirement, Secrets, register
from checks.connectors.network import network_requirements
from checks.evaluate import github
from checks.probes.http import HttpRequest
from checks.run import Plan, RunContext, network_checks, ok

SEED = "GHES setup guide (seed 003)"
SCOPES = ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook", "user",
          "read:user")
SECRETS = Secrets(token="CONNECTOR_GHES_TOKEN",
                  oauth_client_id="CONNECTOR_GHES_OAUTH_CLIENT_ID",
                  oauth_client_secret="CONNECTOR_GHES_OAUTH_CLIENT_SECRET")
# A code no authorization ever produced: the endpoint checks the client before the code.
MADE_UP_CODE = "connector-checks-probe-code"

REQUIREMENTS = network_requirements(
    SEED,
    dns_seed="'a public DNS record pointing to the IP address ... should match the TLS/SSL "
             "certificate'",
    firewall_seed="'allowlist our IPs on port 443 over HTTPS'",
    tls_seed="'a valid SSL certificate signed by a public CA'",
) + (
    Requirement("api.reachable", "The REST API answers at URL/api/v3", "api",
                "GET /api/v3/meta answers the API's JSON.",
                "Use the server's web URL as the target; check proxies on the way.",
                f"{SEED}: 'If we are unable to connect to your URL'"),
    Requirement("auth.token", "The access token is accepted", "auth",
                "GET /api/v3/user succeeds with the token (CONNECTOR_GHES_TOKEN).",
                "Create an access token for the service account and set CONNECTOR_GHES_TOKEN.",
                f"{SEED}: 'Access token'; 'If the authorization failed, check your credentials'"),
    Requirement("scopes.granted", "The token has each required scope", "scopes",
                "X-OAuth-Scopes grants the scope (directly or through its parent).",
                "Select the scope on the token's settings page.",
                f"{SEED}: 'select the scopes below: repo (all), admin:org, read:org, "
                f"admin:repo_hook (all), admin:org_hook, user, read:user'"),
    Requirement("org.owner", "The service account owns the organization", "org",
                "The account's membership in the organization is active, with role admin.",
                "Make the service account an owner of the organization.",
                f"{SEED}: 'the service account needs to be an owner on the GitHub "
                f"organization'"),
    Requirement("oauth.client", "The OAuth app's client id and secret are accepted", "oauth",
                "POST /login/oauth/access_token identifies the OAuth app.",
                "Copy the Client ID and Client Secret from the OAuth app's page.",
                f"{SEED}: 'check your Client ID and Client Secret to make sure they are "
                f"correct'"),
)


async def run(context: RunContext) -> list[Check]:
    plan = Plan(context)
    target = context.target
    blocked_by = await network_checks(plan, target.host, target.port)
    api = f"{target.url}/api/v3"
    token = context.secret(SECRETS.token)
    client_id = context.secret(SECRETS.oauth_client_id)
    client_secret = context.secret(SECRETS.oauth_client_secret)
    org = context.org
    org_parameter = org or "--org not given"

    after_api = [("auth.token", "ghes"), *(("scopes.granted", s) for s in SCOPES),
                 ("org.owner", org_parameter), ("oauth.client", "ghes")]
    if blocked_by is not None:
        for requirement, parameter in [("api.reachable", api), *after_api]:
            plan.blocked(requirement, parameter, blocked_by)
        return plan.checks

    facts = context.facts
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
    answers = dict(zip(requests, await asyncio.gather(*map(facts.http, requests.values())),
                       strict=True))

    meta = answers["meta"]
    reachable = plan.add("api.reachable", api, github.meta(meta), meta.elapsed_s)
    if not ok(reachable):
        for requirement, parameter in after_api:
            plan.blocked(requirement, parameter, reachable)
        return plan.checks

    user = answers.get("user")
    if token is None or user is None:
        auth = plan.add("auth.token", "ghes", reasons.AUTH_MISSING(
            f"no token: set {SECRETS.token} (or {SECRETS.token}_FILE) to the access token"))
    else:
        auth = plan.add("auth.token", "ghes", github.user(user, token.masked), user.elapsed_s)
    for scope in SCOPES:
        if ok(auth) and user is not None:
            plan.add("scopes.granted", scope, github.scope(user, scope))
        else:
            plan.blocked("scopes.granted", scope, auth)

    membership = answers.get("membership")
    if not org:
        plan.not_applicable("org.owner", org_parameter,
                            "pass --org NAME to check that the account owns the organization "
                            "(webhooks need an owner)")
    elif not ok(auth) or membership is None:
        plan.blocked("org.owner", org, auth)
    else:
        plan.add("org.owner", org, github.org_membership(membership, org), membership.elapsed_s)

    oauth = answers.get("oauth")
    if oauth is not None:
        plan.add("oauth.client", "ghes", github.oauth_client(oauth), oauth.elapsed_s)
    elif client_id is None and client_secret is None:
        plan.not_applicable("oauth.client", "ghes",
                            f"no OAuth app given: set {SECRETS.oauth_client_id} and "
                            f"{SECRETS.oauth_client_secret} to check one")
    else:
        missing = SECRETS.oauth_client_id if client_id is None else SECRETS.oauth_client_secret
        plan.add("oauth.client", "ghes", reasons.OAUTH_INCOMPLETE(
            f"only one of the OAuth variables is set: {missing} is missing"))
    return plan.checks


_ACCEPT = (("Accept", "application/vnd.github+json"),)

CONNECTOR = register(Connector(
    name="ghes",
    title="GitHub Enterprise Server",
    seed=SEED,
    requirements=REQUIREMENTS,
    secrets=SECRETS,
    run=run,
))
