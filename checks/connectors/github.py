"""GitHub.com (and GitHub Enterprise Cloud) with a personal access token.

Seed: ``shared/seeds/000_f28da5a5f480aff8.txt``. The token comes from CONNECTOR_GITHUB_TOKEN
only: GITHUB_TOKEN is set by CI systems to their own short-lived token and is never read.
"""

from __future__ import annotations

import asyncio

from checks import reasons
from checks.catalogue import Check, Connector, Requirement, Secrets, register
from checks.connectors.network import network_requirements
from checks.evaluate import github
from checks.probes.http import HttpRequest
from checks.run import Plan, RunContext, Target, network_checks, ok

SEED = "GitHub Connector setup (seed 000)"
TOKEN = "CONNECTOR_GITHUB_TOKEN"
# Classic scopes for the connector's issue and pull-request actions on private repositories.
DEFAULT_SCOPES = ("repo",)
ACCEPT = (("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"))
FINE_GRAINED_READS = (("metadata", ""), ("issues", "/issues?per_page=1"),
                      ("pull_requests", "/pulls?per_page=1"))

REQUIREMENTS = network_requirements(
    SEED, dns_seed="'You need to add the api.github.com domain name'",
    firewall_seed="'External requests enable outbound network connections ... api.github.com'",
    tls_seed="the API is reached over HTTPS",
) + (
    Requirement("github.cloud_only", "The target is a GitHub cloud plan", "api",
                "The API is github.com's or GitHub Enterprise Cloud's, not a GHES appliance.",
                "Use a cloud account; check a GHES server with --connector ghes.",
                f"{SEED}: 'We only support cloud-based GitHub plans ... GitHub Enterprise Server "
                f"plans aren't supported'"),
    Requirement("auth.token", "The personal access token is accepted", "auth",
                "GET /user succeeds with the token (CONNECTOR_GITHUB_TOKEN).",
                "Create a personal access token and set CONNECTOR_GITHUB_TOKEN.",
                f"{SEED}: 'Create a personal access token for your GitHub account'"),
    Requirement("auth.sso", "The token is authorized for the organization's SSO", "auth",
                "GET /orgs/ORG succeeds: no X-GitHub-SSO refusal.",
                "Authorize the token for the organization's SAML SSO.",
                f"{SEED}: 'Managing your personal access tokens'"),
    Requirement("auth.expiry", "The token does not expire soon", "auth",
                "The token's expiration date is more than 14 days away.",
                "Renew the token before it expires.", f"{SEED}: 'GitHub token'"),
    Requirement("scopes.granted", "The token has each scope the actions need", "scopes",
                "X-OAuth-Scopes grants the scope (or, fine-grained, the repository reads work).",
                "Edit the token's scopes or repository permissions.",
                f"{SEED}: 'The necessary permissions for each action can be found on the GitHub "
                f"Actions page'"),
    Requirement("scopes.least_privilege", "The token has no more scopes than needed", "scopes",
                "No scope beyond those required.", "Create a token with only the required scopes.",
                f"{SEED}: 'We strongly recommend that you limit the permissions of your personal "
                f"access tokens to the necessary minimum'"),
)


def api_endpoint(target: Target) -> tuple[str, int, str]:
    """github.com -> api.github.com; GHE.com (data residency) -> api.SUBDOMAIN.ghe.com;
    anything else is asked where GHES would answer, so it can be recognised and refused."""
    if target.host == "github.com":
        return "api.github.com", 443, "https://api.github.com"
    if target.host.endswith(".ghe.com"):
        return f"api.{target.host}", 443, f"https://api.{target.host}"
    return target.host, target.port, f"{target.url}/api/v3"


async def run(context: RunContext) -> list[Check]:
    plan = Plan(context)
    facts = context.facts
    host, port, api = api_endpoint(context.target)
    target = context.target.url
    org, repo = context.org, context.repo
    required = plan.required_scopes(DEFAULT_SCOPES)
    after_cloud = [("auth.token", "github"), *([("auth.sso", org)] if org else []),
                   ("auth.expiry", "github"), *(("scopes.granted", s) for s in required),
                   ("scopes.least_privilege", "github")]
    blocked_by = await network_checks(plan, host, port)
    if blocked_by is not None:
        for requirement, parameter in [("github.cloud_only", target), *after_cloud]:
            plan.blocked(requirement, parameter, blocked_by)
        return plan.checks
    meta = await facts.http(HttpRequest("GET", f"{api}/meta", headers=ACCEPT))
    cloud = plan.add("github.cloud_only", target, github.cloud_only(meta, target), meta.elapsed_s)
    token = context.secret(TOKEN)
    if not ok(cloud) or token is None:
        cause = cloud if not ok(cloud) else plan.add("auth.token", "github", reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE); GITHUB_TOKEN is never read, CI systems "
            f"set it to their own token"))
        for requirement, parameter in after_cloud[0 if not ok(cloud) else 1:]:
            plan.blocked(requirement, parameter, cause)
        return plan.checks

    def get(path: str) -> HttpRequest:
        return HttpRequest("GET", f"{api}{path}", token=token, headers=ACCEPT)

    user, org_answer = await asyncio.gather(
        facts.http(get("/user")), facts.http(get(f"/orgs/{org}")) if org else _nothing())
    auth = plan.add("auth.token", "github", github.user(user, token.masked), user.elapsed_s)
    if not ok(auth):
        for requirement, parameter in after_cloud[1:]:
            plan.blocked(requirement, parameter, auth)
        return plan.checks
    if org and org_answer is not None:
        plan.add("auth.sso", org, github.sso(org_answer, org), org_answer.elapsed_s)
    plan.add("auth.expiry", "github", github.expiry(user))
    if user.header("x-oauth-scopes") is not None:
        for scope in required:
            plan.add("scopes.granted", scope, github.scope(user, scope))
        plan.add("scopes.least_privilege", "github", github.least_privilege(user, required))
        return plan.checks
    # A fine-grained token has no scopes: check what it can read in --repo instead.
    if repo is None:
        plan.not_applicable("scopes.granted", "fine-grained token",
                            "a fine-grained token has no scopes: pass --repo OWNER/NAME to check "
                            "its access to a repository")
    else:
        answers = await asyncio.gather(*(facts.http(get(f"/repos/{repo}{path}"))
                                         for _, path in FINE_GRAINED_READS))
        for (permission, _), answer in zip(FINE_GRAINED_READS, answers, strict=True):
            plan.add("scopes.granted", f"{repo}:{permission}",
                     github.repository_access(answer, repo, permission), answer.elapsed_s)
    plan.not_applicable("scopes.least_privilege", "github",
                        "a fine-grained token has no scopes; its repository access is its "
                        "privilege (review it on the token's page)")
    return plan.checks


async def _nothing() -> None:
    return None


CONNECTOR = register(Connector(
    name="github", title="GitHub.com (personal access token)", seed=SEED,
    requirements=REQUIREMENTS, secrets=Secrets(token=TOKEN), run=run,
    default_target="https://github.com",
))
