"""GitHub.com (and GitHub Enterprise Cloud) with a personal access token. What a vendor asks
of it is its profile's; the default is Dynatrace's guide "Set up GitHub Connector"
(profiles/dynatrace-github.toml). The token comes from CONNECTOR_GITHUB_TOKEN
only: GITHUB_TOKEN is set by CI systems to their own short-lived token and is never read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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
    Target,
    expected_network,
    network_checks,
    reasons,
    scopes,
)
from checks.connectors.github import PLATFORM, webhooks
from checks.connectors.github import api as github
from checks.connectors.github_options import GITHUB as OPTIONS

TOKEN = "CONNECTOR_GITHUB_TOKEN"
ACCEPT = (("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"))
FINE_GRAINED_READS = (("metadata", ""), ("issues", "/issues?per_page=1"),
                      ("pull_requests", "/pulls?per_page=1"))

CLOUD_ONLY = Requirement(
    "github.cloud_only", "The target is a GitHub cloud plan", "api",
    "The API is github.com's or GitHub Enterprise Cloud's, not a GHES appliance.",
    "Use a cloud account; check a GHES server with --connector ghes.", after=AFTER_TLS)
AUTH_TOKEN = Requirement(
    "auth.token", "The personal access token is accepted", "auth",
    "GET /user succeeds with the token (CONNECTOR_GITHUB_TOKEN).",
    "Create a personal access token and set CONNECTOR_GITHUB_TOKEN.", after=(CLOUD_ONLY,),
    cites="credentials")
AUTH_SSO = Requirement(
    "auth.sso", "The token is authorized for the organization's SSO", "auth",
    "GET /orgs/ORG succeeds: no X-GitHub-SSO refusal.",
    "Authorize the token for the organization's SAML SSO.", after=(AUTH_TOKEN,))
AUTH_EXPIRY = Requirement(
    "auth.expiry", "The token does not expire soon", "auth",
    "The token's expiration date is more than 14 days away.",
    "Renew the token before it expires.", after=(AUTH_TOKEN,))
SCOPES_GRANTED = Requirement(
    "scopes.granted", "The token has each scope the actions need", "scopes",
    "X-OAuth-Scopes grants the scope (or, fine-grained, the repository reads work).",
    "Edit the token's scopes or repository permissions.", after=(AUTH_TOKEN,), cites="scopes")
LEAST_PRIVILEGE = Requirement(
    "scopes.least_privilege", "The token has no more scopes than needed", "scopes",
    "No scope beyond those required.", "Create a token with only the required scopes.",
    after=(AUTH_TOKEN,), cites="scopes")



WEBHOOK_FLAG = "--github-webhook-url"
WEBHOOKS = webhooks.requirements(after=(AUTH_TOKEN,))


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, CLOUD_ONLY, AUTH_TOKEN, AUTH_SSO, AUTH_EXPIRY, SCOPES_GRANTED,
            *((LEAST_PRIVILEGE,) if profile.least_privilege else ()), *WEBHOOKS)


def api_endpoint(target: Target) -> tuple[str, int, str]:
    """github.com -> api.github.com; GHE.com (data residency) -> api.SUBDOMAIN.ghe.com;
    anything else is asked where GHES would answer, so it can be recognised and refused."""
    if target.host == "github.com":
        return "api.github.com", 443, "https://api.github.com"
    if target.host.endswith(".ghe.com"):
        return f"api.{target.host}", 443, f"https://api.{target.host}"
    return target.host, target.port, f"{target.url}/api/v3"


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    host, port, _ = api_endpoint(context.target)
    return [*expected_network(context, host, port), (CLOUD_ONLY, context.target.url),
            (AUTH_TOKEN, "github"), *([(AUTH_SSO, context.org)] if context.org else []),
            (AUTH_EXPIRY, "github"),
            *scopes.expected(SCOPES_GRANTED, context, context.profile.scopes),
            *([(LEAST_PRIVILEGE, "github")] if context.profile.least_privilege else []),
            *((WEBHOOKS[0], where) for _, where in webhooks.places(context, WEBHOOK_FLAG))]


async def run(context: RunContext, plan: Plan) -> None:
    facts = context.facts
    host, port, api = api_endpoint(context.target)
    target = context.target.url
    org, repo = context.org, context.repo
    profile = context.profile
    scopes.leave_out(plan, SCOPES_GRANTED, context, profile.scopes)
    required = scopes.required(context, profile.scopes)
    if context.secret(TOKEN) is None:  # said before anything is probed
        plan.add(AUTH_TOKEN, "github", reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE); GITHUB_TOKEN is never read, CI systems "
            f"set it to their own token"))
    await network_checks(plan, context, host, port)
    if not plan.ready(CLOUD_ONLY, target):
        return
    meta = await facts.http(HttpRequest("GET", f"{api}/meta", headers=ACCEPT))
    plan.add(CLOUD_ONLY, target, github.cloud_only(meta, target), meta.elapsed_s)
    token = context.secret(TOKEN)
    if token is None or not plan.ready(AUTH_TOKEN, "github"):
        return

    def get(path: str) -> HttpRequest:
        return HttpRequest("GET", f"{api}{path}", token=token, headers=ACCEPT)

    user, org_answer = await asyncio.gather(
        facts.http(get("/user")), facts.http(get(f"/orgs/{org}")) if org else _nothing())
    plan.add(AUTH_TOKEN, "github", github.user(user, token.masked), user.elapsed_s)
    if not plan.ready(AUTH_EXPIRY, "github"):
        return
    if org and org_answer is not None:
        plan.add(AUTH_SSO, org, github.sso(org_answer, org), org_answer.elapsed_s)
    plan.add(AUTH_EXPIRY, "github", github.expiry(user))
    if user.header("x-oauth-scopes") is not None:
        for scope in required:
            plan.add(SCOPES_GRANTED, scope, github.scope(user, scope))
        if profile.least_privilege:
            plan.add(LEAST_PRIVILEGE, "github", github.least_privilege(user, required))
        await webhooks.run(plan, context, api, token, WEBHOOKS, WEBHOOK_FLAG,
                           _webhook_waits(context, required))
        return
    # A fine-grained token has no scopes: check what it can read in --repo instead.
    instead = (f"its access to {repo} is checked instead" if repo else
               "pass --repo OWNER/NAME to check its access to a repository")
    for scope in required:
        plan.not_applicable(SCOPES_GRANTED, scope, f"a fine-grained token has no scopes: {instead}")
    if repo is not None:
        answers = await asyncio.gather(*(facts.http(get(f"/repos/{repo}{path}"))
                                         for _, path in FINE_GRAINED_READS))
        for (permission, _), answer in zip(FINE_GRAINED_READS, answers, strict=True):
            plan.add(SCOPES_GRANTED, f"{repo}:{permission}",
                     github.repository_access(answer, repo, permission), answer.elapsed_s)
    if profile.least_privilege:
        plan.not_applicable(LEAST_PRIVILEGE, "github",
                            "a fine-grained token has no scopes; its repository access is its "
                            "privilege (review it on the token's page)")
    await webhooks.run(plan, context, api, token, WEBHOOKS, WEBHOOK_FLAG,
                       _webhook_waits(context, required))


def _webhook_waits(context: RunContext, required: Sequence[str]) -> dict[str, list[str]]:
    """The checks the webhook checks wait for, besides the token: the hook scope (when the
    profile asks for it) and the organization's SSO authorization."""
    waits: dict[str, list[str]] = {"organization": [], "repository": []}
    if "admin:org_hook" in required:
        waits["organization"].append(SCOPES_GRANTED.at("admin:org_hook"))
    if "admin:repo_hook" in required:
        waits["repository"].append(SCOPES_GRANTED.at("admin:repo_hook"))
    if context.org:
        waits["organization"].append(AUTH_SSO.at(context.org))
    return waits


async def _nothing() -> None:
    return None


CONNECTOR = Connector(
    name="github", title="GitHub.com (personal access token)", platform=PLATFORM,
    declare=declare, secrets=Secrets(token=TOKEN), expected=expected, run=run,
    home=Path(__file__).parent, default_profile="dynatrace-github",
    default_target="https://github.com",
    explains=(("--org", "the token is authorized for its SAML SSO (auth.sso) and sees it; "
                        "with a webhook URL, its webhooks"),
              ("--repo", "what a fine-grained token can read in it; with a webhook URL, its "
                         "webhooks")),
    options=OPTIONS, sections=frozenset({"webhook"}),
)
