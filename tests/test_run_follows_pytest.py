"""One truthful run: the reports, the terminal and the exit code describe what pytest selected
and ran; listing probes nothing; a connector run is safe in any folder, with any ini."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from checks.scenario import load
from tests.conftest import Site, healthy_checks

HEALTHY = healthy_checks()  # checks in the bundled healthy ghes scenario, from the catalogue

REPO = Path(__file__).resolve().parent.parent

BASE = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
TLS = ["tls.handshake[github.example.com:443]", "tls.public_ca[github.example.com:443]",
       "tls.hostname[github.example.com:443]"]


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONNECTOR_GHES_TOKEN", "CONNECTOR_GHES_OAUTH_CLIENT_ID",
                 "CONNECTOR_GHES_OAUTH_CLIENT_SECRET", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def reports(folder: Path, connector: str = "ghes") -> tuple[dict[str, Any], ET.Element, str]:
    document = json.loads((folder / "reports" / f"{connector}.json").read_text())
    suite = ET.parse(folder / "reports" / f"{connector}.junit.xml").getroot().find("testsuite")
    assert suite is not None
    return document, suite, (folder / "reports" / f"{connector}.html").read_text()


def ids(document: dict[str, Any]) -> list[str]:
    return [check["id"] for check in document["checks"]]


@pytest.mark.parametrize("selection", [["-k", "tls"], ["-m", "connector(layer='tls')"]],
                         ids=["-k", "-m"])
def test_deselected_checks_are_absent_from_every_report_and_the_exit_code(
    pytester: pytest.Pytester, selection: list[str]
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "missing-scopes", *selection)
    assert result.ret == 0  # the failing scopes were not selected
    result.stdout.fnmatch_lines(["*3 passed, * deselected*"])
    document, suite, page = reports(pytester.path)
    assert ids(document) == TLS
    assert document["summary"]["passed"] == 3 and document["summary"]["failed"] == 0
    assert [case.get("name") for case in suite.iter("testcase")] == TLS
    assert "scopes.granted" not in page and TLS[1] in page


@pytest.mark.parametrize("stop", [["-x"], ["--maxfail", "1"]], ids=["-x", "--maxfail"])
def test_checks_after_the_session_stopped_are_reported_as_not_run(
    pytester: pytest.Pytester, stop: list[str]
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "firewall-blocked", *stop)
    assert result.ret == 1
    document, suite, page = reports(pytester.path)
    outcomes = [check["outcome"] for check in document["checks"]]
    assert outcomes[:3] == ["passed", "passed", "failed"]
    assert set(outcomes[3:]) == {"not_run"} and len(outcomes) == HEALTHY
    assert document["summary"]["not_run"] == HEALTHY - 3
    not_run = document["checks"][3]
    assert not_run["reason"] is None and not_run["evidence"] == {}
    assert suite.get("skipped") == str(HEALTHY - 3) and suite.get("failures") == "1"
    # A check failed: the run is not ready, whatever was not run after it (exit code 1).
    assert "Verdict: not ready" in page and document["verdict"]["verdict"] == "not_ready"


def test_setup_only_calls_no_check_and_the_reports_say_not_run(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "missing-scopes", "--setup-only")
    assert result.ret == pytest.ExitCode.OK  # as pytest says of tests it only set up
    result.stdout.fnmatch_lines(["*no tests ran*"])
    document, suite, _ = reports(pytester.path)
    assert document["summary"]["not_run"] == len(document["checks"]) == HEALTHY
    assert suite.get("failures") == "0"


def test_pytests_own_junitxml_holds_each_check_with_its_outcome_and_verdict(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "missing-scopes", "--junitxml", "pytest.xml", "-k",
                                "scopes or tls.hostname or org.owner")
    assert result.ret == 1
    suite = ET.parse(pytester.path / "pytest.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    document, _, _ = reports(pytester.path)
    assert list(cases) == ids(document)
    assert suite.get("failures") == "5" and suite.get("skipped") == "0"
    missing = cases["scopes.granted[admin:org]"]
    failure = missing.find("failure")
    assert failure is not None and "fix: Edit the token and select admin:org" in (
        failure.text or "")
    shown = {p.get("name"): p.get("value") for p in missing.iter("property")}
    assert shown["outcome"] == "failed" and shown["reason"] == "scopes.missing"
    passed = cases["tls.hostname[github.example.com:443]"]
    assert passed.find("failure") is None and passed.find("skipped") is None


def test_last_failed_reruns_exactly_the_checks_that_failed(pytester: pytest.Pytester) -> None:
    args = ("--connector", "ghes", "--offline", "--scenario", "missing-scopes")
    first = pytester.runpytest(*args)
    assert first.ret == 1
    failed = [c["id"] for c in reports(pytester.path)[0]["checks"] if c["outcome"] == "failed"]
    assert failed
    again = pytester.runpytest(*args, "--lf")
    assert again.ret == 1
    again.stdout.fnmatch_lines([f"*{len(failed)} failed, * deselected*"])
    assert ids(reports(pytester.path)[0]) == failed


GUARD = """
import socket

def _refuse(*args, **kwargs):
    raise AssertionError(f"a socket was used while listing checks: {args}")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.socket.sendto = _refuse
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
"""


def test_collect_only_lists_the_checks_known_before_probing_and_opens_no_socket(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(socketguard=GUARD)
    pytester.syspathinsert()
    monkeypatch.setenv("CONNECTOR_GHES_TOKEN", "ghp_" + "0" * 36)
    result = pytester.runpytest_subprocess(
        *BASE, "-p", "socketguard", "--connector", "ghes", "--target",
        "https://github.example.com", "--org", "acme", "--resolver", "127.0.0.1:9", "--co", "-q")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    listed = [line for line in result.stdout.lines if line.startswith("ghes::")]
    assert listed == [f"ghes::{check}" for check in (
        "dns.resolves[github.example.com]", "dns.public[github.example.com]", *TLS,
        "api.reachable[https://github.example.com/api/v3]", "auth.token[ghes]",
        "scopes.granted[repo]", "scopes.granted[admin:org]", "scopes.granted[read:org]",
        "scopes.granted[admin:repo_hook]", "scopes.granted[admin:org_hook]",
        "scopes.granted[user]", "scopes.granted[read:user]", "org.owner[acme]",
        "oauth.client[ghes]", "api.links[https://github.example.com/api/v3]",
        "api.headers[ghes]")]
    result.stdout.fnmatch_lines(["*per-address (tcp.reachable) and per-installation (app.*) "
                                 "checks appear when the run probes*"])
    assert not (pytester.path / "reports").exists()


def test_xdist_with_a_connector_is_a_one_line_usage_error(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = pytester.runpytest_subprocess(*BASE, "--connector", "ghes", "--offline", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == ["ERROR: --connector runs its probes concurrently in one process already: "
                      "drop -n (each pytest-xdist worker would probe again)"]
    assert not (pytester.path / "reports").exists()


@pytest.mark.parametrize("where", ["command line", "ini file"])
def test_a_run_without_pytest_html_writes_its_own_three_reports(
    pytester: pytest.Pytester, where: str
) -> None:
    if where == "ini file":
        pytester.makeini("[pytest]\naddopts = -p no:html\n")
        result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline")
    else:
        result = pytester.runpytest(*BASE, "-p", "no:html", "--connector", "ghes", "--offline")
    assert result.ret == 0
    assert "INTERNALERROR" not in result.stdout.str()
    document, suite, page = reports(pytester.path)
    assert document["summary"]["passed"] == HEALTHY and suite.get("tests") == str(HEALTHY)
    assert "Verdict: ready" in page


def test_a_broken_conftest_in_the_folder_does_not_stop_a_connector_run(
    pytester: pytest.Pytester
) -> None:
    pytester.makeconftest("raise ImportError('this conftest is broken')")
    pytester.mkdir("tests").joinpath("conftest.py").write_text("import not_installed_anywhere\n")
    result = pytester.runpytest_subprocess(*BASE, "--connector", "ghes", "--offline")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert reports(pytester.path)[0]["summary"]["passed"] == HEALTHY


USER_TESTS = """
import pytest


def test_the_api_check_passed(connector_results):
    ghes = connector_results["ghes"]
    assert ghes.verdict("api.reachable[https://github.example.com/api/v3]").outcome == "passed"
    assert [o.status for o in ghes.of_kind("http")][:1] == [200]

def test_our_proxy_needs_an_extra_header(connector_results):
    assert connector_results["ghes"].mode == "live", "our proxy is only seen live"

def test_the_results_are_read_only(connector_results):
    with pytest.raises(TypeError):
        connector_results["gitlab"] = None
"""


def test_user_tests_run_beside_the_checks_read_the_results_and_appear_in_the_reports(
    pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_ours=USER_TESTS)
    result = pytester.runpytest(*BASE, "test_ours.py", "--connector", "ghes", "--offline")
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"*1 failed, {HEALTHY + 2} passed*"])
    document, suite, page = reports(pytester.path)
    mine = {c["id"]: c for c in document["checks"] if c["kind"] == "test"}
    assert {i: c["outcome"] for i, c in mine.items()} == {
        "test_ours.py::test_the_api_check_passed": "passed",
        "test_ours.py::test_our_proxy_needs_an_extra_header": "failed",
        "test_ours.py::test_the_results_are_read_only": "passed"}
    assert "our proxy is only seen live" in mine[
        "test_ours.py::test_our_proxy_needs_an_extra_header"]["message"]
    assert len(document["checks"]) == HEALTHY + 3 and suite.get("tests") == str(HEALTHY + 3)
    assert "test_ours.py::test_our_proxy_needs_an_extra_header" in page


def test_a_user_test_path_without_a_connector_runs_as_usual(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_it():\n    assert True\n")
    result = pytester.runpytest(*BASE, "test_plain.py")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


def _scenario_without_dns(folder: Path) -> Path:
    data = load("ghes", "healthy").data
    data["dns"] = {"github.example.com": {"A": {"error": "nxdomain", "detail": "NXDOMAIN"},
                                          "AAAA": {"error": "nxdomain", "detail": "NXDOMAIN"}}}
    data["expect"] = []
    path = folder / "no-dns.json"
    path.write_text(json.dumps(data))
    return path


def test_when_dns_fails_every_check_known_before_probing_is_listed_and_names_the_root_cause(
    pytester: pytest.Pytester
) -> None:
    path = _scenario_without_dns(pytester.path)
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario", str(path))
    assert result.ret == 1
    document = reports(pytester.path)[0]
    checks = {c["id"]: c for c in document["checks"]}
    assert checks["dns.resolves[github.example.com]"]["reason"] == "dns.nxdomain"
    cause = "not checked: dns.resolves[github.example.com] failed (dns.nxdomain)"
    skipped = [c for c in document["checks"] if c["outcome"] == "skipped"]
    assert [c["id"] for c in skipped] == [
        "dns.public[github.example.com]", "tcp.reachable[github.example.com:443]", *TLS,
        "api.reachable[https://github.example.com/api/v3]", "auth.token[ghes]",
        *(f"scopes.granted[{s}]" for s in ("repo", "admin:org", "read:org", "admin:repo_hook",
                                           "admin:org_hook", "user", "read:user")),
        "org.owner[acme]", "oauth.client[ghes]", "api.links[https://github.example.com/api/v3]",
        "api.headers[ghes]"]
    assert {c["message"] for c in skipped} == {cause}
    assert {c["evidence"]["blocked_by"] for c in skipped} == {"dns.resolves[github.example.com]"}


def test_ghes_honours_require_scope_and_lists_each_default_left_out(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--require-scope",
                                "repo", "--require-scope", "read:org")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*reproduce with: *--require-scope=repo --require-scope="
                                 "read:org*"])
    scopes = {c["parameter"]: (c["outcome"], c["reason"]) for c in reports(pytester.path)[0][
        "checks"] if c["requirement"] == "scopes.granted"}
    left_out = ("admin:org", "admin:repo_hook", "admin:org_hook", "user", "read:user")
    assert scopes == {"repo": ("passed", None), "read:org": ("passed", None),
                      **dict.fromkeys(left_out, ("skipped", "not_applicable"))}


def test_an_interrupted_report_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_stop="""
        def test_stop():
            raise KeyboardInterrupt
    """)
    result = pytester.runpytest_subprocess(*BASE, "test_stop.py", "--connector", "ghes",
                                           "--offline")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    document, _, page = reports(pytester.path)
    assert document["interrupted"] is True
    assert "This run was interrupted" in page


def _in_a_terminal(args: list[str], cwd: Path) -> str:
    """A whole pytest run whose output is a terminal (a pseudo-terminal), as a person sees it."""
    main, side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "tests.netguard", *args],
                               cwd=cwd, stdout=side, stderr=side, env={
                                   **os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"})
    os.close(side)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the run ended and closed its side
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


def test_a_live_run_on_a_terminal_shows_what_it_probes(site: Site, pytester: pytest.Pytester
                                                       ) -> None:
    args = ["-p", "no:cacheprovider", "--connector", "ghes", *site.args(site.https())]
    shown = _in_a_terminal(args, pytester.path)
    assert "connector-checks ghes: " in shown and " probes done; " in shown
    assert " probes done; http GET https://github.example.com/api/v3/" in shown
    quiet = _in_a_terminal([*args, "-q"], pytester.path)
    assert "probes done" not in quiet and "passed" in quiet


def test_pytest_html_still_reports_each_check_through_its_public_hooks(
    pytester: pytest.Pytester
) -> None:
    pytest.importorskip("pytest_html")
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "missing-scopes", "--html", "theirs.html",
                                "--self-contained-html")
    assert result.ret == 1
    page = (pytester.path / "theirs.html").read_text()
    assert "scopes.granted[admin:org]" in page and "scopes.missing" in page
    assert reports(pytester.path)[0]["summary"]["failed"] == 5  # our own reports, as ever


def test_minus_r_a_lists_the_checks_that_warned(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "not-owner", "-rA")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["WARNING ghes::org.owner[[]acme[]] - the account is an active "
                                 "member of acme, not an owner*"])


def test_an_empty_selection_says_nothing_was_checked(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "-k", "nomatch")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["verdict: nothing checked; no check was selected; reports: *"])
    assert "Verdict: nothing checked" in (pytester.path / "reports" / "ghes.html").read_text()
