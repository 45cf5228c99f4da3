"""gitlab.com or a self-managed GitLab, with a personal, project, group or OAuth token.

Seed: ``shared/seeds/001_3df7c5b7cf71300e.txt``. Self-managed instances may use a custom
token prefix: a token is never judged by its shape.
"""

from __future__ import annotations

import asyncio

from checks import reasons
from checks.catalogue import Check, Connector, Requirement, Secrets, register
from checks.connectors.network import network_requirements
from checks.evaluate import gitlab, tokens
from checks.probes.http import HttpRequest
from checks.run import Plan, RunContext, network_checks, ok
from checks.verdict import Outcome

SEED = "GitLab Connector setup (seed 001)"
TOKEN = "CONNECTOR_GITLAB_TOKEN"
DEFAULT_SCOPES = ("api", "read_repository", "read_user", "write_repository")

REQUIREMENTS = network_requirements(
    SEED, dns_seed="'You need to add the *.gitlab.com domain name'",
    firewall_seed="'External requests enable outbound network connections'",
    tls_seed="the API is reached over HTTPS",
) + (
    Requirement("api.reachable", "The GitLab API answers at URL/api/v4", "api",
                "GET /api/v4/version (or /metadata) answers GitLab's JSON.",
                "Give the GitLab URL as the target (gitlab.com or your instance).",
                f"{SEED}: 'GitLab URL: Add the URL of your GitLab environment'"),
    Requirement("auth.token", "The GitLab token is active", "auth",
                "The token is accepted, not revoked, not expired (CONNECTOR_GITLAB_TOKEN).",
                "Create a token and set CONNECTOR_GITLAB_TOKEN.",
                f"{SEED}: 'GitLab token: Provide your GitLab API token'"),
    Requirement("scopes.granted", "The token has each required scope", "scopes",
                "The token's scopes include the scope (scopes are a flat list).",
                "Create a token with the scope selected.",
                f"{SEED}: 'The GitLab token needs the scopes api, read_repository, read_user, "
                f"and write_repository. Scopes can be skipped if related actions are not used.'"),
    Requirement("scopes.least_privilege", "The token has no more scopes than needed", "scopes",
                "No scope beyond those required (sudo, admin_mode, ...).",
                "Create a token with only the required scopes.",
                f"{SEED}: the required scopes"),
)


async def run(context: RunContext) -> list[Check]:
    plan = Plan(context)
    facts = context.facts
    target = context.target
    api = f"{target.url}/api/v4"
    required = plan.required_scopes(DEFAULT_SCOPES)
    later = [("auth.token", "gitlab"), *(("scopes.granted", s) for s in required),
             ("scopes.least_privilege", "gitlab")]
    blocked_by = await network_checks(plan, target.host, target.port)
    if blocked_by is not None:
        for requirement, parameter in [("api.reachable", api), *later]:
            plan.blocked(requirement, parameter, blocked_by)
        return plan.checks
    token = context.secret(TOKEN)

    def get(url: str) -> HttpRequest:
        # Bearer works for personal, project, group and OAuth tokens alike.
        return HttpRequest("GET", url, token=token, scheme="Bearer")

    version = await facts.http(get(f"{api}/version"))
    if version.status == 404:
        version = await facts.http(get(f"{api}/metadata"))
    reachable = plan.add("api.reachable", api, gitlab.version(version), version.elapsed_s)
    if not ok(reachable) or token is None:
        cause = reachable if not ok(reachable) else plan.add("auth.token", "gitlab",
                                                             reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE)"))
        for requirement, parameter in later[0 if not ok(reachable) else 1:]:
            plan.blocked(requirement, parameter, cause)
        return plan.checks

    about, user = await asyncio.gather(facts.http(get(f"{api}/personal_access_tokens/self")),
                                       facts.http(get(f"{api}/user")))
    # An OAuth token is not a personal access token: this endpoint answers 400 for it.
    info = await facts.http(get(f"{target.url}/oauth/token/info")) if about.status == 400 else None
    auth = plan.add("auth.token", "gitlab", gitlab.token(about, info, user, token.masked),
                    about.elapsed_s)
    if auth.verdict.outcome is Outcome.FAILED:
        for requirement, parameter in later[1:]:
            plan.blocked(requirement, parameter, auth)
        return plan.checks
    granted = gitlab.scopes_of(info if info is not None else about)
    for scope in required:
        plan.add("scopes.granted", scope, gitlab.scope(granted, scope))
    plan.add("scopes.least_privilege", "gitlab", tokens.least_privilege(
        granted, required, [s for s in granted if s not in required], "the token's scopes"))
    return plan.checks


CONNECTOR = register(Connector(
    name="gitlab", title="GitLab (gitlab.com or self-managed)", seed=SEED,
    requirements=REQUIREMENTS, secrets=Secrets(token=TOKEN), run=run,
    default_target="https://gitlab.com",
))
