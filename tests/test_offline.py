"""Offline runs: bundled scenarios replay with no socket opened, and give their documented
verdicts; the three reports are written."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from checks.connectors import connector_names, load_profile
from checks.scenario import bundled_dir, bundled_names, load
from tests.conftest import (
    Runner,
    healthy_checks,
)

HEALTHY = healthy_checks()  # checks in the bundled healthy ghes scenario, from the catalogue

CONNECTORS = connector_names()  # from the registry: a connector added is tested here too
SCENARIOS = [(connector, name) for connector in CONNECTORS for name in bundled_names(connector)]
REQUIRED = {
    "ghes": {"healthy", "private-ca", "firewall-blocked", "missing-scopes", "not-owner",
             "fine-grained-token"},
    "github-app": {"healthy", "ghes-healthy", "not-installed", "missing-permission", "suspended",
                   "no-repositories", "wrong-key", "ec-key", "clock-skew", "many-installations"},
    "github": {"healthy", "bad-credentials", "missing-scope", "excess-scopes", "expiring-token",
               "sso-required", "fine-grained"},
    "gitlab": {"healthy", "bad-credentials", "missing-scope", "excess-scopes", "expiring-token",
               "expired-token", "revoked-token", "self-managed"},
}
# The vendor's four codes (seed 002), and the reasons that reproduce each.
VENDOR_CODES = {
    "app.private_key_needed": "private_key_needed", "app.private_key_encrypted": "private_key_needed",
    "app.private_key_invalid": "private_key_needed",
    "app.invalid_credentials": "invalid_credentials", "app.unknown_app": "invalid_credentials",
    "app.clock_skew": "invalid_credentials",
    "app.not_installed": "invalid_permissions", "app.permission_missing": "invalid_permissions",
    "app.endpoint_forbidden": "invalid_permissions",
    "app.no_resources": "no_resources",
}


@pytest.mark.parametrize("connector", CONNECTORS)
def test_the_required_scenarios_are_bundled(connector: str) -> None:
    assert REQUIRED.get(connector, {"healthy"}) <= set(bundled_names(connector))


def test_the_bundled_profile_gives_the_vendor_codes_the_guide_names() -> None:
    assert load_profile("dx-github-deployments")[1].vendor_codes == VENDOR_CODES


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONNECTOR_GHES_TOKEN", "CONNECTOR_GITHUB_APP_ID",
                 "CONNECTOR_GITHUB_APP_PRIVATE_KEY", "CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE",
                 "CONNECTOR_GITHUB_TOKEN", "CONNECTOR_GITLAB_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("connector", "name"), SCENARIOS, ids=[f"{c}:{n}" for c, n in SCENARIOS])
def test_each_bundled_scenario_gives_exactly_its_documented_verdicts(
    connector: str, name: str, run_connector: Runner
) -> None:
    run = run_connector("--offline", "--scenario", name, connector=connector)
    expected = {e["check"]: (e["outcome"], e["reason"]) for e in load(connector, name).expect}
    not_passed = {c["id"]: (c["outcome"], c["reason"]) for c in run.report["checks"]
                  if c["outcome"] != "passed"}
    assert not_passed == expected, run.text
    assert run.report["mode"] == "offline" and run.report["scenario"] == name
    assert run.result.ret == (1 if any(o == "failed" for o, _ in expected.values()) else 0)
    for check in run.report["checks"]:
        assert check.get("vendor_code") == VENDOR_CODES.get(check["reason"]), check["id"]


def test_the_healthy_scenario_passes_and_writes_three_reports(
    run_connector: Runner, pytester: pytest.Pytester
) -> None:
    run = run_connector("--offline")
    assert run.result.ret == 0
    assert run.report["summary"] == {"passed": HEALTHY, "failed": 0, "warning": 0, "skipped": 0,
                                     "error": 0, "not_run": 0}
    reports = pytester.path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["ghes.html", "ghes.json",
                                                         "ghes.junit.xml"]
    suite = ET.parse(reports / "ghes.junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(HEALTHY) and suite.get("failures") == "0"
    names = {case.get("name") for case in suite.iter("testcase")}
    assert "tls.public_ca[github.example.com:443]" in names


def test_the_html_report_is_self_contained_and_shows_message_fix_and_evidence(
    run_connector: Runner, pytester: pytest.Pytester
) -> None:
    run_connector("--offline", "--scenario", "private-ca")
    page = (pytester.path / "reports" / "ghes.html").read_text()
    assert "<script src=" not in page and "<link " not in page
    assert "tls.untrusted_root" in page
    assert "Install a certificate from a public CA" in page  # the fix
    assert "Acme Corp Internal Root CA" in page  # the evidence: the chain as presented


def _schema_keys(report: dict[str, Any]) -> None:
    assert set(report) >= {"schema", "tool", "connector", "target", "mode", "started_at",
                           "duration_s", "environment", "summary", "checks"}
    assert set(report["environment"]) == {"python", "platform", "proxy"}
    for check in report["checks"]:
        assert set(check) >= {"id", "requirement", "parameter", "outcome", "reason", "message",
                              "remediation", "evidence", "duration_s"}
        assert (check["reason"] is None) == (check["outcome"] == "passed")


def test_the_json_report_follows_the_documented_schema(run_connector: Runner) -> None:
    for scenario in ("healthy", "firewall-blocked"):
        run = run_connector("--offline", "--scenario", scenario)
        _schema_keys(run.report)
        assert run.report["schema"] == 1 and run.report["tool"]["name"] == "connector-checks"
        assert sum(run.report["summary"].values()) == len(run.report["checks"])


def test_an_offline_run_opens_no_network_socket(
    run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    families: list[int] = []
    real_init = socket.socket.__init__

    def recording_init(self: socket.socket, family: int = -1, *args: Any, **kwargs: Any) -> None:
        families.append(family)
        real_init(self, family, *args, **kwargs)

    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"an offline run looked up {args[0]!r}")

    monkeypatch.setattr(socket.socket, "__init__", recording_init)
    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    for connector, name in SCENARIOS:
        run_connector("--offline", "--scenario", name, connector=connector)
    assert not {socket.AF_INET, socket.AF_INET6} & set(families)


def test_a_scenario_file_given_by_path_is_replayed(run_connector: Runner, tmp_path: Path) -> None:
    data = json.loads(Path(load("ghes", "not-owner").source).read_text())
    data["description"] = "copied"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data))
    run = run_connector("--offline", "--scenario", str(path))
    assert run.verdict("org.owner[acme]") == ("warning", "org.not_owner")
    assert run.report["scenario"] == "mine"


def test_warnings_are_shown_but_do_not_fail_the_run(run_connector: Runner) -> None:
    run = run_connector("--offline", "--scenario", "not-owner", "-v")
    assert run.result.ret == 0
    run.result.stdout.fnmatch_lines(["*ghes::org.owner[[]acme[]] WARNING*",
                                     "WARNING  org.owner[[]acme[]]  the account is an active "
                                     "member of acme, not an owner*",
                                     "*fix: Make the service account an owner*"])


def test_a_run_can_be_configured_entirely_in_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconnectors = ghes\nconnector_offline = true\n"
                     "connector_scenario = not-owner\nconnector_report_dir = out\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    report = json.loads((pytester.path / "out" / "ghes.json").read_text())
    assert (report["scenario"], report["summary"]["warning"], result.ret) == ("not-owner", 1, 0)


def test_the_header_says_how_to_reproduce_the_run(run_connector: Runner) -> None:
    run = run_connector("--offline", "--scenario", "missing-scopes")
    run.result.stdout.fnmatch_lines([
        f"connector-checks: reproduce with: {sys.executable} -m pytest --connector=ghes "
        "--offline --scenario=missing-scopes --check-timeout=5"])


def test_check_ids_are_the_node_ids(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--collect-only", "-q")
    result.stdout.fnmatch_lines(["ghes::dns.resolves[[]github.example.com[]]",
                                     "ghes::tls.public_ca[[]github.example.com:443[]]",
                                     "ghes::scopes.granted[[]admin:org[]]"])


def test_several_connectors_write_one_set_of_reports_each(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "github", "--connector",
                                "gitlab", "--offline")
    assert result.ret == 0
    reports = pytester.path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        f"{c}.{kind}" for c in ("github", "gitlab") for kind in ("html", "json", "junit.xml")]
    for connector in ("github", "gitlab"):
        report = json.loads((reports / f"{connector}.json").read_text())
        assert report["connector"] == connector
        assert {c["id"].split("[")[0] for c in report["checks"]} >= {"auth.token"}
        suite = ET.parse(reports / f"{connector}.junit.xml").getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == str(len(report["checks"]))
        page = (reports / f"{connector}.html").read_text()
        other = "gitlab" if connector == "github" else "github"
        assert f"auth.token[{connector}]" in page and f"auth.token[{other}]" not in page


@pytest.mark.parametrize(("connector", "name"), SCENARIOS, ids=[f"{c}:{n}" for c, n in SCENARIOS])
def test_every_skip_names_a_root_cause_that_is_not_itself_a_skip(
    connector: str, name: str, run_connector: Runner
) -> None:
    run = run_connector("--offline", "--scenario", name, connector=connector)
    for check in run.report["checks"]:
        if check["reason"] == "prerequisite.failed":
            cause = run.checks[check["evidence"]["blocked_by"]]
            assert cause["reason"] != "prerequisite.failed", check["id"]
            assert check["message"].startswith(f"not checked: {cause['id']} "), check["id"]
            assert check["evidence"]["cause"] == cause["reason"]


# -- replay without surprises ------------------------------------------------------------------

def _reproduce_line(result: pytest.RunResult) -> list[str]:
    line = next(text for text in result.outlines if "reproduce with: " in text)
    command = shlex.split(line.split("reproduce with: ", 1)[1])
    assert command[:3] == [sys.executable, "-m", "pytest"], command
    return command[3:]


def test_the_reproduce_line_of_a_replayed_recording_runs_as_printed(
    pytester: pytest.Pytester
) -> None:
    path = pytester.path / "recordings" / "ticket-42.json"
    path.parent.mkdir()
    path.write_text((bundled_dir("ghes") / "not-owner.json").read_text())
    first = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                               f"--scenario={path}")
    again = pytester.runpytest("-p", "no:cacheprovider", *_reproduce_line(first),
                               "--report-dir=again")
    assert (first.ret, again.ret) == (0, 0), again.stdout.str()
    assert json.loads((pytester.path / "again" / "ghes.json").read_text())["summary"] == \
        json.loads((pytester.path / "reports" / "ghes.json").read_text())["summary"]


def test_a_bundle_replays_from_its_own_folder_without_touching_its_reports(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--scenario", "missing-scopes", "--bundle", "ticket.zip")
    assert result.ret == 1
    folder = pytester.mkdir("ticket")
    with zipfile.ZipFile(pytester.path / "ticket.zip") as archive:
        archive.extractall(folder)
        readme = archive.read("README.txt").decode()
    # An offline run's bundle holds the scenario it replayed.
    assert (folder / "recordings" / "missing-scopes.json").is_file()
    command = next(text.strip() for text in readme.splitlines()
                   if text.strip().startswith("python3 -m pytest "))
    before = {p.name: p.read_bytes() for p in (folder / "reports").iterdir()}
    replay = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=folder,
                            capture_output=True, text=True)
    assert replay.returncode == 1, replay.stdout
    assert {p.name: p.read_bytes() for p in (folder / "reports").iterdir()} == before
    replayed = json.loads((folder / "replayed" / "ghes.json").read_text())
    original = json.loads((folder / "reports" / "ghes.json").read_text())
    assert [(c["id"], c["outcome"], c["reason"]) for c in replayed["checks"]] == \
        [(c["id"], c["outcome"], c["reason"]) for c in original["checks"]]
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "recordings", "replayed",
                                                        "reports"]
    # The replay's own "reproduce with" line, run as printed, in a shell, where it was printed:
    # this Python's pytest, and the reports into replayed/ again, never over the ticket's.
    line = next(text for text in replay.stdout.splitlines() if "reproduce with: " in text)
    printed = line.split("reproduce with: ", 1)[1]
    assert printed.startswith(f"{shlex.quote(sys.executable)} -m pytest "), printed
    (folder / "replayed" / "ghes.json").unlink()
    again = subprocess.run(printed, shell=True, cwd=folder, capture_output=True, text=True)
    assert again.returncode == 1, again.stdout
    assert {p.name: p.read_bytes() for p in (folder / "reports").iterdir()} == before
    assert (folder / "replayed" / "ghes.json").is_file()


def test_the_reproduce_line_of_a_replayed_recording_writes_beside_it_not_over_its_reports(
    pytester: pytest.Pytester
) -> None:
    path = pytester.path / "ticket.json"
    path.write_text((bundled_dir("ghes") / "not-owner.json").read_text())
    first = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                               f"--scenario={path}")
    assert "--report-dir=replayed" in _reproduce_line(first)
    live_like = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline")
    assert not any(a.startswith("--report-dir") for a in _reproduce_line(live_like))


def test_record_with_offline_is_a_one_line_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--connector", "ghes", "--offline", "--record",
                                           "again.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.errlines if line.strip()]
    assert len(lines) == 1 and "--record saves a live run" in lines[0]
    assert not (pytester.path / "reports").exists()
