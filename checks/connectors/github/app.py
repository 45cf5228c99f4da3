"""A GitHub App (github.com, or GitHub Enterprise Server with --target). What a vendor asks of
it (the permissions and their levels, least privilege, the endpoints it reads, its own error
codes) is its profile's; the default is DX's guide "GitHub Deployments"
(profiles/dx-github-deployments.toml), whose four error codes the checks that reproduce one
carry as ``vendor_code``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from checks.api import (
    AFTER_TLS,
    IN_FLIGHT,
    NETWORK,
    Connector,
    Endpoint,
    Facts,
    HttpExchange,
    HttpRequest,
    Plan,
    Profile,
    Requirement,
    RunContext,
    Secret,
    Secrets,
    Target,
    endpoints,
    expected_network,
    load_private_key,
    network_checks,
    ok,
    page_links,
)
from checks.connectors.github import PLATFORM
from checks.connectors.github import api as github
from checks.connectors.github import app_checks as app
from checks.connectors.github import reasons as own
from checks.connectors.github.app_key import mint_jwt

APP_ID = "CONNECTOR_GITHUB_APP_ID"
PRIVATE_KEY = "CONNECTOR_GITHUB_APP_PRIVATE_KEY"
PER_PAGE = 100
ACCEPT = (("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"))
T = TypeVar("T")

API_REACHABLE = Requirement(
    "api.reachable", "The REST API answers", "api", "GET /meta answers the API's JSON.",
    "Check the target URL and proxies.", after=AFTER_TLS)
PRIVATE_KEY_OK = Requirement(
    "app.private_key", "The private key is the app's RSA key", "app",
    "A readable, unencrypted RSA private key in PEM.",
    "Generate a private key on the app's settings page and give the .pem file.")
CLOCK = Requirement(
    "app.clock", "This machine's clock agrees with GitHub's", "app",
    "The local clock is close enough to the server's for JWTs made here.",
    "Synchronise the clock with NTP.", after=(API_REACHABLE,))
CREDENTIALS = Requirement(
    "app.credentials", "The app id and private key are accepted", "app",
    "GET /app succeeds with an RS256 JWT signed by the key.",
    "Give the app id and a private key of that app.", after=(API_REACHABLE, PRIVATE_KEY_OK))
INSTALLED = Requirement(
    "app.installed", "The app is installed", "app",
    "GET /app/installations lists at least one installation.",
    "Install the app on your organization (Install App > Install).", after=(CREDENTIALS,))
INSTALLATION_ACTIVE = Requirement(
    "app.installation_active", "The installation is not suspended", "app",
    "The installation's suspended_at is empty.",
    "Unsuspend the installation in the organization's settings.", after=(INSTALLED,))
PERMISSION = Requirement(
    "app.permission", "The installation has each permission the vendor needs", "app",
    "The installation grants the permission at the level the profile names (write includes "
    "read); with least privilege, no more.",
    "Set the permission on the app's settings page; accept it on the installation.",
    after=(INSTALLED,), cites="permissions")
REPOSITORIES = Requirement(
    "app.repositories", "The installation can access repositories", "app",
    "An installation token lists at least one repository.",
    "Select repositories for the installation.", after=(INSTALLATION_ACTIVE,))
ENDPOINT = Requirement(
    "app.endpoint", "The endpoints the vendor reads answer", "app",
    "Each endpoint the profile lists answers its expected status to an installation token.",
    "Grant the permission GitHub names; select the repository for the installation.",
    after=(INSTALLED,), cites="endpoints")


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, API_REACHABLE, PRIVATE_KEY_OK, CLOCK, CREDENTIALS, INSTALLED,
            INSTALLATION_ACTIVE, PERMISSION, REPOSITORIES,
            *((ENDPOINT,) if profile.endpoints else ()))


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
    return [(PRIVATE_KEY_OK, app_id), *expected_network(context, host, port), (API_REACHABLE, api),
            (CLOCK, host), (CREDENTIALS, app_id), (INSTALLED, app_id),
            *endpoints.expected(ENDPOINT, context.profile.endpoints, context.repo)]


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
    profile = context.profile
    # The profile's permissions, and on GitHub Enterprise Server those it adds there.
    required = dict(profile.permissions) if host == "api.github.com" else {
        **profile.permissions, **profile.permissions_self_hosted}
    tokens: dict[str, Secret] = {}
    visible: list[str] = []
    for installation, (token_answer, listing, token) in zip(installations, minted, strict=True):
        account = _login(installation)
        plan.add(INSTALLATION_ACTIVE, account, app.installation_active(installation))
        granted = _permissions(installation)
        if not granted and token_answer is not None and isinstance(token_answer.json(), dict):
            # An installation may list {} while the token it mints carries its permissions.
            granted = _permissions(token_answer.json())
        for name, needed in required.items():
            plan.add(PERMISSION, f"{account}:{name}",
                     app.permission(account, name, granted, needed))
        for name, level in sorted(granted.items()) if profile.least_privilege else ():
            if name not in required or app.LEVELS.get(level, 0) > app.LEVELS[required[name]]:
                plan.add(PERMISSION, f"{account}:{name}",
                         app.excess_permission(account, name, level))
        plan.expect(REPOSITORIES, account)
        if token_answer is None or not plan.ready(REPOSITORIES, account):
            continue
        listed = plan.add(REPOSITORIES, account, app.repositories(token_answer, listing, account))
        if token is not None and listing is not None and ok(listed):
            tokens[account.lower()] = token
            visible += [str(r.get("full_name")) for r in listing.json()["repositories"]]
    await _endpoint_checks(plan, profile.endpoints, api, context.repo or
                           (visible[0] if visible else None), tokens, facts)


async def _endpoint_checks(plan: Plan, listed: tuple[Endpoint, ...], api: str, repo: str | None,
                           tokens: Mapping[str, Secret], facts: Facts) -> None:
    """The profile's endpoints, with the installation token of the repository's owner."""
    if not listed:
        return
    if repo is None:
        plan.not_applicable(ENDPOINT, "no repository",
                            "no installation can see a repository to read endpoints of")
        return
    token = tokens.get(repo.split("/")[0].lower())
    if token is None:
        for endpoint in listed:
            plan.add(ENDPOINT, endpoints.parameter(endpoint, repo), own.APP_NOT_INSTALLED(
                f"no active installation of the app can read {repo}: install it on "
                f"{repo.split('/')[0]} and select the repository"))
        return

    async def fetch(method: str, path: str) -> HttpExchange:
        return await facts.http(HttpRequest(method, f"{api}{path}", token=token,
                                            headers=ACCEPT))

    await endpoints.check(plan, ENDPOINT, listed, {"repo": repo, "org": repo.split("/")[0]},
                          {"repo": repo}, fetch, app.endpoint)


CONNECTOR = Connector(
    name="github-app",
    title="GitHub App",
    platform=PLATFORM,
    declare=declare,
    secrets=Secrets(private_key=PRIVATE_KEY),
    expected=expected,
    run=run,
    home=Path(__file__).parent,
    default_profile="dx-github-deployments",
    grants="permissions",
    sections=frozenset({"endpoints"}),
    credentials=("app",),
    default_target="https://github.com",
    required_env=((APP_ID, "the GitHub App's App ID or Client ID, from the top of its "
                           "settings page"),),
    explains=(("--repo", "the repository whose endpoints are read (default: the first one "
                         "an installation sees)"),),
)
