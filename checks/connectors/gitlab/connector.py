"""gitlab.com or a self-managed GitLab, with a personal, project, group or OAuth token. What
a vendor asks of it (scopes, least privilege, the endpoints it calls) is its profile's; the
default is Dynatrace's guide "Set up GitLab Connector" (profiles/dynatrace-gitlab.toml).
Self-managed instances may use a custom token prefix: a token is never judged by its shape.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from checks.api import (
    AFTER_TLS,
    NETWORK,
    Connector,
    HttpExchange,
    HttpRequest,
    Plan,
    Profile,
    Requirement,
    RunContext,
    Secrets,
    endpoints,
    expected_network,
    network_checks,
    reasons,
    scopes,
    tokens,
)
from checks.connectors.gitlab import PLATFORM, webhooks
from checks.connectors.gitlab import api as gitlab
from checks.connectors.gitlab_options import OPTIONS

TOKEN = "CONNECTOR_GITLAB_TOKEN"

API_REACHABLE = Requirement(
    "api.reachable", "The GitLab API answers at URL/api/v4", "api",
    "GET /api/v4/version (or /metadata) answers GitLab's JSON.",
    "Give the GitLab URL as the target (gitlab.com or your instance).", after=AFTER_TLS)
AUTH_TOKEN = Requirement(
    "auth.token", "The GitLab token is active", "auth",
    "The token is accepted, not revoked, not expired (CONNECTOR_GITLAB_TOKEN).",
    "Create a token and set CONNECTOR_GITLAB_TOKEN.", after=(API_REACHABLE,),
    cites="credentials")
SCOPES_GRANTED = Requirement(
    "scopes.granted", "The token has each required scope", "scopes",
    "The token's scopes include the scope (api grants read_api; write_repository grants "
    "read_repository).",
    "Create a token with the scope selected.", after=(AUTH_TOKEN,), cites="scopes")
LEAST_PRIVILEGE = Requirement(
    "scopes.least_privilege", "The token has no more scopes than needed", "scopes",
    "No scope beyond those required (sudo, admin_mode, ...).",
    "Create a token with only the required scopes.", after=(AUTH_TOKEN,), cites="scopes")
ENDPOINT = Requirement(
    "api.endpoint", "The endpoints the vendor calls answer", "api",
    "Each endpoint the profile lists answers its expected status to the token.",
    "Grant the token the scope, project or group the endpoint reads.",
    after=(AUTH_TOKEN,), cites="endpoints")



WEBHOOK_FLAG = "--gitlab-webhook-url"
WEBHOOKS = webhooks.requirements(after=(AUTH_TOKEN,))


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, API_REACHABLE, AUTH_TOKEN, SCOPES_GRANTED,
            *((LEAST_PRIVILEGE,) if profile.least_privilege else ()),
            *((ENDPOINT,) if profile.endpoints else ()), *WEBHOOKS)


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target, profile = context.target, context.profile
    return [*expected_network(context, target.host, target.port),
            (API_REACHABLE, f"{target.url}/api/v4"), (AUTH_TOKEN, "gitlab"),
            *scopes.expected(SCOPES_GRANTED, context, profile.scopes),
            *([(LEAST_PRIVILEGE, "gitlab")] if profile.least_privilege else []),
            *endpoints.expected(ENDPOINT, profile.endpoints, context.repo),
            *((WEBHOOKS[0], where) for _, where in webhooks.places(context, WEBHOOK_FLAG))]


async def run(context: RunContext, plan: Plan) -> None:
    facts = context.facts
    target = context.target
    api = f"{target.url}/api/v4"
    profile = context.profile
    scopes.leave_out(plan, SCOPES_GRANTED, context, profile.scopes)
    required = scopes.required(context, profile.scopes)
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
    if not plan.ready(SCOPES_GRANTED, required[0]):
        return
    granted = gitlab.scopes_of(info if info is not None else about)
    for scope in required:
        plan.add(SCOPES_GRANTED, scope, gitlab.scope(granted, scope))
    if profile.least_privilege:
        plan.add(LEAST_PRIVILEGE, "gitlab", tokens.least_privilege(
            granted, required, [s for s in granted if s not in required], "the token's scopes"))

    async def fetch(method: str, path: str) -> HttpExchange:
        return await facts.http(HttpRequest(method, f"{api}{path}", token=token, scheme="Bearer"))

    # GitLab names a project or group by its path, URL-encoded (/projects/acme%2Fapi).
    await endpoints.check(
        plan, ENDPOINT, profile.endpoints,
        {"repo": quote(context.repo, safe="") if context.repo else None,
         "org": quote(context.org, safe="") if context.org else None},
        {"repo": context.repo or "", "org": context.org or ""}, fetch, gitlab.endpoint)
    # The webhook checks wait for a scope that reads the API (api or read_api).
    await webhooks.run(plan, context, api, token, WEBHOOKS, WEBHOOK_FLAG,
                       [SCOPES_GRANTED.at(s) for s in required if s in ("api", "read_api")])


CONNECTOR = Connector(
    name="gitlab", title="GitLab (gitlab.com or self-managed)", platform=PLATFORM,
    declare=declare, secrets=Secrets(token=TOKEN), expected=expected, run=run,
    home=Path(__file__).parent, default_profile="dynatrace-gitlab",
    default_target="https://gitlab.com", sections=frozenset({"endpoints", "webhook"}),
    explains=(("--org", "the group a profile's {org} endpoints read; with a webhook URL, its "
                        "webhooks (GitLab Premium)"),
              ("--repo", "the project a profile's {repo} endpoints read; with a webhook URL, "
                         "its webhooks")),
    options=OPTIONS,
)
