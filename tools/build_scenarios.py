"""Writes the bundled offline scenarios into each connector's folder, scenarios/NAME/ (run:
python -m tools.build_scenarios).

The scenarios describe a fictional internet: github.example.com at example.com's public
addresses, certificates from "Example Public Root CA", which each scenario declares as its
public root (trust.public_roots). Response headers and bodies follow the recorded GitHub
exchanges in tests/recordings/. No private key and no real token is written.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from tests.pki import PUBLIC_ISSUER_URL, Chain, Pki, issue
from tools.world import IPV4, IPV6, RECORDED

HOST, ORG, VERSION = "github.example.com", "acme", "3.14.2"
TARGET = f"https://{HOST}"
SCOPES = "admin:org, admin:org_hook, admin:repo_hook, repo, user"
ROOT = Path(__file__).resolve().parent.parent


def github_headers(**extra: str) -> dict[str, str]:
    headers = {
        "Server": "GitHub.com",
        "Date": f"{RECORDED:%a, %d %b %Y %H:%M:%S GMT}",
        "Content-Type": "application/json; charset=utf-8",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Enterprise-Version": VERSION,
        "X-GitHub-Request-Id": "C0DE:1F2E:3A4B5C:6D7E8F:6724A1B0",
    }
    headers.update({name.replace("_", "-"): value for name, value in extra.items()})
    return headers


def exchange(method: str, path: str, status: int, body: Any, **headers: str) -> dict[str, Any]:
    return {"request": {"method": method, "path": path},
            "response": {"status": status, "headers": github_headers(**headers), "json": body}}


META = {"verifiable_password_authentication": True, "installed_version": VERSION,
        "hooks": [], "git": [], "pages": [], "importer": [], "actions": [], "dependabot": []}
USER = {"login": "flow-service", "id": 42, "type": "User", "site_admin": False,
        "name": "Flow service account"}


def membership(role: str, state: str) -> dict[str, Any]:
    return {"url": f"{TARGET}/api/v3/orgs/{ORG}/memberships/flow-service", "state": state,
            "role": role, "organization_url": f"{TARGET}/api/v3/orgs/{ORG}",
            "organization": {"login": ORG, "id": 7}, "user": {"login": "flow-service", "id": 42}}


def api(scopes: str | None = SCOPES, role: str = "admin", state: str = "active",
        user_status: int = 200, user_url: str | None = None) -> list[dict[str, Any]]:
    scope_headers = {} if scopes is None else {"X_OAuth_Scopes": scopes,
                                               "X_Accepted_OAuth_Scopes": ""}
    if user_status == 401:
        user = exchange("GET", "/api/v3/user", 401,
                        {"message": "Bad credentials", "documentation_url":
                         "https://docs.github.com/enterprise-server@3.14/rest"})
    else:
        user = exchange("GET", "/api/v3/user", 200,
                        USER | ({"url": user_url} if user_url else {}), **scope_headers)
    return [
        exchange("GET", "/api/v3/meta", 200, META),
        user,
        exchange("GET", f"/api/v3/user/memberships/orgs/{ORG}", 200, membership(role, state),
                 **scope_headers),
        exchange("POST", "/login/oauth/access_token", 200, {
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
            "error_uri": "https://docs.github.com/enterprise-server@3.14/apps/managing-oauth-apps/"
                         "troubleshooting-oauth-app-access-token-request-errors/"
                         "#bad-verification-code"}),
    ]


def scenario(name: str, description: str, pki: Pki, chain: Chain, *,
             expect: list[tuple[str, str, str]], http: list[dict[str, Any]] | None = None,
             dns: dict[str, Any] | None = None, tcp: dict[str, Any] | None = None,
             credentials: dict[str, str] | None = None, ca_bundle: bool = False,
             public_roots: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": 1,
        "connector": "ghes",
        "description": description,
        "recorded_at": f"{RECORDED:%Y-%m-%dT%H:%M:%SZ}",
        "target": TARGET,
        "org": ORG,
        "credentials": credentials if credentials is not None else {
            "CONNECTOR_GHES_TOKEN": "ghp_", "CONNECTOR_GHES_OAUTH_CLIENT_ID": "Iv1.",
            "CONNECTOR_GHES_OAUTH_CLIENT_SECRET": ""},
        "trust": {"public_roots": public_roots or [pki.public_root.pem]}
        | ({"ca_bundle": [pki.private_root.pem]} if ca_bundle else {}),
        "dns": dns or {HOST: {"A": [IPV4], "AAAA": [IPV6], "elapsed_s": 0.012}},
        "tcp": tcp or {f"{IPV4}:443": {"elapsed_s": 0.021}, f"[{IPV6}]:443": {"elapsed_s": 0.024}},
        "tls": {f"{HOST}:443": {"version": "TLSv1.3", "cipher": "TLS_AES_128_GCM_SHA256",
                                "chain": list(chain.pems), "elapsed_s": 0.043}},
        "http": http if http is not None else api(),
        "expect": [{"check": check, "outcome": outcome, "reason": reason}
                   for check, outcome, reason in expect],
    }
    data.update(extra)
    return data


PROXY = "http://127.0.0.1:3128"


def proxied(status: int, reason: str, headers: dict[str, str], body: str = "",
            chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """A run through this network's forward proxy (at 127.0.0.1:3128 here), which answered
    CONNECT as given."""
    answer: dict[str, Any] = {"proxy": PROXY, "address": "127.0.0.1", "port": 3128,
                              "status": status, "reason": reason, "headers": headers,
                              "elapsed_s": 0.004}
    if body:
        answer["body"] = body
    if chain:
        answer["version"] = "TLSv1.3"
        answer["chain"] = list(chain)
    return {"proxy_for": {f"{HOST}:443": PROXY}, "proxy": {f"{HOST}:443": answer},
            "tcp": {f"{IPV4}:443": {"elapsed_s": 0.021}, f"[{IPV6}]:443": {"elapsed_s": 0.024},
                    "127.0.0.1:3128": {"elapsed_s": 0.001}}}


def blocked(cause: str, checks: list[str]) -> list[tuple[str, str, str]]:
    return [(check, "skipped", "prerequisite.failed") for check in checks]


API_CHECKS = ["api.reachable[https://github.example.com/api/v3]", "auth.token[ghes]",
              *(f"scopes.granted[{s}]" for s in
                ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook", "user",
                 "read:user")),
              "org.owner[acme]", "oauth.client[ghes]", "api.links[https://github.example.com/api/v3]",
              "api.headers[ghes]"]


def build() -> dict[str, dict[str, Any]]:
    pki = Pki.create(now=RECORDED)
    good = pki.public_chain(HOST, now=RECORDED)
    expired = pki.public_chain(HOST, now=RECORDED, not_before=RECORDED - timedelta(days=400),
                               not_after=RECORDED - timedelta(days=3))
    private = Chain(issue(HOST, pki.private_root, sans=(HOST,), now=RECORDED), ())
    private = Chain(private.leaf, (private.leaf,))
    home_root = issue("Home Made Root CA", ca=True, critical_constraints=False, now=RECORDED)
    home_ca = issue("Home Made Issuing CA", home_root, ca=True, critical_constraints=False,
                    authority_key_id=False, now=RECORDED)
    home_leaf = issue(HOST, home_ca, sans=(HOST,), authority_key_id=False, usages=None,
                      now=RECORDED)
    home_made = Chain(home_leaf, (home_leaf, home_ca))
    inspection_ca = issue("Corp TLS Inspection CA", ca=True, now=RECORDED)
    inspected_leaf = issue(HOST, inspection_ca, sans=(HOST,), now=RECORDED)
    inspected = Chain(inspected_leaf, (inspected_leaf, inspection_ca))
    fine_grained_http = api(scopes=None)
    fine_grained_http[1]["response"]["headers"].update({
        "x-accepted-github-permissions": "allows_permissionless_access=true",
        "github-authentication-token-expiration": "2027-01-30 10:06:09 UTC"})
    return {
        "healthy": scenario(
            "healthy", "Everything the GHES guide asks for is in place.", pki, good, expect=[]),
        "private-ca": scenario(
            "private-ca", "The certificate comes from the company's internal CA (known to this "
            "network through its CA bundle); the vendor will not trust it.", pki, private,
            ca_bundle=True,
            expect=[("tls.public_ca[github.example.com:443]", "failed", "tls.untrusted_root")]),
        "firewall-blocked": scenario(
            "firewall-blocked", "A firewall drops connections to port 443: the vendor's IPs are "
            "not allowlisted.", pki, good,
            tcp={f"{IPV4}:443": {"error": "timeout", "detail":
                                 "no answer to the connection attempt within 5 s",
                                 "elapsed_s": 5.0},
                 f"[{IPV6}]:443": {"error": "timeout", "detail":
                                   "no answer to the connection attempt within 5 s",
                                   "elapsed_s": 5.0}},
            expect=[(f"tcp.reachable[{IPV4}:443]", "failed", "tcp.timeout"),
                    (f"tcp.reachable[[{IPV6}]:443]", "failed", "tcp.timeout"),
                    *blocked("tcp", ["tls.handshake[github.example.com:443]",
                                     "tls.public_ca[github.example.com:443]",
                                     "tls.hostname[github.example.com:443]", *API_CHECKS])]),
        "missing-scopes": scenario(
            "missing-scopes", "The token was created with repo and read:org only.", pki, good,
            http=api(scopes="read:org, repo"),
            expect=[(f"scopes.granted[{s}]", "failed", "scopes.missing") for s in
                    ("admin:org", "admin:repo_hook", "admin:org_hook", "user", "read:user")]),
        "not-owner": scenario(
            "not-owner", "The service account is a member, not an owner, of the organization.",
            pki, good, http=api(role="member"),
            expect=[("org.owner[acme]", "warning", "org.not_owner")]),
        "fine-grained-token": scenario(
            "fine-grained-token", "A fine-grained token was given; it carries no OAuth scopes.",
            pki, good, http=fine_grained_http,
            credentials={"CONNECTOR_GHES_TOKEN": "github_pat_"},
            expect=[*((f"scopes.granted[{s}]", "failed", "scopes.unverifiable") for s in
                      ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook",
                       "user", "read:user")),
                    ("oauth.client[ghes]", "skipped", "not_applicable")]),
        "bad-credentials": scenario(
            "bad-credentials", "The token was revoked or mistyped: the server answers 401.",
            pki, good, http=api(user_status=401),
            expect=[("auth.token[ghes]", "failed", "auth.invalid_credentials"),
                    *blocked("auth", [c for c in API_CHECKS
                                      if c.startswith(("scopes", "org", "api.headers"))])]),
        "expired-certificate": scenario(
            "expired-certificate", "The server's certificate expired three days ago.",
            pki, expired,
            expect=[("tls.public_ca[github.example.com:443]", "failed", "tls.expired"),
                    *blocked("tls", API_CHECKS)]),
        "incomplete-chain": scenario(
            "incomplete-chain", "The server sends its certificate without the intermediate; "
            "the CA publishes it at the certificate's AIA URL, where it was fetched.", pki,
            Chain(good.leaf, (good.leaf,)),
            http=[*api(), {"request": {"method": "GET", "url": PUBLIC_ISSUER_URL},
                           "response": {"status": 200,
                                        "headers": {"Content-Type": "application/pkix-cert"},
                                        "base64": base64.b64encode(
                                            pki.public_intermediate.cert.public_bytes(
                                                serialization.Encoding.DER)).decode()}}],
            expect=[("tls.public_ca[github.example.com:443]", "failed", "tls.incomplete_chain"),
                    *blocked("tls", API_CHECKS)]),
        "nonconformant-chain": scenario(
            "nonconformant-chain", "The certificate's issuing CA was made the way `openssl` "
            "makes one from a typical guide (basicConstraints not marked critical, no "
            "authorityKeyIdentifier): OpenSSL accepts it, strict Web PKI verifiers do not.",
            pki, home_made, public_roots=[pki.public_root.pem, home_root.pem],
            expect=[("tls.public_ca[github.example.com:443]", "warning",
                     "tls.nonconformant")]),
        "proxy-auth-required": scenario(
            "proxy-auth-required", "This network's forward proxy wants credentials (407) and "
            "offers only NTLM and Negotiate; none were given in HTTPS_PROXY.", pki, good,
            **proxied(407, "Proxy Authentication Required",
                      {"proxy-authenticate": "NTLM, Negotiate", "server": "squid/6.9"}),
            expect=[("proxy.tunnel[github.example.com:443]", "failed", "proxy.auth_required"),
                    *blocked("proxy", ["proxy.tls[github.example.com:443]", *API_CHECKS])]),
        "proxy-refused": scenario(
            "proxy-refused", "This network's forward proxy refuses CONNECT to the server by "
            "policy (403) and says why on its page.", pki, good,
            **proxied(403, "Forbidden", {"content-type": "text/html", "server": "Zscaler/6.2"},
                      "<html><body><h1>Website blocked</h1><p>Not allowed to browse "
                      "Developer Tools category</p></body></html>"),
            expect=[("proxy.tunnel[github.example.com:443]", "failed", "proxy.refused"),
                    *blocked("proxy", ["proxy.tls[github.example.com:443]", *API_CHECKS])]),
        "proxy-tls-inspection": scenario(
            "proxy-tls-inspection", "This network's forward proxy inspects TLS: through it, "
            "the server presents a certificate from the proxy's own CA.", pki, good,
            **proxied(200, "Connection established", {}, chain=inspected.pems),
            expect=[("proxy.tls[github.example.com:443]", "failed", "proxy.tls_inspection"),
                    *blocked("proxy", API_CHECKS)]),
        "reverse-proxy-links": scenario(
            "reverse-proxy-links", "A reverse proxy publishes the server under its public "
            "name, but the server still names its internal host in the API's links.", pki,
            good, http=api(user_url="https://ghes.corp.internal/api/v3/users/flow-service"),
            expect=[("api.links[https://github.example.com/api/v3]", "failed",
                     "api.foreign_links")]),
        "headers-stripped": scenario(
            "headers-stripped", "A reverse proxy in front of the server drops GitHub's "
            "X-OAuth-Scopes header: a classic token looks scopeless.", pki, good,
            http=api(scopes=None),
            expect=[*((f"scopes.granted[{s}]", "failed", "api.headers_stripped") for s in
                      ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook",
                       "user", "read:user")),
                    ("api.headers[ghes]", "failed", "api.headers_stripped")]),
        "dangling-cname": scenario(
            "dangling-cname", "The server's name is an alias (CNAME) of a load balancer name "
            "that was removed.", pki, good,
            dns={HOST: {"A": {"error": "nxdomain", "detail": "ghes-lb.example.net does not "
                                                            "exist"},
                        "AAAA": {"error": "nxdomain", "detail": "ghes-lb.example.net does not "
                                                               "exist"},
                        "CNAME": ["ghes-lb.example.net"], "elapsed_s": 0.014}},
            tcp={},
            expect=[("dns.resolves[github.example.com]", "failed", "dns.dangling_cname"),
                    ("dns.public[github.example.com]", "skipped", "prerequisite.failed"),
                    ("tcp.reachable[github.example.com:443]", "skipped", "prerequisite.failed"),
                    *blocked("dns", ["tls.handshake[github.example.com:443]",
                                     "tls.public_ca[github.example.com:443]",
                                     "tls.hostname[github.example.com:443]", *API_CHECKS])]),
        **webhook_scenarios(pki, good),
        "private-dns": scenario(
            "private-dns", "The name resolves to an internal address only; public DNS does "
            "not know it.", pki, good,
            dns={HOST: {"A": ["10.20.0.15"], "AAAA": {"error": "no_answer"}}},
            tcp={"10.20.0.15:443": {"elapsed_s": 0.002}},
            expect=[("dns.public[github.example.com]", "failed", "dns.private_address")]),
    }


VENDOR = "https://hooks.vendor.example/github"
WEBHOOK = {"--ghes-webhook-url": VENDOR}
HOOKS = f"/api/v3/orgs/{ORG}/hooks?per_page=100"
DELIVERIES = f"/api/v3/orgs/{ORG}/hooks/11/deliveries?per_page=30"


def webhook_http(hooks: list[dict[str, Any]] | None = None,
                 deliveries: list[dict[str, Any]] | None = None, role: str = "admin",
                 listing: int = 200) -> list[dict[str, Any]]:
    """The API of the healthy scenario, and the organization's webhooks: GitHub's REST API
    ("Organization webhooks", "List deliveries for an organization webhook")."""
    from tests.servers import delivery, hook

    hooks = hooks if hooks is not None else [hook(10, "https://ci.example.org/hooks/github"),
                                             hook(11)]
    answers = api(role=role)
    if role != "admin":
        return answers
    answers.append(exchange("GET", HOOKS, listing, hooks if listing == 200 else {
        "message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
        X_OAuth_Scopes=SCOPES, X_Accepted_OAuth_Scopes="admin:org_hook"))
    if listing == 200 and any(h["id"] == 11 for h in hooks):
        found = deliveries if deliveries is not None else [
            delivery(n, f"2026-10-31T{20 - n}:00:00Z") for n in range(3)]
        answers.append(exchange("GET", DELIVERIES, 200, found, X_OAuth_Scopes=SCOPES,
                                X_Accepted_OAuth_Scopes="admin:org_hook"))
    return answers


def failing(status: str, code: int) -> list[dict[str, Any]]:
    """Recent deliveries whose newest two failed as given, after a success."""
    from tests.servers import delivery

    return [delivery(0, "2026-10-31T20:00:00Z", status, code),
            delivery(1, "2026-10-31T19:00:00Z", status, code),
            delivery(2, "2026-10-30T19:00:00Z")]


def webhook_scenarios(pki: Pki, good: Chain) -> dict[str, dict[str, Any]]:
    """The vendor's webhook, each verdict of the webhook checks (run with --ghes-webhook-url,
    recorded with the scenario)."""
    from tests.servers import hook

    config, deliveries = "webhook.config[acme/hooks/11]", "webhook.deliveries[acme/hooks/11]"
    profile = (ROOT / "checks/connectors/github/profiles/flow-ghes.toml").read_text().replace(
        "[webhook]\n", f'[webhook]\nurl = "{VENDOR}"\nevents = ["push", "pull_request", '
                       f'"issues"]\n')

    def made(name: str, description: str, expect: list[tuple[str, str, str]],
             **extra: Any) -> dict[str, Any]:
        return scenario(name, description, pki, good, expect=expect, options=WEBHOOK, **extra)

    delivery_failures = {
        "webhook-timeouts": ("timed out", 0, "webhook.delivery_timeout",
                             "Deliveries time out: the appliance's outbound traffic to the "
                             "vendor is dropped."),
        "webhook-refused": ("failed to connect to network", 0, "webhook.delivery_refused",
                            "The vendor's endpoint (or a firewall) refuses the appliance's "
                            "connections."),
        "webhook-vendor-5xx": ("Invalid HTTP Response: 503", 503,
                               "webhook.delivery_vendor_error",
                               "The vendor's endpoint answers 503."),
        "webhook-untrusted-certificate": (
            "Peer certificate cannot be authenticated with given CA certificates", 0,
            "webhook.delivery_untrusted_certificate",
            "A TLS-inspecting proxy on the appliance's way out: the appliance does not trust "
            "the certificate it is shown for the vendor."),
    }
    built = {
        "webhook-healthy": made(
            "webhook-healthy", "The vendor's webhook is installed, set up to work, and its "
            "recent deliveries reached the vendor.", [], http=webhook_http()),
        "webhook-missing": made(
            "webhook-missing", "The organization has webhooks, none of them the vendor's: no "
            "repository was imported yet.",
            [("webhook.present[acme]", "failed", "webhook.missing")],
            http=webhook_http([hook(10, "https://ci.example.org/hooks/github")])),
        "webhook-inactive": made(
            "webhook-inactive", "The vendor's webhook was deactivated.",
            [(config, "failed", "webhook.inactive")],
            http=webhook_http([hook(11, active=False)])),
        "webhook-wrong-events": made(
            "webhook-wrong-events", "The vendor (by its profile) needs issues events; its "
            "webhook is not subscribed to them.",
            [(config, "failed", "webhook.events_missing")], http=webhook_http(),
            profile={"name": "flow-ghes", "toml": profile.replace(
                'name = "flow-ghes"', 'name = "flow-ghes-webhook-events"').replace(
                "# The guide names no webhook URL: the webhook checks run with "
                "--ghes-webhook-url.\n", "# The vendor's webhook, as this scenario's vendor "
                "gives it.\n")} | {"name": "flow-ghes-webhook-events"}),
        "webhook-tls-off": made(
            "webhook-tls-off", "The vendor's webhook has SSL verification disabled.",
            [(config, "warning", "webhook.tls_unverified")],
            http=webhook_http([hook(11, insecure_ssl="1")])),
        "webhook-not-owner": made(
            "webhook-not-owner", "The service account is a member: the organization's "
            "webhooks are not visible to it, and the webhook checks are not run.",
            [("org.owner[acme]", "warning", "org.not_owner"),
             ("webhook.present[acme]", "skipped", "prerequisite.failed")],
            http=webhook_http(role="member")),
    }
    for name, (status, code, reason, description) in delivery_failures.items():
        built[name] = made(name, description, [(deliveries, "failed", reason)],
                           http=webhook_http(deliveries=failing(status, code)))
    return built


HTTP_ELAPSED_S = 0.045  # each built answer's duration, as a recording holds a real one


def main() -> None:
    from checks.connectors import get_connector
    from tools.github_app_scenarios import build as build_github_app
    from tools.token_scenarios import github_scenarios, gitlab_scenarios

    pki = Pki.create(now=RECORDED)
    every = (("ghes", build()), ("github-app", build_github_app()),
             ("github", github_scenarios(pki)), ("gitlab", gitlab_scenarios(pki)))
    for connector, scenarios in every:
        for name, data in scenarios.items():
            for exchange in data.get("http", []):  # how long each answer took, as recorded
                exchange["response"].setdefault("elapsed_s", HTTP_ELAPSED_S)
            path = get_connector(connector).scenarios / f"{name}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
