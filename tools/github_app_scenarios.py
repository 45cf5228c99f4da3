"""The github-app connector's offline scenarios (written by python -m tools.build_scenarios).

Shapes follow the recorded GitHub App exchanges in tests/recordings/github/app-*.json and
installation-repositories.json. Keys are recorded by kind only ("key:rsa-2048"): each replay
makes a fresh key of that kind. Installation tokens are obvious stand-ins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.pki import Pki
from tools.world import IPV4, RECORDED

API = "https://api.github.com"
READ = dict.fromkeys(("actions", "deployments", "issues", "members", "metadata",
                      "pull_requests"), "read")
APP_ID = "123456"
DOCS = "https://docs.github.com/rest"


def headers(date_shift: timedelta = timedelta(0), **extra: str) -> dict[str, str]:
    return {"Date": f"{RECORDED + date_shift:%a, %d %b %Y %H:%M:%S GMT}",
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28"} | {
        k.replace("_", "-"): v for k, v in extra.items()}


def answer(method: str, path: str, status: int, body: Any, request_headers: dict[str, str]
           | None = None, date_shift: timedelta = timedelta(0), **extra: str) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "url": f"{API}{path}"}
    if request_headers:
        request["headers"] = request_headers
    return {"request": request,
            "response": {"status": status, "headers": headers(date_shift, **extra), "json": body}}


def installation(number: int, account: str, permissions: dict[str, str],
                 suspended: bool = False) -> dict[str, Any]:
    return {"id": 40000000 + number, "account": {"login": account, "type": "Organization"},
            "repository_selection": "selected", "permissions": permissions,
            "suspended_at": "2026-10-20T08:00:00Z" if suspended else None,
            "suspended_by": {"login": "acme-admin"} if suspended else None}


def token_for(account: str) -> str:
    return f"ghs_stand-in.{account}"  # not a token: the replay's installation token


def app_exchanges(installations: list[dict[str, Any]], repos: dict[str, list[str]],
                  meta_shift: timedelta = timedelta(0), app_status: int = 200,
                  app_message: str = "") -> list[dict[str, Any]]:
    exchanges = [answer("GET", "/meta", 200, {"verifiable_password_authentication": True},
                        date_shift=meta_shift)]
    if app_status != 200:
        exchanges.append(answer("GET", "/app", app_status,
                                {"message": app_message, "documentation_url": DOCS}))
        return exchanges
    exchanges.append(answer("GET", "/app", 200, {
        "id": int(APP_ID), "slug": "acme-dx-deployments", "name": "Acme DX - GitHub Deployments",
        "owner": {"login": "acme", "type": "Organization"}, "permissions": READ}))
    pages = [installations[n:n + 100] for n in range(0, len(installations), 100)] or [[]]
    base = f"{API}/app/installations?per_page=100"
    for number, page in enumerate(pages, start=1):
        links = ([f'<{base}&page={number + 1}>; rel="next"'] if number < len(pages) else []) + [
            f'<{base}&page={len(pages)}>; rel="last"']
        exchanges.append(answer("GET", f"/app/installations?per_page=100&page={number}", 200,
                                page, Link=", ".join(links)))
    for item in installations:
        account = item["account"]["login"]
        if item["suspended_at"]:
            continue
        exchanges.append(answer("POST", f"/app/installations/{item['id']}/access_tokens", 201, {
            "token": token_for(account), "expires_at": "2026-11-01T10:00:00Z",
            "permissions": item["permissions"], "repository_selection": "selected"}))
        names = repos.get(account, [])
        exchanges.append(answer(
            "GET", "/installation/repositories?per_page=100", 200,
            {"total_count": len(names), "repository_selection": "selected",
             "repositories": [{"full_name": n, "name": n.split("/")[1],
                               "owner": {"login": account}, "private": True} for n in names]},
            request_headers={"Authorization": f"token {token_for(account)}"},
            X_RateLimit_Limit="5950", X_RateLimit_Remaining="5949"))
    return exchanges


def endpoint_exchanges(repo: str, permissions: dict[str, str]) -> list[dict[str, Any]]:
    account = repo.split("/")[0]
    auth = {"Authorization": f"token {token_for(account)}"}
    forbidden = {"message": "Resource not accessible by integration", "documentation_url": DOCS}
    if permissions.get("deployments") != "read":
        deployments = answer("GET", f"/repos/{repo}/deployments?per_page=1", 403, forbidden, auth,
                             X_Accepted_GitHub_Permissions="deployments=read")
        statuses = []
    else:
        deployments = answer("GET", f"/repos/{repo}/deployments?per_page=1", 200, [
            {"id": 315601644, "sha": "a1b2c3d", "ref": "main", "environment": "production",
             "production_environment": True}], auth)
        statuses = [answer("GET", f"/repos/{repo}/deployments/315601644/statuses", 200, [
            {"id": 443011, "state": "success", "environment": "production"}], auth)]
    environments = answer("GET", f"/repos/{repo}/environments", 200, {
        "total_count": 1, "environments": [{"id": 161088068, "name": "production"}]}, auth)
    return [deployments, *statuses, environments]


def scenario(description: str, pki: Pki, *, installations: list[dict[str, Any]] | None = None,
             repos: dict[str, list[str]] | None = None, key: str = "key:rsa-2048",
             expect: list[tuple[str, str, str]], ghes: bool = False,
             **options: Any) -> dict[str, Any]:
    installations = installations if installations is not None else [
        installation(1, "acme", READ), installation(2, "globex", READ)]
    repos = repos if repos is not None else {"acme": ["acme/api"], "globex": ["globex/web"]}
    exchanges = app_exchanges(installations, repos, **options)
    visible = [name for item in installations for name in repos.get(item["account"]["login"], [])
               if not item["suspended_at"]]
    if visible and options.get("app_status", 200) == 200:
        owner = next(i for i in installations if i["account"]["login"] == visible[0].split("/")[0])
        exchanges += endpoint_exchanges(visible[0], owner["permissions"])
    host = "github.example.com" if ghes else "api.github.com"
    chain = pki.public_chain(host, now=RECORDED)
    data: dict[str, Any] = {
        "schema": 1, "connector": "github-app", "description": description,
        "recorded_at": f"{RECORDED:%Y-%m-%dT%H:%M:%SZ}",
        "target": "https://github.example.com" if ghes else "https://github.com",
        "env": {"CONNECTOR_GITHUB_APP_ID": APP_ID},
        "credentials": {"CONNECTOR_GITHUB_APP_PRIVATE_KEY": key},
        "trust": {"public_roots": [pki.public_root.pem]},
        "dns": {host: {"A": [IPV4], "AAAA": {"error": "no_answer"}, "elapsed_s": 0.01}},
        "tcp": {f"{IPV4}:443": {"elapsed_s": 0.02}},
        "tls": {f"{host}:443": {"version": "TLSv1.3", "cipher": "TLS_AES_128_GCM_SHA256",
                                "chain": list(chain.pems), "elapsed_s": 0.04}},
        "http": exchanges,
        "expect": [{"check": c, "outcome": o, "reason": r} for c, o, r in expect],
    }
    if ghes:
        for exchange in exchanges:
            exchange["request"]["url"] = exchange["request"]["url"].replace(
                API, "https://github.example.com/api/v3")
            link = exchange["response"]["headers"].get("Link")
            if link:
                exchange["response"]["headers"]["Link"] = link.replace(
                    API, "https://github.example.com/api/v3")
            exchange["response"]["headers"]["X-GitHub-Enterprise-Version"] = "3.14.2"
    return data


def build() -> dict[str, dict[str, Any]]:
    pki = Pki.create(now=RECORDED)
    ghes_read = {**READ, "organization_administration": "read"}
    many = [installation(n, f"team-{n:03}", READ) for n in range(1, 151)]
    return {
        "healthy": scenario("The app is installed on two organizations with exactly the "
                            "permissions the vendor needs.", pki, expect=[]),
        "ghes-healthy": scenario(
            "The app lives on GitHub Enterprise Server, with organization administration too.",
            pki, ghes=True, installations=[installation(1, "acme", ghes_read)],
            repos={"acme": ["acme/api"]}, expect=[]),
        "not-installed": scenario(
            "The app was created but never installed.", pki, installations=[], repos={},
            expect=[("app.installed[123456]", "failed", "app.not_installed")]),
        "missing-permission": scenario(
            "The acme installation lacks Deployments: Read-only.", pki,
            installations=[installation(1, "acme", {k: v for k, v in READ.items()
                                                    if k != "deployments"}),
                           installation(2, "globex", READ)],
            expect=[("app.permission[acme:deployments]", "failed", "app.permission_missing"),
                    ("app.endpoint[acme/api:deployments]", "failed", "app.endpoint_forbidden"),
                    ("app.endpoint[acme/api:deployment_statuses]", "skipped",
                     "prerequisite.failed")]),
        "suspended": scenario(
            "An owner suspended the globex installation.", pki,
            installations=[installation(1, "acme", READ),
                           installation(2, "globex", READ, suspended=True)],
            expect=[("app.installation_active[globex]", "failed", "app.suspended"),
                    ("app.repositories[globex]", "skipped", "prerequisite.failed")]),
        "no-repositories": scenario(
            "The acme installation was set to selected repositories, with none selected.", pki,
            repos={"acme": [], "globex": ["globex/web"]},
            expect=[("app.repositories[acme]", "failed", "app.no_resources")]),
        "wrong-key": scenario(
            "The private key belongs to another app.", pki,
            app_status=401, app_message="A JSON web token could not be decoded",
            expect=[("app.credentials[123456]", "failed", "app.invalid_credentials"),
                    ("app.installed[123456]", "skipped", "prerequisite.failed")]),
        "ec-key": scenario(
            "An EC key was given instead of the app's RSA key.", pki, key="key:ec-p256",
            expect=[("app.private_key[123456]", "failed", "app.private_key_needed"),
                    ("app.credentials[123456]", "skipped", "prerequisite.failed"),
                    ("app.installed[123456]", "skipped", "prerequisite.failed")]),
        "clock-skew": scenario(
            "This machine's clock ran five minutes fast; GitHub rejects the JWT's iat.", pki,
            meta_shift=timedelta(minutes=-5), app_status=401,
            app_message="'Issued at' claim ('iat') must be an Integer representing the time "
                        "that the assertion was issued",
            expect=[("app.clock[api.github.com]", "failed", "app.clock_skew"),
                    ("app.credentials[123456]", "failed", "app.clock_skew"),
                    ("app.installed[123456]", "skipped", "prerequisite.failed")]),
        "many-installations": scenario(
            "The app is installed on 150 organizations (two pages of installations).", pki,
            installations=many, repos={i["account"]["login"]: [f"{i['account']['login']}/svc"]
                                       for i in many},
            expect=[]),
    }
