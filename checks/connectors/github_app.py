"""A GitHub App (github.com, or GitHub Enterprise Server with --target), as the GitHub
Deployments guide sets it up and verifies it.

Seed: ``shared/seeds/002_c0f0720c63ad79b8.txt``. The vendor answers a failed verification
with one of four codes (invalid_credentials, invalid_permissions, no_resources,
private_key_needed); each check here that reproduces one carries it as ``vendor_code``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from checks import reasons
from checks.app_key import load_private_key, mint_jwt
from checks.catalogue import Connector, Secrets
from checks.connectors.network import (
    AFTER_TLS,
    expected_network,
    network_checks,
    network_requirements,
)
from checks.evaluate import app, github
from checks.model.endpoints import HttpRequest, Target
from checks.model.observations import HttpExchange
from checks.model.requirement import Requirement, ok
from checks.model.secret import Secret
from checks.plan import Plan
from checks.probes.http import IN_FLIGHT, page_links
from checks.run import Facts, RunContext

SEED = "DX's guide \"GitHub Deployments\""
APP_ID = "CONNECTOR_GITHUB_APP_ID"
PRIVATE_KEY = "CONNECTOR_GITHUB_APP_PRIVATE_KEY"
PER_PAGE = 100
ACCEPT = (("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"))
T = TypeVar("T")

API_REACHABLE = Requirement(
    "api.reachable", "The REST API answers", "api", "GET /meta answers the API's JSON.",
    "Check the target URL and proxies.", after=AFTER_TLS,
    seed=f"{SEED}: 'curl ... https://api.github.com/app/installations'")
PRIVATE_KEY_OK = Requirement(
    "app.private_key", "The private key is the app's RSA key", "app",
    "A readable, unencrypted RSA private key in PEM.",
    "Generate a private key on the app's settings page and give the .pem file.",
    seed=f"{SEED}: 'private_key_needed: The key passed in is not an RSA private key'")
CLOCK = Requirement(
    "app.clock", "This machine's clock agrees with GitHub's", "app",
    "The local clock is close enough to the server's for JWTs made here.",
    "Synchronise the clock with NTP.", after=(API_REACHABLE,),
    seed=f"{SEED}: the JWT script ('NOW=$(date +%s)')")
CREDENTIALS = Requirement(
    "app.credentials", "The app id and private key are accepted", "app",
    "GET /app succeeds with an RS256 JWT signed by the key.",
    "Give the app id and a private key of that app.", after=(API_REACHABLE, PRIVATE_KEY_OK),
    seed=f"{SEED}: 'invalid_credentials: Your API credentials entered are not valid'")
INSTALLED = Requirement(
    "app.installed", "The app is installed", "app",
    "GET /app/installations lists at least one installation.",
    "Install the app on your organization (Install App > Install).", after=(CREDENTIALS,),
    seed=f"{SEED}: Step 6 'Install App'; 'invalid_permissions: ... not installed to any GitHub "
         f"organizations'")
INSTALLATION_ACTIVE = Requirement(
    "app.installation_active", "The installation is not suspended", "app",
    "The installation's suspended_at is empty.",
    "Unsuspend the installation in the organization's settings.", after=(INSTALLED,),
    seed=f"{SEED}: 'check app installations to ensure proper access'")
PERMISSION = Requirement(
    "app.permission", "The installation has each permission, read-only", "app",
    "The installation grants the permission at read (write includes read); no more than the "
    "vendor needs.",
    "Set the permission on the app's settings page; accept it on the installation.",
    after=(INSTALLED,),
    seed=f"{SEED}: 'at least these permissions: actions, deployments, issues, members, metadata, "
         f"pull_requests'")
REPOSITORIES = Requirement(
    "app.repositories", "The installation can access repositories", "app",
    "An installation token lists at least one repository.",
    "Select repositories for the installation.", after=(INSTALLATION_ACTIVE,),
    seed=f"{SEED}: 'no_resources: Your GitHub App installation cannot access any repositories'")
ENDPOINT = Requirement(
    "app.endpoint", "The endpoints the vendor reads answer", "app",
    "GET deployments, deployment statuses and environments of a repository succeed.",
    "Grant the permission GitHub names; select the repository for the installation.",
    after=(INSTALLED,),
    seed=f"{SEED}: API reference (/repos/{{repo}}/deployments, .../statuses, "
         f"/repos/{{repo}}/environments)")
ENDPOINTS = ("deployments", "deployment_statuses", "environments")

REQUIREMENTS = network_requirements(
    SEED,
    dns_seed="the API host must be reachable to verify the connection",
    firewall_seed="'allowlist DX IP addresses if your GitHub instance is behind a firewall or has "
                  "IP restrictions'",
    tls_seed="the API is reached over HTTPS",
) + (API_REACHABLE, PRIVATE_KEY_OK, CLOCK, CREDENTIALS, INSTALLED, INSTALLATION_ACTIVE,
     PERMISSION, REPOSITORIES, ENDPOINT)


def api_endpoint(target: Target) -> tuple[str, int, str]:
    """github.com's API lives on api.github.com; GitHub Enterprise Server's under /api/v3."""
    if target.host == "github.com":
        return "api.github.com", 443, "https://api.github.com"
    return target.host, target.port, f"{target.url}/api/v3"


async def _bounded(limit: asyncio.Semaphore, work: Awaitable[T]) -> T:
    async with limit:
        return await work


@dataclass
class Installations:
    """What GET /app/installations listed, page by page: each installation kept as the few
    fields the checks read (a page of thousands costs little), the first
    ``--max-installations`` of them to check, and how many more there were."""

    listed: list[dict[str, Any]]  # the installations to check, trimmed
    pages: list[HttpExchange]
    last: str  # the last page the first one names ("1" without one)
    more_pages: bool = False  # a next page was still named after --max-pages pages
    total: int = 0  # every installation listed
    beyond: list[str] = field(default_factory=list)  # logins past --max-installations


def _trimmed(installation: Any) -> Any:
    """An installation as the checks read it; anything malformed is kept as it is, for the
    verdict to name."""
    if app.malformed(installation) is not None:
        return installation
    kept = {key: installation[key] for key in ("id", "suspended_at", "permissions")
            if key in installation}
    kept["account"] = {"login": installation["account"]["login"]}
    suspended_by = installation.get("suspended_by")
    if isinstance(suspended_by, dict):
        kept["suspended_by"] = {"login": suspended_by.get("login")}
    return kept


async def _installations(context: RunContext, api: str, jwt: Secret, limit: asyncio.Semaphore
                         ) -> Installations:
    """Every installation, all pages up to --max-pages: once the last page is known, the rest
    are fetched together; a last page past the limit, or unreadable, fetches no other page.
    Without a last page, the next pages are followed one by one (on the API's own host only,
    never one read before), up to --max-pages."""
    def page(number: int) -> HttpRequest:
        return get(f"{api}/app/installations?per_page={PER_PAGE}&page={number}")

    def get(url: str) -> HttpRequest:
        return HttpRequest("GET", url, token=jwt, scheme="Bearer", headers=ACCEPT)

    facts = context.facts
    first = await facts.http(page(1))
    links = page_links(first)
    last_link = links.get("last")
    last = parse_qs(urlsplit(last_link).query).get("page", ["1"])[0] if last_link else "1"
    count = app.page_count(last, context.max_pages)
    pages = [first, *await asyncio.gather(*(_bounded(limit, facts.http(page(n)))
                                            for n in range(2, (count or 1) + 1)))]
    more = False
    following, seen = (links.get("next") if not last_link else None), {first.url}
    while following and _same_origin(following, api) and following not in seen:
        if len(pages) >= context.max_pages:
            more = True
            break
        seen.add(following)
        exchange = await facts.http(get(following))
        pages.append(exchange)
        following = page_links(exchange).get("next")
    found: list[dict[str, Any]] = []
    total, beyond = 0, list[str]()
    for exchange in pages:
        data = exchange.json()
        if exchange.status != 200 or not isinstance(data, list):
            continue
        for installation in data:
            total += 1
            if len(found) < context.max_installations:
                found.append(_trimmed(installation))
            elif len(beyond) < _NAMED_BEYOND:
                beyond.append(str(((installation if isinstance(installation, dict) else {})
                                   .get("account") or {}).get("login", "?"))[:100])
    return Installations(found, pages, last, more, total, beyond)


_NAMED_BEYOND = 20  # installations past --max-installations named in the verdict


def _same_origin(url: str, api: str) -> bool:
    """A next page on the API's own scheme, host and port: the JWT goes nowhere else."""
    one, other = urlsplit(url), urlsplit(api)
    return (one.scheme, one.netloc.lower()) == (other.scheme, other.netloc.lower())


async def _mint_and_list(context: RunContext, api: str, jwt: Secret, installation: Mapping[str, Any],
                         limit: asyncio.Semaphore
                         ) -> tuple[HttpExchange | None, HttpExchange | None, Secret | None]:
    if installation.get("suspended_at"):
        return None, None, None
    facts = context.facts
    minted = await _bounded(limit, facts.http(HttpRequest(
        "POST", f"{api}/app/installations/{installation['id']}/access_tokens", token=jwt,
        scheme="Bearer", headers=ACCEPT)))
    data = minted.json()
    if minted.status != 201 or not isinstance(data, dict) or not isinstance(data.get("token"), str):
        return minted, None, None
    # Installation tokens vary in length and format: never judged by shape, only redacted;
    # whole, not in fragments: a run mints one per installation, thousands of them.
    token = context.redactor.add(Secret(data["token"], "installation token"), fragments=False)
    listing = await _bounded(limit, facts.http(HttpRequest(
        "GET", f"{api}/installation/repositories?per_page={PER_PAGE}", token=token,
        headers=ACCEPT)))
    return minted, listing, token


def _permissions(holder: Mapping[str, Any]) -> dict[str, str]:
    """An object's "permissions" (name -> none/read/write/admin), only what reads as such."""
    found = holder.get("permissions")
    if not isinstance(found, dict):
        return {}
    return {str(name): level for name, level in found.items() if isinstance(level, str)}


def _login(installation: Mapping[str, Any]) -> str:
    return str((installation.get("account") or {}).get("login", installation.get("id")))


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    host, port, api = api_endpoint(context.target)
    app_id = context.env[APP_ID]
    endpoints = [(ENDPOINT, f"{context.repo}:{name}") for name in ENDPOINTS] if context.repo else []
    return [(PRIVATE_KEY_OK, app_id), *expected_network(context, host, port), (API_REACHABLE, api),
            (CLOCK, host), (CREDENTIALS, app_id), (INSTALLED, app_id), *endpoints]


async def run(context: RunContext, plan: Plan) -> None:
    facts = context.facts
    host, port, api = api_endpoint(context.target)
    app_id = context.env[APP_ID]
    secret = context.secret(PRIVATE_KEY)
    loaded = load_private_key(secret.reveal()) if secret is not None else None
    plan.add(PRIVATE_KEY_OK, app_id, app.private_key(loaded, PRIVATE_KEY))

    await network_checks(plan, context, host, port)
    if not plan.ready(API_REACHABLE, api):
        return
    meta = await facts.http(HttpRequest("GET", f"{api}/meta", headers=ACCEPT))
    plan.add(API_REACHABLE, api, github.meta(meta), meta.elapsed_s)
    if not plan.ready(CLOCK, host):
        return
    plan.add(CLOCK, host, app.clock(meta))
    if not plan.ready(CREDENTIALS, app_id) or loaded is None or loaded.key is None:
        return

    jwt = context.redactor.add(Secret(mint_jwt(loaded.key, app_id, datetime.now(UTC)),
                                      "GitHub App JWT"))
    identity = await facts.http(HttpRequest("GET", f"{api}/app", token=jwt, scheme="Bearer",
                                            headers=ACCEPT))
    plan.add(CREDENTIALS, app_id, app.credentials(identity, app_id), identity.elapsed_s)
    if not plan.ready(INSTALLED, app_id):
        return

    limit = asyncio.Semaphore(IN_FLIGHT)
    found = await _installations(context, api, jwt, limit)
    installations = found.listed
    plan.add(INSTALLED, app_id, app.installed(
        installations, found.pages, found.last, context.max_pages, found.more_pages,
        found.total))
    if not plan.ready(INSTALLATION_ACTIVE, app_id):
        return
    if found.total > len(installations):
        plan.add(INSTALLATION_ACTIVE, f"{found.total - len(installations)} more",
                 app.not_checked(found.total, len(installations), found.beyond))
    installations.sort(key=_login)
    minted = await asyncio.gather(*(_mint_and_list(context, api, jwt, i, limit)
                                    for i in installations))
    required = app.REQUIRED if host == "api.github.com" else app.REQUIRED_GHES
    tokens: dict[str, Secret] = {}
    visible: list[str] = []
    for installation, (token_answer, listing, token) in zip(installations, minted, strict=True):
        account = _login(installation)
        plan.add(INSTALLATION_ACTIVE, account, app.installation_active(installation))
        granted = _permissions(installation)
        if not granted and token_answer is not None and isinstance(token_answer.json(), dict):
            # An installation may list {} while the token it mints carries its permissions.
            granted = _permissions(token_answer.json())
        for name in required:
            plan.add(PERMISSION, f"{account}:{name}", app.permission(account, name, granted))
        for name, level in sorted(granted.items()):
            if name not in required or app.LEVELS.get(level, 0) > app.LEVELS["read"]:
                plan.add(PERMISSION, f"{account}:{name}",
                         app.excess_permission(account, name, level))
        plan.expect(REPOSITORIES, account)
        if token_answer is None or not plan.ready(REPOSITORIES, account):
            continue
        listed = plan.add(REPOSITORIES, account, app.repositories(token_answer, listing, account))
        if token is not None and listing is not None and ok(listed):
            tokens[account.lower()] = token
            visible += [str(r.get("full_name")) for r in listing.json()["repositories"]]
    await _endpoint_checks(plan, api, context.repo or (visible[0] if visible else None), tokens,
                           facts)


async def _endpoint_checks(plan: Plan, api: str, repo: str | None,
                           tokens: Mapping[str, Secret], facts: Facts) -> None:
    if repo is None:
        plan.not_applicable(ENDPOINT, "no repository",
                            "no installation can see a repository to read endpoints of")
        return
    token = tokens.get(repo.split("/")[0].lower())
    if token is None:
        for name in ENDPOINTS:
            plan.add(ENDPOINT, f"{repo}:{name}", reasons.APP_NOT_INSTALLED(
                f"no active installation of the app can read {repo}: install it on "
                f"{repo.split('/')[0]} and select the repository"))
        return

    def get(path: str) -> Awaitable[HttpExchange]:
        return facts.http(HttpRequest("GET", f"{api}/repos/{repo}/{path}", token=token,
                                      headers=ACCEPT))

    deployments, environments = await asyncio.gather(get("deployments?per_page=1"),
                                                     get("environments"))
    listed = plan.add(ENDPOINT, f"{repo}:deployments",
                      app.endpoint(deployments, f"GET /repos/{repo}/deployments"))
    plan.expect(ENDPOINT, f"{repo}:deployment_statuses", after=[listed])
    found = deployments.json() if ok(listed) else None
    if isinstance(found, list) and found and isinstance(found[0], dict):
        path = f"deployments/{found[0].get('id')}/statuses"
        statuses = await get(path)
        plan.add(ENDPOINT, f"{repo}:deployment_statuses",
                 app.endpoint(statuses, f"GET /repos/{repo}/{path}"))
    elif ok(listed):
        plan.not_applicable(ENDPOINT, f"{repo}:deployment_statuses",
                            f"{repo} has no deployment whose statuses could be read")
    plan.add(ENDPOINT, f"{repo}:environments",
             app.endpoint(environments, f"GET /repos/{repo}/environments"))


CONNECTOR = Connector(
    name="github-app",
    title="GitHub App (GitHub Deployments)",
    seed=SEED,
    requirements=REQUIREMENTS,
    secrets=Secrets(private_key=PRIVATE_KEY),
    expected=expected,
    run=run,
    default_target="https://github.com",
    required_env=((APP_ID, "the GitHub App's App ID or Client ID, from the top of its "
                           "settings page"),),
)
