"""Azure DevOps Services (https://dev.azure.com/ORG, or the legacy https://ORG.visualstudio.com)
and Server (https://host/tfs/COLLECTION, or any collection URL), with a personal access token
sent with Basic auth. A PAT's scopes cannot be listed with the PAT itself: each scope the
profile asks is proven by the read request that needs it. The default profile,
``azure-devops``, is named for the platform: no vendor's public guide lists its scopes.
"""

from __future__ import annotations

import base64
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
    Secret,
    Secrets,
    expected_network,
    network_checks,
    reasons,
    scopes,
)
from checks.connectors.azure import api as azure
from checks.connectors.azure.options import OPTIONS
from checks.connectors.azure.platform import PLATFORM

TOKEN = "CONNECTOR_AZURE_DEVOPS_TOKEN"
PROJECT_OPTION = "--azure-devops-project"
VERSION = "api-version=6.0"  # Azure DevOps Server 2020 and Services alike

# The read request that proves each scope ({p}: the project); "" for one asked in no project.
PROOFS = {
    "vso.project": ("", "/_apis/projects?$top=1&" + VERSION),
    "vso.code": ("{p}", "/_apis/git/repositories?" + VERSION),
    "vso.work": ("{p}", "/_apis/wit/workitemtypes?" + VERSION),
    "vso.build": ("{p}", "/_apis/build/definitions?$top=1&" + VERSION),
    "vso.hooks": ("", "/_apis/hooks/subscriptions?" + VERSION),
}

API_REACHABLE = Requirement(
    "api.reachable", "The Azure DevOps REST API answers at URL/_apis", "api",
    "GET _apis/connectionData answers Azure DevOps' JSON.",
    "Give the organization's URL (https://dev.azure.com/ORG) or the collection's "
    "(https://host/tfs/COLLECTION) as the target.", after=AFTER_TLS)
AUTH_TOKEN = Requirement(
    "auth.token", "The personal access token is accepted", "auth",
    "GET _apis/connectionData with the PAT names an authenticated user.",
    "Create a personal access token in the organization and set "
    "CONNECTOR_AZURE_DEVOPS_TOKEN.", after=(API_REACHABLE,), cites="credentials")
PROJECT = Requirement(
    "project.exists", "The project exists and the token sees it", "project",
    "GET _apis/projects/NAME answers the project.",
    "Check the name given with --azure-devops-project and the user's access to it.",
    after=(AUTH_TOKEN,))
SCOPE = Requirement(
    "scopes.granted", "The token has each scope the vendor needs", "scopes",
    "The read request that needs the scope answers (vso.project: projects, vso.code: git "
    "repositories, vso.work: work item types, vso.build: build definitions, vso.hooks: "
    "service hook subscriptions).",
    "Edit the personal access token and select the scope.", after=(AUTH_TOKEN,),
    cites="scopes")


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, API_REACHABLE, AUTH_TOKEN, PROJECT, SCOPE)


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target, project = context.target, context.option(PROJECT_OPTION)
    return [*expected_network(context, target.host, target.port),
            (API_REACHABLE, f"{target.url}/_apis"), (AUTH_TOKEN, "azure-devops"),
            *([(PROJECT, project)] if project else []),
            *scopes.expected(SCOPE, context, context.profile.scopes)]


async def run(context: RunContext, plan: Plan) -> None:
    target, facts = context.target, context.facts
    base = target.url
    project = context.option(PROJECT_OPTION)
    scopes.leave_out(plan, SCOPE, context, context.profile.scopes)
    required = scopes.required(context, context.profile.scopes)
    for scope in required:  # a scope proven in the project waits for the project
        if project and PROOFS.get(scope, ("", ""))[0]:
            plan.expect(SCOPE, scope, after=[PROJECT.at(project)])
    pat = context.secret(TOKEN)
    if pat is None:  # said before anything is probed
        plan.add(AUTH_TOKEN, "azure-devops", reasons.AUTH_MISSING(
            f"no token: set {TOKEN} (or {TOKEN}_FILE) to a personal access token"))
    await network_checks(plan, context, target.host, target.port)
    if not plan.ready(API_REACHABLE, f"{base}/_apis"):
        return
    # Without credentials (its own URL: a recording keeps no credential to tell two apart).
    anonymous = await facts.http(HttpRequest("GET", f"{base}/_apis/connectionData"
                                                    f"?connectOptions=0"))
    plan.add(API_REACHABLE, f"{base}/_apis", azure.reachable(anonymous), anonymous.elapsed_s)
    if pat is None or not plan.ready(AUTH_TOKEN, "azure-devops"):
        return
    # Basic auth with an empty user name and the PAT as password; masked wherever it shows.
    basic = context.redactor.add(Secret(base64.b64encode(f":{pat.reveal()}".encode())
                                        .decode(), f"{TOKEN} (Basic)"))

    async def get(url: str) -> HttpExchange:
        return await facts.http(HttpRequest("GET", url, token=basic, scheme="Basic"))

    whoami = await get(f"{base}/_apis/connectionData")
    plan.add(AUTH_TOKEN, "azure-devops", azure.identity(whoami, pat.masked), whoami.elapsed_s)
    if project and plan.ready(PROJECT, project):
        answer = await get(f"{base}/_apis/projects/{quote(project)}?{VERSION}")
        plan.add(PROJECT, project, azure.project(answer, project), answer.elapsed_s)
    for scope in required:
        where, path = PROOFS.get(scope, ("", ""))
        if not path:
            plan.not_applicable(SCOPE, scope, f"no read request proves {scope} without "
                                f"changing anything: check it on the token's page")
            continue
        if where and not project:
            plan.not_applicable(SCOPE, scope, f"pass {PROJECT_OPTION} NAME: {scope} is "
                                f"proven by a request in a project")
            continue
        if not plan.ready(SCOPE, scope):
            continue
        url = f"{base}/{quote(project)}{path}" if where and project else f"{base}{path}"
        answer = await get(url)
        plan.add(SCOPE, scope, azure.scope(answer, scope, f"GET {url}"), answer.elapsed_s)


CONNECTOR = Connector(
    name="azure-devops", title="Azure DevOps Services or Server, personal access token",
    platform=PLATFORM, declare=declare, secrets=Secrets(token=TOKEN), expected=expected,
    run=run, home=Path(__file__).parent, default_profile="azure-devops", options=OPTIONS,
    explains=(("--target", "the organization's or collection's URL"),),
)
