"""Fixtures: a fictional PKI, loopback sites, and a runner that drives the plugin from outside."""

from __future__ import annotations

import importlib
import json
import pkgutil
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import checks
from tests import netguard  # noqa: F401  (installs the guard for the whole test process)
from tests.pki import Chain, Pki
from tests.servers import (
    Account,
    GithubWorld,
    dns_server,
    https_server,
    serve_https,
    server_context,
)


def _import_every_checks_module() -> None:
    """pytester's in-process runs put sys.modules back as it was after each run. A module of
    the package first imported inside one run (the plugin imports most of them on demand)
    would be imported anew by the next, and its classes (Outcome, CheckItem, ...) would no
    longer be those the modules imported earlier compare against: every check would pass.
    Imported once, here, they are the same in every run, whatever the tests' order."""
    for module in pkgutil.walk_packages(checks.__path__, "checks."):
        importlib.import_module(module.name)


_import_every_checks_module()

HOST = "github.example.com"
PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
ALL_SCOPES = "admin:org, admin:org_hook, admin:repo_hook, repo, user"


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki.create()


def fake_token(prefix: str = "ghp_") -> str:
    """A token made at test time, so no file holds anything shaped like a real one."""
    return prefix + secrets.token_hex(18)


@dataclass
class Run:
    result: pytest.RunResult
    report: dict[str, Any]

    @property
    def checks(self) -> dict[str, dict[str, Any]]:
        return {check["id"]: check for check in self.report["checks"]}

    def verdict(self, check_id: str) -> tuple[str, str | None]:
        check = self.checks[check_id]
        return check["outcome"], check["reason"]

    def checks_outcomes(self) -> list[tuple[str, str | None]]:
        return [(check["outcome"], check["reason"]) for check in self.report["checks"]]

    @property
    def text(self) -> str:
        return "\n".join(self.result.outlines + self.result.errlines)


def healthy_checks(connector: str = "ghes") -> int:
    """How many checks the bundled healthy scenario has: derived from the catalogue (the
    offline run itself), never written down."""
    from checks import engine
    from checks.settings import Settings

    settings = Settings(connectors=(connector,), target=None, org=None, offline=True,
                        scenario="healthy", resolvers=(), public_resolvers=(), connect_to=(),
                        public_roots=None, ca_bundle=None, timeout=5.0,
                        report_dir=Path("reports"))
    jobs = engine.plan_jobs(settings, {})
    (result,) = engine.run(settings, jobs)
    return len(result.checks)


def verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return [(c["requirement"], c["parameter"], c["outcome"], c["reason"])
            for c in report["checks"]]


@dataclass
class Runner:
    """Runs the plugin from outside. A live run is also recorded (--record) and the recording
    replayed offline: the replay must reach the same verdicts, check for check."""

    pytester: pytest.Pytester

    def __call__(self, *args: str, connector: str = "ghes", replay: bool = True,
                 cache: bool = False) -> Run:
        live = "--offline" not in args
        recording = self.pytester.path / f"recorded-{connector}.json"
        recorded = ("--record", str(recording)) if live and replay else ()
        run = self._run(connector, *args, *recorded, cache=cache)
        if recorded and recording.is_file():
            again = self._run(connector, "--offline", "--scenario", str(recording),
                              "--report-dir", "replayed")
            assert verdicts(again.report) == verdicts(run.report), again.text
            assert again.report["replay_of"]["at"] == run.report["started_at"]
        return run

    def _run(self, connector: str, *args: str, cache: bool = False) -> Run:
        without_cache = () if cache else ("-p", "no:cacheprovider")
        result = self.pytester.runpytest(*without_cache,
                                         "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                         "--connector", connector, *args)
        folder = args[args.index("--report-dir") + 1] if "--report-dir" in args else "reports"
        path = self.pytester.path / folder / f"{connector}.json"
        assert path.is_file(), "\n".join(result.outlines + result.errlines)
        return Run(result, json.loads(path.read_text()))


@pytest.fixture
def run_connector(pytester: pytest.Pytester) -> Runner:
    return Runner(pytester)


SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "checks" /
                     "report.schema.json").read_text())


@pytest.fixture(autouse=True)
def _every_report_follows_the_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every JSON report a test makes the plugin write is validated against the published
    schema (checks/report.schema.json)."""
    if "pytester" not in request.fixturenames:
        yield
        return
    folder = request.getfixturevalue("pytester").path  # torn down after this fixture
    yield
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for path in (p for p in folder.rglob("*.json") if p.is_file()):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(document, dict) and document.get("tool", {}).get("name") == \
                "connector-checks":
            errors = sorted(validator.iter_errors(document), key=str)
            assert not errors, f"{path}: {errors[0].message} at {list(errors[0].path)}"


@dataclass
class Site:
    """A GitHub Enterprise Server on loopback: DNS, TLS, API; each part can be replaced."""

    pki: Pki
    directory: Path
    stack: ExitStack
    monkeypatch: pytest.MonkeyPatch
    token: str = field(default_factory=fake_token)
    world: GithubWorld = field(default_factory=GithubWorld)

    def __post_init__(self) -> None:
        self.world.accounts[self.token] = Account("flow-service", ALL_SCOPES,
                                                  {"acme": ("admin", "active")})
        self.monkeypatch.setenv("CONNECTOR_GHES_TOKEN", self.token)
        self.roots = self.directory / "public-roots.pem"
        self.roots.write_text(self.pki.public_root.pem)

    def dns(self, zone: dict[str, Any] | None = None, address: str = "127.0.0.1") -> str:
        zone = zone if zone is not None else {HOST: {"A": [PUBLIC_V4], "AAAA": [PUBLIC_V6]}}
        return self.stack.enter_context(dns_server(zone, address)).spec

    def https(self, chain: Chain | None = None, **options: Any) -> int:
        chain = chain or self.pki.public_chain(HOST)
        context = server_context(self.directory, chain, **options)
        return self.stack.enter_context(https_server(self.world, context)).port

    def args(self, port: int, dns: str | None = None, *extra: str) -> list[str]:
        return ["--target", f"https://{HOST}", "--org", "acme",
                "--resolver", dns or self.dns(),
                "--connect-to", f"{HOST}:443:127.0.0.1:{port}",
                "--public-roots", str(self.roots), "--check-timeout", "1", *extra]


def api_args(stack: ExitStack, pki: Pki, directory: Path, host: str,
             handler: type[BaseHTTPRequestHandler], *extra: str) -> list[str]:
    """Serve ``handler`` over TLS for ``host`` on loopback; the options that reach it."""
    context = server_context(directory, pki.public_chain(host))
    port = stack.enter_context(serve_https(handler, context)).port
    dns = stack.enter_context(dns_server({host: {"A": [PUBLIC_V4]}}))
    roots = directory / "roots.pem"
    roots.write_text(pki.public_root.pem)
    return ["--resolver", dns.spec, "--connect-to", f"{host}:443:127.0.0.1:{port}",
            "--public-roots", str(roots), "--check-timeout", "2", *extra]


@pytest.fixture
def site(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    for name in ("CONNECTOR_GHES_TOKEN", "CONNECTOR_GHES_OAUTH_CLIENT_ID",
                 "CONNECTOR_GHES_OAUTH_CLIENT_SECRET", "HTTPS_PROXY", "https_proxy",
                 "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:
        yield Site(pki, tmp_path, stack, monkeypatch)
