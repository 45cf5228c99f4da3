"""Live runs of the github-app connector against a loopback GitHub App API over TLS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import Runner, api_args
from tests.fake_github_app import AppWorld, Installation, app_handler
from tests.pki import Pki

APP_ID = "123456"
API_HOST = "api.github.com"  # the default target's API host; reached only through --connect-to
READ = dict.fromkeys(("actions", "deployments", "issues", "members", "metadata", "pull_requests"), "read")


@dataclass(frozen=True)
class Keys:
    app: rsa.RSAPrivateKey
    other: rsa.RSAPrivateKey
    short: rsa.RSAPrivateKey
    elliptic: ec.EllipticCurvePrivateKey


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048),
                rsa.generate_private_key(65537, 1024), ec.generate_private_key(ec.SECP256R1()))


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, traditional: bool = False,
        password: bytes | None = None) -> str:
    form = (serialization.PrivateFormat.TraditionalOpenSSL if traditional
            else serialization.PrivateFormat.PKCS8)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, form, encryption).decode()


@dataclass
class AppSite:
    pki: Pki
    keys: Keys
    directory: Path
    stack: ExitStack
    monkeypatch: pytest.MonkeyPatch
    world: AppWorld = field(init=False)

    def __post_init__(self) -> None:
        self.world = AppWorld(APP_ID, self.keys.app.public_key(), [
            Installation(1, "acme", dict(READ), ["acme/api"]),
            Installation(2, "globex", dict(READ), ["globex/web"])])
        self.key_text(pem(self.keys.app, traditional=True))
        self.monkeypatch.setenv("CONNECTOR_GITHUB_APP_ID", APP_ID)

    def key_text(self, text: str) -> None:
        path = self.directory / "app.pem"
        path.write_text(text)
        self.monkeypatch.setenv("CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE", str(path))

    def args(self, *extra: str, host: str = API_HOST) -> list[str]:
        return api_args(self.stack, self.pki, self.directory, host, app_handler(self.world),
                        *extra)


@pytest.fixture
def app_site(pki: Pki, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[AppSite]:
    for name in ("CONNECTOR_GITHUB_APP_PRIVATE_KEY", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:
        yield AppSite(pki, keys, tmp_path, stack, monkeypatch)


def run_app(runner: Runner, site: AppSite, *extra: str) -> Any:
    return runner(*site.args(*extra), connector="github-app")


Change = Callable[[AppSite], None]
Expected = dict[str, tuple[str, str | None, str | None]]  # check: outcome, reason, vendor code


def _key(make: Callable[[Keys], str]) -> Change:
    return lambda site: site.key_text(make(site.keys))


def _world(**fields: Any) -> Change:
    def change(site: AppSite) -> None:
        for name, value in fields.items():
            setattr(site.world, name, value)

    return change


def _acme(**fields: Any) -> Change:
    def change(site: AppSite) -> None:
        for name, value in fields.items():
            setattr(site.world.installations[0], name, value)

    return change


def _short_key(site: AppSite) -> None:
    site.key_text(pem(site.keys.short))
    site.world.public_key = site.keys.short.public_key()


KEY = f"app.private_key[{APP_ID}]"
CREDENTIALS = f"app.credentials[{APP_ID}]"
INSTALLED = f"app.installed[{APP_ID}]"
CLOCK = f"app.clock[{API_HOST}]"
BLOCKED = ("skipped", "prerequisite.failed", None)
NEEDED = ("failed", "app.private_key_needed", "private_key_needed")

CASES: dict[str, tuple[Change, Expected]] = {
    "ec key": (_key(lambda k: pem(k.elliptic)), {KEY: NEEDED, CREDENTIALS: BLOCKED}),
    "public key pasted": (_key(lambda k: k.app.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()),
        {KEY: NEEDED}),
    "certificate pasted": (lambda s: s.key_text(s.pki.public_root.pem), {KEY: NEEDED}),
    "passphrase-protected key": (_key(lambda k: pem(k.app, password=b"hunter22")),
                                 {KEY: ("failed", "app.private_key_encrypted", "private_key_needed")}),
    "not pem": (_key(lambda k: "MIIEowIBAAKCAQEA" * 10),
                {KEY: ("failed", "app.private_key_invalid", "private_key_needed")}),
    "1024-bit key": (_short_key,
                     {KEY: ("warning", "app.private_key_weak", None),
                      CREDENTIALS: ("passed", None, None)}),
    "another app's key": (_key(lambda k: pem(k.other)),
                          {CREDENTIALS: ("failed", "app.invalid_credentials", "invalid_credentials"),
                           INSTALLED: BLOCKED}),
    "unknown app id": (lambda s: s.monkeypatch.setenv("CONNECTOR_GITHUB_APP_ID", "999"),
                       {"app.credentials[999]": ("failed", "app.unknown_app",
                                                 "invalid_credentials")}),
    "clock 5 minutes ahead": (_world(clock_offset_s=-300),
                              {CLOCK: ("failed", "app.clock_skew", "invalid_credentials"),
                               CREDENTIALS: ("failed", "app.clock_skew", "invalid_credentials")}),
    "clock 12 minutes behind": (_world(clock_offset_s=720),
                                {CLOCK: ("failed", "app.clock_skew", "invalid_credentials"),
                                 CREDENTIALS: ("failed", "app.clock_skew", "invalid_credentials")}),
    "clock 45 seconds behind": (_world(clock_offset_s=45),
                                {CLOCK: ("warning", "app.clock_skew", "invalid_credentials"),
                                 CREDENTIALS: ("passed", None, None)}),
    "not installed": (_world(installations=[]),
                      {INSTALLED: ("failed", "app.not_installed", "invalid_permissions")}),
    "suspended": (_acme(suspended=True),
                  {"app.installation_active[acme]": ("failed", "app.suspended", None),
                   "app.repositories[acme]": BLOCKED,
                   "app.installation_active[globex]": ("passed", None, None)}),
    "missing deployments permission": (
        _acme(permissions={k: v for k, v in READ.items() if k != "deployments"}),
        {"app.permission[acme:deployments]": ("failed", "app.permission_missing",
                                              "invalid_permissions"),
         "app.endpoint[acme/api:deployments]": ("failed", "app.endpoint_forbidden",
                                                "invalid_permissions"),
         "app.permission[globex:deployments]": ("passed", None, None)}),
    "excess permissions": (_acme(permissions={**READ, "issues": "write", "contents": "write"}),
                           {"app.permission[acme:issues]": ("warning", "app.excess_permission",
                                                            None),
                            "app.permission[acme:contents]": ("warning", "app.excess_permission",
                                                              None)}),
    "no repositories": (_acme(repositories=[]),
                        {"app.repositories[acme]": ("failed", "app.no_resources", "no_resources")}),
    "installation lists no permissions": (_world(list_permissions=False),
                                          {"app.permission[acme:actions]": ("passed", None, None)}),
    "no deployments yet": (_acme(deployments=0),
                           {"app.endpoint[acme/api:deployment_statuses]": (
                               "skipped", "not_applicable", None)}),
}


def _vendor(run: Any, check: str) -> tuple[str, str | None, str | None]:
    record = run.checks[check]
    return record["outcome"], record["reason"], record.get("vendor_code")


@pytest.mark.parametrize(("change", "expected"), CASES.values(), ids=CASES.keys())
def test_each_case_gives_its_requirement_outcome_reason_and_vendor_code(
    app_site: AppSite, run_connector: Runner, change: Change, expected: Expected
) -> None:
    change(app_site)
    run = run_app(run_connector, app_site)
    assert {check: _vendor(run, check) for check in expected} == expected, run.text
    assert run.report["summary"]["error"] == 0


def test_a_healthy_app_passes_and_names_itself(app_site: AppSite, run_connector: Runner) -> None:
    run = run_app(run_connector, app_site)
    assert run.report["summary"]["failed"] == run.report["summary"]["warning"] == 0, run.text
    evidence = run.checks[CREDENTIALS]["evidence"]
    assert (evidence["name"], evidence["slug"], evidence["owner"]) == (
        "Acme DX - GitHub Deployments", "acme-dx", "acme")
    assert run.checks["app.permission[acme:deployments]"]["evidence"]["required"] == (
        "Repository permissions > Deployments: Read-only")
    assert {c["id"] for c in run.report["checks"] if c["requirement"] == "app.endpoint"} == {
        "app.endpoint[acme/api:deployments]", "app.endpoint[acme/api:deployment_statuses]",
        "app.endpoint[acme/api:environments]"}
    assert run.checks[KEY]["evidence"]["fingerprint"].startswith("SHA256:")


def test_a_missing_permission_is_worded_as_the_settings_page_words_it(
    app_site: AppSite, run_connector: Runner
) -> None:
    _acme(permissions={k: v for k, v in READ.items() if k != "pull_requests"})(app_site)
    run = run_app(run_connector, app_site)
    assert "Repository permissions > Pull requests: Read-only" in run.checks[
        "app.permission[acme:pull_requests]"]["message"]


def test_a_forbidden_endpoint_names_the_permission_github_asks_for(
    app_site: AppSite, run_connector: Runner
) -> None:
    _acme(permissions={k: v for k, v in READ.items() if k != "actions"})(app_site)
    run = run_app(run_connector, app_site)
    check = run.checks["app.endpoint[acme/api:environments]"]
    assert check["reason"] == "app.endpoint_forbidden"
    assert "Repository permissions > Actions: Read-only" in check["message"]


def test_ghes_adds_organization_administration(
    app_site: AppSite, run_connector: Runner
) -> None:
    app_site.world.prefix = "/api/v3"
    run = run_connector(*app_site.args("--target", "https://github.example.com",
                                       host="github.example.com"), connector="github-app")
    assert run.verdict("app.permission[acme:organization_administration]") == (
        "failed", "app.permission_missing")
    assert run.verdict("api.reachable[https://github.example.com/api/v3]") == ("passed", None)


def test_repo_picks_the_repository_whose_endpoints_are_checked(
    app_site: AppSite, run_connector: Runner
) -> None:
    run = run_app(run_connector, app_site, "--repo", "globex/web")
    assert run.verdict("app.endpoint[globex/web:deployments]") == ("passed", None)
    other = run_app(run_connector, app_site, "--repo", "initech/tps")
    assert other.verdict("app.endpoint[initech/tps:deployments]") == ("failed", "app.not_installed")


def test_every_page_of_installations_is_checked(app_site: AppSite, run_connector: Runner) -> None:
    app_site.world.installations = [Installation(n, f"org{n:03}", dict(READ), [f"org{n:03}/r"])
                                    for n in range(1, 151)]
    run = run_app(run_connector, app_site)
    assert run.checks[INSTALLED]["evidence"]["installations"] == 150
    assert run.checks[INSTALLED]["evidence"]["pages"] == 2
    assert len([c for c in run.report["checks"] if c["requirement"] == "app.repositories"]) == 150
    assert run.report["summary"]["failed"] == 0
    run.result.stdout.fnmatch_lines(["PASSED   app.permission: 900 checks (-v lists them)"])


def test_a_rate_limit_is_waited_out_as_github_asks(app_site: AppSite,
                                                   run_connector: Runner) -> None:
    app_site.world.rate_limit_first = True
    run = run_app(run_connector, app_site)
    assert run.verdict(INSTALLED) == ("passed", None)
    asked = [r for r in app_site.world.requests if r == "GET /app/installations"]
    assert len(asked) == 2  # refused with Retry-After: 1, then asked again


def test_pasted_keys_are_repaired(app_site: AppSite, run_connector: Runner,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    text = pem(app_site.keys.app, traditional=True)
    mangled = '"' + text.replace("\n", "\\n") + '"'
    monkeypatch.delenv("CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE")
    monkeypatch.setenv("CONNECTOR_GITHUB_APP_PRIVATE_KEY", mangled)
    run = run_app(run_connector, app_site)
    assert run.verdict(KEY) == ("passed", None)
    assert run.checks[KEY]["evidence"]["repaired"] == ["surrounding quotes", "literal \\n escapes"]
    assert run.verdict(CREDENTIALS) == ("passed", None)


def test_a_missing_app_id_is_a_usage_error(pytester: pytest.Pytester,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTOR_GITHUB_APP_ID", raising=False)
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "github-app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --connector github-app needs CONNECTOR_GITHUB_APP_ID: *"])
