"""gitlab.com or a self-managed GitLab, with a personal, project, group or OAuth token.

Seed: ``shared/seeds/001_3df7c5b7cf71300e.txt``. Self-managed instances may use a custom
token prefix: a token is never judged by its shape.
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
from checks.evaluate import gitlab, tokens
from checks.model.endpoints import HttpRequest
from checks.model.requirement import Requirement
from checks.plan import Plan
from checks.run import RunContext

SEED = "Dynatrace's guide \"Set up GitLab Connector\""
TOKEN = "CONNECTOR_GITLAB_TOKEN"
DEFAULT_SCOPES = ("api", "read_repository", "read_user", "write_repository")

API_REACHABLE = Requirement(
    "api.reachable", "The GitLab API answers at URL/api/v4", "api",
    "GET /api/v4/version (or /metadata) answers GitLab's JSON.",
    "Give the GitLab URL as the target (gitlab.com or your instance).", after=AFTER_TLS,
    seed=f"{SEED}: 'GitLab URL: Add the URL of your GitLab environment'")
AUTH_TOKEN = Requirement(
    "auth.token", "The GitLab token is active", "auth",
    "The token is accepted, not revoked, not expired (CONNECTOR_GITLAB_TOKEN).",
    "Create a token and set CONNECTOR_GITLAB_TOKEN.", after=(API_REACHABLE,),
    seed=f"{SEED}: 'GitLab token: Provide your GitLab API token'")
SCOPES_GRANTED = Requirement(
    "scopes.granted", "The token has each required scope", "scopes",
    "The token's scopes include the scope (scopes are a flat list).",
    "Create a token with the scope selected.", after=(AUTH_TOKEN,),
    seed=f"{SEED}: 'The GitLab token needs the scopes api, read_repository, read_user, and "
         f"write_repository. Scopes can be skipped if related actions are not used.'")
LEAST_PRIVILEGE = Requirement(
    "scopes.least_privilege", "The token has no more scopes than needed", "scopes",
    "No scope beyond those required (sudo, admin_mode, ...).",
    "Create a token with only the required scopes.", after=(AUTH_TOKEN,),
    seed=f"{SEED}: the required scopes")

REQUIREMENTS = network_requirements(
    SEED, dns_seed="'You need to add the *.gitlab.com domain name'",
    firewall_seed="'External requests enable outbound network connections'",
    tls_seed="the API is reached over HTTPS",
) + (API_REACHABLE, AUTH_TOKEN, SCOPES_GRANTED, LEAST_PRIVILEGE)


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target = context.target
    return [*expected_network(context, target.host, target.port), (API_REACHABLE, f"{target.url}/api/v4"),
            (AUTH_TOKEN, "gitlab"), *scopes.expected(SCOPES_GRANTED, context, DEFAULT_SCOPES),
            (LEAST_PRIVILEGE, "gitlab")]


async def run(context: RunContext, plan: Plan) -> None:
    facts = context.facts
    target = context.target
    api = f"{target.url}/api/v4"
    scopes.leave_out(plan, SCOPES_GRANTED, context, DEFAULT_SCOPES)
    required = scopes.required(context, DEFAULT_SCOPES)
    token = context.secret(TOKEN)
    if token is None:  # said before anything is probed
        plan.add(AUTH_TOKEN, "gitlab", reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE)"))
    await network_checks(plan, context, target.host, target.port)
    if not plan.ready(API_REACHABLE, api):
        return

    def get(url: str) -> HttpRequest:
        # Bearer works for personal, project, group and OAuth tokens alike.
        return HttpRequest("GET", url, token=token, scheme="Bearer")

    version = await facts.http(get(f"{api}/version"))
    if version.status == 404:
        version = await facts.http(get(f"{api}/metadata"))
    plan.add(API_REACHABLE, api, gitlab.version(version), version.elapsed_s)
    if token is None or not plan.ready(AUTH_TOKEN, "gitlab"):
        return

    about, user = await asyncio.gather(facts.http(get(f"{api}/personal_access_tokens/self")),
                                       facts.http(get(f"{api}/user")))
    # An OAuth token is not a personal access token: this endpoint answers 400 for it.
    info = await facts.http(get(f"{target.url}/oauth/token/info")) if about.status == 400 else None
    plan.add(AUTH_TOKEN, "gitlab", gitlab.token(about, info, user, token.masked),
             about.elapsed_s)
    if not plan.ready(LEAST_PRIVILEGE, "gitlab"):
        return
    granted = gitlab.scopes_of(info if info is not None else about)
    for scope in required:
        plan.add(SCOPES_GRANTED, scope, gitlab.scope(granted, scope))
    plan.add(LEAST_PRIVILEGE, "gitlab", tokens.least_privilege(
        granted, required, [s for s in granted if s not in required], "the token's scopes"))


CONNECTOR = Connector(
    name="gitlab", title="GitLab (gitlab.com or self-managed)", seed=SEED,
    requirements=REQUIREMENTS, secrets=Secrets(token=TOKEN), expected=expected, run=run,
    default_target="https://gitlab.com",
)
