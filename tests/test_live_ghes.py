"""Live runs of the ghes connector against real servers on loopback: every case the
requirements name, each giving its requirement, outcome and reason."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.conftest import HOST, Runner, Site, fake_token
from tests.pki import NOW, Chain, issue, reissue_with_sha1
from tests.servers import (
    Account,
    Listener,
    filtered_port,
    https_server,
    refused_port,
    serve_https,
    server_context,
    silent_server,
)

API = f"api.reachable[https://{HOST}/api/v3]"
HERE = f"{HOST}:443"
API_AND_AFTER = [API, "auth.token[ghes]", "scopes.granted[repo]", "org.owner[acme]"]

Expected = dict[str, tuple[str, str | None]]
Setup = Callable[[Site], list[str]]


def _healthy(site: Site) -> list[str]:
    return site.args(site.https())


def _zone(zone: dict[str, object]) -> Setup:
    return lambda site: site.args(site.https(), site.dns(zone))


def _public_zone(zone: dict[str, object]) -> Setup:
    def setup(site: Site) -> list[str]:
        return [*site.args(site.https()), "--public-resolver", site.dns(zone, "127.0.0.2")]

    return setup


def _chain(make: Callable[[Site], Chain], *extra: str, **server: object) -> Setup:
    def setup(site: Site) -> list[str]:
        chain = make(site)
        extra_args = [str(site.directory / f"{a.lower()}.pem") if a in ("PRIVATE", "HOME")
                      else a for a in extra]
        (site.directory / "private.pem").write_text(site.pki.private_root.pem)
        return site.args(site.https(chain, **server), None, *extra_args)

    return setup


def _home_made(site: Site, public: bool = False) -> Chain:
    """A CA made the way `openssl` makes one from a typical guide (badssl.com's Makefile
    among them): basicConstraints CA:TRUE not marked critical, no authorityKeyIdentifier, no
    EKU on the leaf. Its root is written to home.pem, and with ``public`` added to the public
    roots."""
    root = issue("Home Made Root CA", ca=True, critical_constraints=False)
    intermediate = issue("Home Made Issuing CA", root, ca=True, critical_constraints=False,
                         authority_key_id=False)
    leaf = issue(HOST, intermediate, sans=(HOST,), authority_key_id=False, usages=None)
    (site.directory / "home.pem").write_text(root.pem)
    if public:
        site.roots.write_text(site.pki.public_root.pem + root.pem)
    return Chain(leaf, (leaf, intermediate))


def _listener(start: Callable[[], AbstractContextManager[Listener]]) -> Setup:
    def setup(site: Site) -> list[str]:
        listener = site.stack.enter_context(start())
        return site.args(listener.port)

    return setup


def _plain_http(site: Site) -> list[str]:
    return site.args(site.stack.enter_context(https_server(site.world, None)).port)


def _world(change: Callable[[Site], None], *extra: str) -> Setup:
    def setup(site: Site) -> list[str]:
        change(site)
        return site.args(site.https(), None, *extra)

    return setup


def _account(site: Site, **fields: object) -> None:
    account = site.world.accounts[site.token]
    for name, value in fields.items():
        setattr(account, name, value)


def _no_token(site: Site) -> None:
    site.monkeypatch.delenv("CONNECTOR_GHES_TOKEN")


def _fine_grained(site: Site) -> None:
    token = fake_token("github_pat_")
    site.world.accounts[token] = Account("flow-service", None, {"acme": ("admin", "active")})
    site.monkeypatch.setenv("CONNECTOR_GHES_TOKEN", token)


def _without_token(setup: Setup) -> Setup:
    def without(site: Site) -> list[str]:
        _no_token(site)
        return setup(site)

    return without


def _wrong_token(site: Site) -> None:
    site.monkeypatch.setenv("CONNECTOR_GHES_TOKEN", fake_token())


def _oauth(secret_ok: bool, both: bool = True) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        site.world.oauth_clients["Iv1.a1b2c3d4e5f6a7b8"] = "right-" + "y" * 34
        site.monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_ID", "Iv1.a1b2c3d4e5f6a7b8")
        if both:
            site.monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_SECRET",
                                    ("right-" if secret_ok else "wrong-") + "y" * 34)

    return change


def _meta(mode: str) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        site.world.meta = mode

    return change


PRIMARY_LIMIT = (403, {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": str(int(NOW.timestamp()) + 1800)},
                 {"message": "API rate limit exceeded for user ID 1.",
                  "documentation_url": "https://docs.github.com/rest/overview/"
                                       "resources-in-the-rest-api#rate-limiting"})
SECONDARY_LIMIT = (429, {"Retry-After": "60", "X-RateLimit-Remaining": "4990"},
                   {"message": "You have exceeded a secondary rate limit. Please wait a few "
                               "minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/"
                                         "rate-limits-for-the-rest-api"})
FORBIDDEN: tuple[int, dict[str, str], dict[str, str]] = (
    403, {}, {"message": "Resource protected by organization IP allow list.",
              "documentation_url": "https://docs.github.com/rest"})


def skipped(*checks: str) -> Expected:
    return dict.fromkeys(checks, ("skipped", "prerequisite.failed"))


CASES: dict[str, tuple[Setup, Expected]] = {
    # DNS
    "nxdomain": (_zone({}), {f"dns.resolves[{HOST}]": ("failed", "dns.nxdomain"),
                             **skipped(f"dns.public[{HOST}]")}),
    "servfail": (_zone({HOST: "servfail"}), {f"dns.resolves[{HOST}]": ("failed", "dns.servfail")}),
    "dns silence": (_zone({HOST: "silent"}), {f"dns.resolves[{HOST}]": ("failed", "dns.timeout")}),
    "a dangling cname": (_zone({HOST: {"CNAME": "ghes-lb.example.net"}}),
                         {f"dns.resolves[{HOST}]": ("failed", "dns.dangling_cname")}),
    "an alias that resolves": (_zone({HOST: {"CNAME": "ghes-lb.example.net"},
                                      "ghes-lb.example.net": {"A": ["93.184.215.14"]}}),
                               {f"dns.resolves[{HOST}]": ("passed", None),
                                "auth.token[ghes]": ("passed", None)}),
    "no address records": (_zone({HOST: {"A": [], "AAAA": []}}),
                           {f"dns.resolves[{HOST}]": ("failed", "dns.no_answer")}),
    "private answers": (_zone({HOST: {"A": ["10.1.2.3"], "AAAA": ["fd00::5"]}}),
                        {f"dns.resolves[{HOST}]": ("passed", None),
                         f"dns.public[{HOST}]": ("failed", "dns.private_address")}),
    "split horizon": (_public_zone({HOST: {"A": ["93.184.215.99"]}}),
                      {f"dns.public[{HOST}]": ("warning", "dns.split_horizon")}),
    "unknown to public dns": (_public_zone({}),
                              {f"dns.public[{HOST}]": ("failed", "dns.not_in_public_dns")}),
    # TLS
    "private ca known to the network": (
        _chain(lambda s: Chain(leaf := issue(HOST, s.pki.private_root, sans=(HOST,)), (leaf,)),
               "--ca-bundle", "PRIVATE"),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.untrusted_root"), API: ("passed", None),
         "auth.token[ghes]": ("passed", None)}),
    "private root sent by the server": (
        _chain(lambda s: Chain(leaf := issue(HOST, s.pki.private_root, sans=(HOST,)),
                               (leaf, s.pki.private_root))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.untrusted_root"), **skipped(*API_AND_AFTER)}),
    "expired": (_chain(lambda s: s.pki.public_chain(HOST, not_before=NOW - timedelta(days=400),
                                                    not_after=NOW - timedelta(days=1))),
                {f"tls.public_ca[{HERE}]": ("failed", "tls.expired"), **skipped(*API_AND_AFTER)}),
    "not yet valid": (_chain(lambda s: s.pki.public_chain(HOST, not_before=NOW + timedelta(days=2))),
                      {f"tls.public_ca[{HERE}]": ("failed", "tls.not_yet_valid")}),
    "self-signed": (_chain(lambda s: s.pki.self_signed(HOST)),
                    {f"tls.public_ca[{HERE}]": ("failed", "tls.self_signed"),
                     **skipped(*API_AND_AFTER)}),
    "wrong host": (_chain(lambda s: s.pki.public_chain("git.other.example")),
                   {f"tls.hostname[{HERE}]": ("failed", "tls.hostname_mismatch"),
                    f"tls.public_ca[{HERE}]": ("passed", None), **skipped(*API_AND_AFTER)}),
    "issuer neither sent nor known": (
        _chain(lambda s: Chain(leaf := issue(HOST, s.pki.private_root, sans=(HOST,)), (leaf,))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.unknown_issuer"), **skipped(*API_AND_AFTER)}),
    "private intermediate without its root": (
        _chain(lambda s: Chain(leaf := issue(HOST, ca := issue("Acme Issuing CA", s.pki.private_root,
                                                                ca=True), sans=(HOST,)),
                               (leaf, ca))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.untrusted_root"), **skipped(*API_AND_AFTER)}),
    "signed by a server certificate": (
        _chain(lambda s: Chain(leaf := issue(HOST, signer := issue(
            "build.example.com", s.pki.public_intermediate, sans=("build.example.com",)),
            sans=(HOST,)), (leaf, signer, s.pki.public_intermediate))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.not_a_ca"), **skipped(*API_AND_AFTER)}),
    "client authentication certificate": (
        _chain(lambda s: s.pki.public_chain(HOST, usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.wrong_purpose"), **skipped(*API_AND_AFTER)}),
    "no authority key identifier": (
        _chain(lambda s: s.pki.public_chain(HOST, authority_key_id=False)),
        {f"tls.public_ca[{HERE}]": ("warning", "tls.nonconformant"), API: ("passed", None),
         "auth.token[ghes]": ("passed", None)}),
    "a public chain made as openssl makes one": (
        _chain(lambda s: _home_made(s, public=True)),
        {f"tls.public_ca[{HERE}]": ("warning", "tls.nonconformant"), API: ("passed", None),
         "auth.token[ghes]": ("passed", None), "scopes.granted[repo]": ("passed", None)}),
    "a home-made corporate CA named with --ca-bundle": (
        _chain(_home_made, "--ca-bundle", "HOME"),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.untrusted_root"), API: ("passed", None),
         "auth.token[ghes]": ("passed", None), "scopes.granted[repo]": ("passed", None),
         "org.owner[acme]": ("passed", None)}),
    "a leaf without subjectAltName": (
        _chain(lambda s: Chain(leaf := issue(HOST, s.pki.public_intermediate),
                               (leaf, s.pki.public_intermediate))),
        {f"tls.public_ca[{HERE}]": ("passed", None),
         f"tls.hostname[{HERE}]": ("failed", "tls.hostname_mismatch")}),
    "behind tls inspection": (
        _chain(lambda s: Chain(leaf := issue(HOST, zscaler := issue(
            "Zscaler Intermediate Root CA", ca=True), sans=(HOST,)), (leaf, zscaler))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.intercepted"), **skipped(*API_AND_AFTER)}),
    "missing intermediate": (
        _chain(lambda s: Chain(leaf := s.pki.public_chain(HOST).leaf, (leaf,))),
        {f"tls.public_ca[{HERE}]": ("failed", "tls.incomplete_chain")}),
    "sha-1 signature": (_chain(lambda s: Chain(leaf := reissue_with_sha1(
        s.pki.public_chain(HOST).leaf, s.pki.public_intermediate, s.directory),
        (leaf, s.pki.public_intermediate))),
                        {f"tls.public_ca[{HERE}]": ("failed", "tls.weak_signature")}),
    "a fresh six-day certificate": (
        _chain(lambda s: s.pki.public_chain(HOST, not_before=NOW - timedelta(minutes=1),
                                            not_after=NOW + timedelta(days=6))),
        {f"tls.public_ca[{HERE}]": ("passed", None)}),
    "1024-bit rsa key": (_chain(lambda s: s.pki.public_chain(HOST, rsa_bits=1024)),
                         {f"tls.public_ca[{HERE}]": ("failed", "tls.weak_key")}),
    "two of ninety days left": (
        _chain(lambda s: s.pki.public_chain(HOST, not_before=NOW - timedelta(days=88),
                                            not_after=NOW + timedelta(days=2))),
        {f"tls.public_ca[{HERE}]": ("warning", "tls.expiring_soon"), API: ("passed", None)}),
    "tls 1.1 only": (_chain(lambda s: s.pki.public_chain(HOST), max_version=ssl.TLSVersion.TLSv1_1),
                     {f"tls.handshake[{HERE}]": ("failed", "tls.protocol_too_old"),
                      **skipped(f"tls.public_ca[{HERE}]", *API_AND_AFTER)}),
    "stalled handshake": (_listener(silent_server),
                          {f"tls.handshake[{HERE}]": ("failed", "tls.handshake_timeout")}),
    "plain http on the port": (_plain_http, {f"tls.handshake[{HERE}]": ("failed", "tls.not_tls")}),
    # API
    "captive portal": (_world(_meta("portal")),
                       {API: ("failed", "http.unexpected_response"),
                        **skipped("auth.token[ghes]")}),
    "redirect": (_world(_meta("redirect")), {API: ("failed", "http.redirected")}),
    "maintenance": (_world(_meta("error")), {API: ("failed", "http.server_error")}),
    "api hangs": (_world(_meta("hang")), {API: ("failed", "http.timeout")}),
    "no token, and the name does not resolve": (
        _without_token(_zone({})),
        {f"dns.resolves[{HOST}]": ("failed", "dns.nxdomain"),
         "auth.token[ghes]": ("failed", "auth.missing"),
         **skipped("scopes.granted[repo]", "org.owner[acme]")}),
    "no token": (_world(_no_token), {"auth.token[ghes]": ("failed", "auth.missing"),
                                     **skipped("scopes.granted[repo]", "org.owner[acme]")}),
    "wrong token": (_world(_wrong_token),
                    {"auth.token[ghes]": ("failed", "auth.invalid_credentials")}),
    "ip allow list": (_world(lambda s: _account(s, refusal=FORBIDDEN)),
                      {"auth.token[ghes]": ("failed", "auth.forbidden")}),
    "primary rate limit": (_world(lambda s: _account(s, refusal=PRIMARY_LIMIT)),
                           {"auth.token[ghes]": ("failed", "http.rate_limited")}),
    "secondary rate limit": (_world(lambda s: _account(s, refusal=SECONDARY_LIMIT)),
                             {"auth.token[ghes]": ("failed", "http.rate_limited")}),
    "missing scopes": (_world(lambda s: _account(s, scopes="read:org, repo")),
                       {"scopes.granted[repo]": ("passed", None),
                        "scopes.granted[read:org]": ("passed", None),
                        "scopes.granted[admin:org]": ("failed", "scopes.missing"),
                        "scopes.granted[read:user]": ("failed", "scopes.missing")}),
    "fine-grained token": (_world(_fine_grained),
                           {"scopes.granted[repo]": ("failed", "scopes.unverifiable"),
                            "api.headers[ghes]": ("passed", None)}),
    "a reverse proxy that leaves the internal host in links": (
        _world(lambda s: setattr(s.world, "link_host", "ghes.corp.internal")),
        {"api.links[https://github.example.com/api/v3]": ("failed", "api.foreign_links"),
         "auth.token[ghes]": ("passed", None)}),
    "a reverse proxy that drops X-OAuth-Scopes": (
        _world(lambda s: _account(s, scopes=None)),
        {"scopes.granted[repo]": ("failed", "api.headers_stripped"),
         "api.headers[ghes]": ("failed", "api.headers_stripped")}),
    "not a member": (_world(lambda s: _account(s, memberships={})),
                     {"org.owner[acme]": ("failed", "org.not_member")}),
    "invitation pending": (_world(lambda s: _account(s, memberships={"acme": ("admin", "pending")})),
                           {"org.owner[acme]": ("failed", "org.pending")}),
    "member, not owner": (_world(lambda s: _account(s, memberships={"acme": ("member", "active")})),
                          {"org.owner[acme]": ("warning", "org.not_owner")}),
    "wrong oauth secret": (_world(_oauth(secret_ok=False)),
                           {"oauth.client[ghes]": ("failed", "oauth.invalid_client")}),
    "oauth id without secret": (_world(_oauth(secret_ok=True, both=False)),
                                {"oauth.client[ghes]": ("failed", "oauth.incomplete")}),
    "oauth not configured": (_healthy, {"oauth.client[ghes]": ("skipped", "not_applicable")}),
}


@pytest.mark.parametrize(("setup", "expected"), CASES.values(), ids=CASES.keys())
def test_each_case_gives_its_requirement_outcome_and_reason(
    site: Site, run_connector: Runner, setup: Setup, expected: Expected
) -> None:
    run = run_connector(*setup(site))
    seen = {check: run.verdict(check) for check in expected}
    assert seen == expected, run.text
    failed = any(outcome == "failed" for outcome, _ in run.checks_outcomes())
    assert run.result.ret == (1 if failed else 0)
    assert run.report["summary"]["error"] == 0


def test_a_healthy_server_passes_every_check(site: Site, run_connector: Runner) -> None:
    _oauth(secret_ok=True)(site)
    run = run_connector(*site.args(site.https()))
    assert run.report["summary"] == {"passed": 19, "failed": 0, "warning": 0, "skipped": 0,
                                     "error": 0, "not_run": 0}, run.text
    assert run.result.ret == 0
    evidence = run.checks[API]["evidence"]
    assert (evidence["installed_version"], evidence["x_github_enterprise_version"]) == (
        "3.14.2", "3.14.2")
    assert run.checks[f"tls.public_ca[{HERE}]"]["evidence"]["chain"][0]["subject_alt_names"] == [HOST]


def test_every_resolved_address_is_connected_to_and_a_filtered_one_costs_one_timeout(
    site: Site, run_connector: Runner
) -> None:
    context = server_context(site.directory, site.pki.public_chain(HOST))
    port = site.stack.enter_context(https_server(site.world, context, "127.0.0.4")).port
    site.stack.enter_context(refused_port("127.0.0.2", port))
    site.stack.enter_context(filtered_port("127.0.0.3", port))
    zone = {HOST: {"A": ["127.0.0.2", "127.0.0.3", "127.0.0.4"], "AAAA": ["::1"]}}
    site.stack.enter_context(refused_port("::1", port))
    args = ["--target", f"https://{HOST}:{port}", "--resolver", site.dns(zone),
            "--public-roots", str(site.roots), "--check-timeout", "1", "--org", "acme"]
    run = run_connector(*args)
    assert {c: run.verdict(c) for c in [
        f"tcp.reachable[127.0.0.2:{port}]", f"tcp.reachable[127.0.0.3:{port}]",
        f"tcp.reachable[127.0.0.4:{port}]", f"tcp.reachable[[::1]:{port}]",
        f"dns.public[{HOST}]", f"tls.handshake[{HOST}:{port}]"]} == {
        f"tcp.reachable[127.0.0.2:{port}]": ("failed", "tcp.refused"),
        f"tcp.reachable[127.0.0.3:{port}]": ("failed", "tcp.timeout"),
        f"tcp.reachable[127.0.0.4:{port}]": ("passed", None),
        f"tcp.reachable[[::1]:{port}]": ("failed", "tcp.refused"),
        f"dns.public[{HOST}]": ("failed", "dns.private_address"),
        f"tls.handshake[{HOST}:{port}]": ("passed", None)}, run.text
    probed = [p for p in run.report["probes"] if "127.0.0.3" in p["target"]]
    assert [(p["kind"], p["target"], p["result"]) for p in probed] == [
        ("tcp", f"127.0.0.3:{port}", "timeout")]


def test_a_filtered_port_is_probed_once_and_everything_after_it_is_skipped(
    site: Site, run_connector: Runner
) -> None:
    listener = site.stack.enter_context(filtered_port())
    run = run_connector(*site.args(listener.port))
    kinds = [probe["kind"] for probe in run.report["probes"]]
    assert sorted(kinds) == ["dns", "tcp"]
    assert run.verdict(f"tcp.reachable[127.0.0.1:{listener.port}]") == ("failed", "tcp.timeout")
    skips = [c for c in run.report["checks"] if c["reason"] == "prerequisite.failed"]
    # tls.*, api, auth, scopes, org, and the API's links and headers
    assert len(skips) == 3 + len(API_AND_AFTER) + 6 + 2
    assert {c["evidence"]["blocked_by"] for c in skips} == {
        f"tcp.reachable[127.0.0.1:{listener.port}]"}
    # Not configured is not a network matter: it is said whatever the network does.
    assert run.verdict("oauth.client[ghes]") == ("skipped", "not_applicable")


def test_a_refused_port_names_reject_firewalls(site: Site, run_connector: Runner) -> None:
    listener = site.stack.enter_context(refused_port())
    run = run_connector(*site.args(listener.port))
    check = run.checks[f"tcp.reachable[127.0.0.1:{listener.port}]"]
    assert (check["reason"], "REJECT" in check["message"]) == ("tcp.refused", True)




def test_ssl_cert_file_does_not_change_what_counts_as_public(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = site.directory / "private-root.pem"
    private.write_text(site.pki.private_root.pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(private))
    monkeypatch.setenv("SSL_CERT_DIR", str(site.directory))
    leaf = issue(HOST, site.pki.private_root, sans=(HOST,))
    run = run_connector(*site.args(site.https(Chain(leaf, (leaf, site.pki.private_root)))))
    assert run.verdict(f"tls.public_ca[{HERE}]") == ("failed", "tls.untrusted_root")
    assert run.verdict(API) == ("skipped", "prerequisite.failed")


def test_a_missing_intermediate_is_fetched_from_its_aia_url_named_and_replayed(
    site: Site, run_connector: Runner, pytester: pytest.Pytester
) -> None:
    der = site.pki.public_intermediate.cert.public_bytes(serialization.Encoding.DER)
    published: list[str] = []

    class Publisher(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            published.append(f"{self.headers['Host']}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-cert")
            self.send_header("Content-Length", str(len(der)))
            self.end_headers()
            self.wfile.write(der)

    aia = site.stack.enter_context(serve_https(Publisher, None))
    leaf = site.pki.public_chain(HOST).leaf
    port = site.https(Chain(leaf, (leaf,)))
    run = run_connector(*site.args(port), "--connect-to",
                        f"crt.example-public-ca.test:80:127.0.0.1:{aia.port}")
    check = run.checks[f"tls.public_ca[{HERE}]"]
    assert (check["outcome"], check["reason"]) == ("failed", "tls.incomplete_chain")
    assert "The missing certificate is CN=Example Public TLS CA 1" in check["message"]
    assert "leads to a public root" in check["message"]
    assert "curl, Python, Java and the vendor's client" in check["message"]
    assert check["evidence"]["missing_intermediate"]["subject"].startswith(
        "CN=Example Public TLS CA 1")
    assert published == ["crt.example-public-ca.test/tls-ca-1.crt"]  # one request
    replayed = json.loads((pytester.path / "replayed" / "ghes.json").read_text())
    again = {c["id"]: c for c in replayed["checks"]}[f"tls.public_ca[{HERE}]"]
    assert again["message"] == check["message"]


def test_a_failed_aia_fetch_is_evidence_not_a_crash(site: Site, run_connector: Runner) -> None:
    closed = site.stack.enter_context(refused_port())
    leaf = site.pki.public_chain(HOST).leaf
    run = run_connector(*site.args(site.https(Chain(leaf, (leaf,)))), "--connect-to",
                        f"crt.example-public-ca.test:80:127.0.0.1:{closed.port}")
    check = run.checks[f"tls.public_ca[{HERE}]"]
    assert (check["outcome"], check["reason"]) == ("failed", "tls.incomplete_chain")
    assert "could not be fetched" in check["message"]
    assert check["evidence"]["aia_fetch"]["error"]


def test_a_dangling_cname_names_its_missing_target_and_the_record_to_fix(
    site: Site, run_connector: Runner
) -> None:
    zone = {HOST: {"CNAME": "ghes.example.net"}, "ghes.example.net": {"CNAME": "lb.example.net"}}
    run = run_connector(*site.args(site.https(), site.dns(zone)))
    check = run.checks[f"dns.resolves[{HOST}]"]
    assert check["evidence"]["cname_chain"] == [HOST, "ghes.example.net", "lb.example.net"]
    assert "lb.example.net does not exist" in check["message"]
    assert "the CNAME record of ghes.example.net points nowhere" in check["message"]
    assert "ghes.example.net" in check["remediation"]


def test_links_to_an_internal_host_are_named_with_where_they_were_seen(
    site: Site, run_connector: Runner
) -> None:
    site.world.link_host = "ghes.corp.internal"
    run = run_connector(*site.args(site.https()))
    check = run.checks["api.links[https://github.example.com/api/v3]"]
    assert "ghes.corp.internal" in check["message"] and "/api/v3/user" in check["message"]
    assert "Hostname" in check["remediation"]
