"""The example connector in examples/http-health (docs/connectors.md), installed the way a
third-party connector is (its own package, found through the entry points) into a throwaway
folder, then run: offline on its bundled scenarios, live on loopback with its own option, and
recorded and replayed to the same verdicts. With it installed, the core's registry-dependent
tests pass: the core assumes no number of connectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.pki import Pki
from tests.servers import JsonHandler, dns_server, serve_https, server_context

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "http-health"
HOST = "status.example.com"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip installs the example, without its dependencies (this environment has them) and
    without fetching a build backend (the environment's setuptools builds it)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--target", str(target), str(EXAMPLE)],
                          capture_output=True, text=True, cwd=tmp_path_factory.mktemp("build"))
    assert done.returncode == 0, done.stderr
    return target


def run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{installed}{os.pathsep}{REPO}"}
    env.pop("CONNECTOR_HTTP_HEALTH_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "tests.netguard", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_example_runs_offline_on_its_bundled_scenarios(installed: Path,
                                                          tmp_path: Path) -> None:
    healthy = run(installed, tmp_path, "--connector", "http-health", "--offline")
    assert healthy.returncode == 0, healthy.stdout
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "http-health.html", "http-health.json", "http-health.junit.xml"]
    failing = run(installed, tmp_path, "--connector", "http-health", "--offline", "--scenario",
                  "unhealthy", "--report-dir", "bad")
    assert failing.returncode == 1
    report = json.loads((tmp_path / "bad" / "http-health.json").read_text())
    assert [(c["id"], c["reason"]) for c in report["checks"] if c["outcome"] != "passed"] == [
        (f"health.endpoint[https://{HOST}/healthz]", "http-health.unhealthy")]


class Health(JsonHandler):
    def do_GET(self) -> None:
        if self.path == "/status":
            return self.reply(200, {"status": "ok"}, {"X-Health-Version": "1.4.2"})
        return self.reply(404, {"message": "Not Found"})


@pytest.fixture
def service(tmp_path: Path, pki: Pki) -> Iterator[list[str]]:
    with ExitStack() as stack:
        port = stack.enter_context(serve_https(Health, server_context(
            tmp_path, pki.public_chain(HOST)))).port
        dns = stack.enter_context(dns_server({HOST: {"A": ["93.184.215.14"]}}))
        (tmp_path / "roots.pem").write_text(pki.public_root.pem)
        yield ["--target", f"https://{HOST}", "--resolver", dns.spec, "--connect-to",
               f"{HOST}:443:127.0.0.1:{port}", f"--public-roots={tmp_path / 'roots.pem'}"]


def test_the_example_runs_live_with_its_own_option_and_replays_to_the_same_verdicts(
    installed: Path, tmp_path: Path, service: list[str]
) -> None:
    live = run(installed, tmp_path, "--connector", "http-health", *service,
               "--http-health-path=/status", "--record", "rec.json")
    assert live.returncode == 0, live.stdout
    first = json.loads((tmp_path / "reports" / "http-health.json").read_text())
    assert first["checks"][-1]["id"] == f"health.endpoint[https://{HOST}/status]"
    assert json.loads((tmp_path / "rec.json").read_text())["options"] == {
        "--http-health-path": "/status"}
    replay = run(installed, tmp_path, "--connector", "http-health", "--offline",
                 "--scenario=rec.json", "--report-dir", "replayed")
    assert replay.returncode == 0, replay.stdout
    again = json.loads((tmp_path / "replayed" / "http-health.json").read_text())
    assert [(c["id"], c["outcome"], c["reason"]) for c in again["checks"]] == [
        (c["id"], c["outcome"], c["reason"]) for c in first["checks"]]


def test_its_option_is_shown_under_its_own_heading_and_refused_without_it(
    installed: Path, tmp_path: Path
) -> None:
    shown = run(installed, tmp_path, "--help").stdout
    assert "connector-checks http-health: its own options:" in shown
    assert "--http-health-path=PATH" in shown
    bad = run(installed, tmp_path, "--connector", "ghes", "--offline",
              "--http-health-path=/status")
    assert bad.returncode == 4
    assert "--http-health-path is the http-health connector's option" in bad.stderr
    wrong = run(installed, tmp_path, "--connector", "http-health", "--offline",
                "--http-health-path=status")
    assert wrong.returncode == 4 and "is not a path" in wrong.stderr


def test_the_core_tests_pass_with_a_third_party_connector_installed(installed: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{installed}{os.pathsep}{REPO}"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-x", "tests/test_layers.py", "tests/test_docs.py",
                           "tests/test_offline.py", "tests/test_profiles.py",
                           "tests/test_refusals.py"], cwd=REPO, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-4000:]
