"""Bitbucket Data Center / Server, with an HTTP access token (a user's, a project's or a
repository's; sent as Bearer). The target may carry a context path
(https://host/bitbucket). What the vendor needs (its permissions on a project and a
repository) is its profile's; the default, ``bitbucket-dc``, is named for the platform: no
vendor's public guide lists Bitbucket's permissions.
"""

from __future__ import annotations

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
    expected_network,
    network_checks,
    reasons,
    scopes,
)
from checks.connectors.bitbucket import api as bitbucket
from checks.connectors.bitbucket.options import OPTIONS
from checks.connectors.bitbucket.platform import PLATFORM

TOKEN = "CONNECTOR_BITBUCKET_DC_TOKEN"
PROJECT_OPTION, REPOSITORY_OPTION = "--bitbucket-dc-project", "--bitbucket-dc-repository"
PAGE = 1000  # Bitbucket's largest page

API_REACHABLE = Requirement(
    "api.reachable", "The Bitbucket REST API answers at URL/rest/api/1.0", "api",
    "GET /rest/api/1.0/application-properties answers Bitbucket's name and version.",
    "Give Bitbucket's base URL as the target, with its context path if it has one "
    "(https://host/bitbucket).", after=AFTER_TLS)
AUTH_TOKEN = Requirement(
    "auth.token", "The HTTP access token is accepted", "auth",
    "The token (CONNECTOR_BITBUCKET_DC_TOKEN, sent as Bearer) is accepted.",
    "Create an HTTP access token and set CONNECTOR_BITBUCKET_DC_TOKEN.", after=(API_REACHABLE,),
    cites="credentials")
PROJECT = Requirement(
    "project.exists", "The project exists and the account sees it", "project",
    "GET /rest/api/1.0/projects/KEY answers the project.",
    "Check the key given with --bitbucket-dc-project, and the account's access to it.",
    after=(AUTH_TOKEN,))
REPOSITORY = Requirement(
    "repository.exists", "The repository exists and the account sees it", "project",
    "GET /rest/api/1.0/projects/KEY/repos/SLUG answers the repository.",
    "Check the slug given with --bitbucket-dc-repository, and the account's access to it.",
    after=(PROJECT,))
PERMISSION = Requirement(
    "scopes.granted", "The account has each permission the vendor needs", "scopes",
    "Bitbucket's permission filter lists the project (PROJECT_*) or the repository (REPO_*) "
    "for the permission.",
    "Grant the permission on the project or repository.", after=(PROJECT,), cites="scopes")


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, API_REACHABLE, AUTH_TOKEN, PROJECT, REPOSITORY, PERMISSION)


def _where(context: RunContext) -> tuple[str | None, str | None]:
    return context.option(PROJECT_OPTION), context.option(REPOSITORY_OPTION)


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target = context.target
    project, repository = _where(context)
    return [*expected_network(context, target.host, target.port),
            (API_REACHABLE, f"{target.url}/rest/api/1.0"), (AUTH_TOKEN, "bitbucket-dc"),
            *([(PROJECT, project)] if project else []),
            *([(REPOSITORY, f"{project}/{repository}")] if project and repository else []),
            *scopes.expected(PERMISSION, context, context.profile.scopes)]


async def run(context: RunContext, plan: Plan) -> None:
    target, facts = context.target, context.facts
    api = f"{target.url}/rest/api/1.0"
    scopes.leave_out(plan, PERMISSION, context, context.profile.scopes)
    required = scopes.required(context, context.profile.scopes)
    project, repository = _where(context)
    repo_id = f"{project}/{repository}"
    for permission in required:  # a repository's permission waits for the repository
        if permission.startswith("REPO_") and project and repository:
            plan.expect(PERMISSION, permission, after=[REPOSITORY.at(repo_id)])
    token = context.secret(TOKEN)
    if token is None:  # said before anything is probed
        plan.add(AUTH_TOKEN, "bitbucket-dc", reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE) to an HTTP access token"))
    await network_checks(plan, context, target.host, target.port)
    if not plan.ready(API_REACHABLE, api):
        return
    about = await facts.http(HttpRequest("GET", f"{api}/application-properties"))
    plan.add(API_REACHABLE, api, bitbucket.application(about), about.elapsed_s)

    async def get(path: str) -> HttpExchange:
        return await facts.http(HttpRequest("GET", f"{api}{path}", token=token,
                                            scheme="Bearer"))

    if token is None or not plan.ready(AUTH_TOKEN, "bitbucket-dc"):
        return
    whoami = await get("/repos?limit=1")
    plan.add(AUTH_TOKEN, "bitbucket-dc", bitbucket.token(whoami, token.masked),
             whoami.elapsed_s)
    if not project:
        for permission in required:
            plan.not_applicable(PERMISSION, permission, f"pass {PROJECT_OPTION} KEY (and "
                                f"{REPOSITORY_OPTION} SLUG) to check {permission} on them")
        return
    if plan.ready(PROJECT, project):
        answer = await get(f"/projects/{quote(project, safe='~')}")
        plan.add(PROJECT, project, bitbucket.found(answer, "project", project),
                 answer.elapsed_s)
    if repository and plan.ready(REPOSITORY, repo_id):
        answer = await get(f"/projects/{quote(project, safe='~')}/repos/{quote(repository)}")
        plan.add(REPOSITORY, repo_id, bitbucket.found(answer, "repository", repo_id),
                 answer.elapsed_s)
    for permission in required:
        on_repository = permission.startswith("REPO_")
        if on_repository and not repository:
            plan.not_applicable(PERMISSION, permission, f"pass {REPOSITORY_OPTION} SLUG to "
                                f"check {permission} on a repository of {project}")
            continue
        if not plan.ready(PERMISSION, permission):
            continue
        path = (f"/repos?projectkey={quote(project, safe='~')}&permission={permission}"
                f"&limit={PAGE}" if on_repository else
                f"/projects?permission={permission}&limit={PAGE}")
        listing = await get(path)
        plan.add(PERMISSION, permission, bitbucket.permission(
            listing, permission, f"repository {repo_id}" if on_repository
            else f"project {project}", (repository or "") if on_repository else project,
            "slug" if on_repository else "key"), listing.elapsed_s)


CONNECTOR = Connector(
    name="bitbucket-dc", title="Bitbucket Data Center / Server, HTTP access token",
    platform=PLATFORM, declare=declare, secrets=Secrets(token=TOKEN), expected=expected,
    run=run, home=Path(__file__).parent, default_profile="bitbucket-dc",
    options=OPTIONS,
    explains=(("--target", "Bitbucket's base URL, with its context path"),),
)
