"""The CI gate: what fails the run, the exit codes, GitHub Actions annotations and job
summaries, the GitLab JUnit report, the recipes, comparisons over time and place, metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from checks import ci
from checks.cli import main as cli
from checks.compare import changes
from tests.conftest import healthy_checks

REPO = Path(__file__).resolve().parent.parent
BASE = ("-p", "no:cacheprovider")


def run(pytester: pytest.Pytester, *args: str, connector: str = "ghes") -> pytest.RunResult:
    return pytester.runpytest(*BASE, "--connector", connector, *args)


def document(pytester: pytest.Pytester, connector: str = "ghes",
             folder: str = "reports") -> dict[str, Any]:
    return json.loads((pytester.path / folder / f"{connector}.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CONNECTOR_GHES_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_a_warning_fails_the_gate_only_with_fail_on_warning(pytester: pytest.Pytester) -> None:
    assert run(pytester, "--offline", "--scenario", "not-owner").ret == 0
    strict = run(pytester, "--offline", "--scenario", "not-owner", "--fail-on", "warning")
    assert strict.ret == 1
    owner = next(c for c in document(pytester)["checks"] if c["id"] == "org.owner[acme]")
    assert (owner["outcome"], owner["reason"]) == ("warning", "org.not_owner")


EXIT_CASES = {
    "ready": (["--offline"], 0),
    "not ready": (["--offline", "--scenario", "missing-scopes"], 1),
    "usage error": (["--offline", "--fail-on", "sometimes"], 4),
    "no checks selected": (["--offline", "-k", "no_such_check"], 5),
}


@pytest.mark.parametrize(("args", "code"), EXIT_CASES.values(), ids=EXIT_CASES.keys())
def test_each_exit_code_means_what_the_table_says(
    pytester: pytest.Pytester, args: list[str], code: int
) -> None:
    assert run(pytester, *args).ret == code
    assert code in dict(ci.EXIT_CODES)


def test_the_exit_code_table_is_the_one_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for code, meaning in ci.EXIT_CODES:
        assert f"| {code} | {meaning} |" in readme


def test_github_actions_gets_an_annotation_per_root_cause_with_its_fix(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run(pytester, "--offline", "--scenario", "firewall-blocked")
    # Both addresses are filtered: one root cause, one annotation; the skips after it, none.
    (command,) = [line for line in result.outlines if line.startswith("::")]
    assert command.startswith("::error title=connector-checks ghes%3A 2 × tcp.reachable "
                              "(tcp.timeout)::")
    assert "Fix: Allowlist the vendor's IP addresses on port 443." in command


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command read back as GitHub's runner reads it."""
    def unescape(text: str) -> str:
        return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
                .replace("%2C", ",").replace("%25", "%"))

    head, _, message = line[2:].partition("::")
    name, _, props = head.partition(" ")
    properties = dict(p.split("=", 1) for p in props.split(",") if p)
    return name, {k: unescape(v) for k, v in properties.items()}, unescape(message)


def test_workflow_commands_escape_percent_cr_lf_and_colons() -> None:
    record = {"id": "x[a::b]", "requirement": "x", "parameter": "a::b", "title": "X",
              "outcome": "failed", "reason": "x.bad", "remediation": "do 100% of it",
              "message": "line one\r\nline two :: with %0A and ::error::"}
    (command,) = ci.workflow_commands({"connector": "ghes", "checks": [record]})
    assert "\n" not in command and "\r" not in command
    name, properties, message = _parse_command(command)
    assert name == "error"
    assert properties == {"title": "connector-checks ghes: x[a::b]"}
    assert message == "line one\r\nline two :: with %0A and ::error:: Fix: do 100% of it"


def test_a_job_summary_is_appended_when_github_gives_a_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run(pytester, "--offline", "--scenario", "missing-scopes")
    text = summary.read_text()
    assert text.startswith("earlier step\n## connector-checks ghes: not ready")
    assert "### Fix first" in text and "5 × scopes.granted (scopes.missing)" in text
    assert "| Scopes and permissions | `scopes.granted[admin:org]` | failed | scopes.missing |" \
        in text


def test_the_junit_report_is_one_case_per_check_with_message_and_fix(
    pytester: pytest.Pytester
) -> None:
    run(pytester, "--offline", "--scenario", "missing-scopes")
    suite = ET.parse(pytester.path / "reports" / "ghes.junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == healthy_checks() and suite.get("failures") == "5"
    failure = next(c for c in cases if c.get("name") == "scopes.granted[admin:org]").find(
        "failure")
    assert failure is not None and failure.get("type") == "scopes.missing"
    assert "fix: Edit the token and select admin:org" in (failure.text or "")


def test_the_json_report_gives_each_check_and_each_probe_one_line(
    pytester: pytest.Pytester
) -> None:
    run(pytester, "--offline", "--scenario", "missing-scopes")
    text = (pytester.path / "reports" / "ghes.json").read_text()
    loaded = json.loads(text)
    lines = text.splitlines()
    for entry in (*loaded["checks"], *loaded["probes"]):
        line = json.dumps(entry, ensure_ascii=False)
        assert f"    {line}," in lines or f"    {line}" in lines
    assert lines[:2] == ["{", '  "schema": 1,'] and lines[-1] == "}"


def test_the_junit_report_of_a_run_that_checked_nothing_is_an_empty_suite() -> None:
    from datetime import UTC, datetime

    from checks.report import RunInfo, junit

    info = RunInfo("ghes", "https://github.example.com", "live", None,
                   datetime(2026, 11, 29, tzinfo=UTC), 0.0, "", [], interrupted=True)
    for records in ([], [{"id": "x[a&b]", "outcome": "skipped", "reason": "dns.nxdomain",
                          "message": "<no> & \"quoted\"", "remediation": "",
                          "evidence": {}, "duration_s": 0.0}]):
        suite = ET.fromstring("".join(junit(info, records)).split("\n", 1)[1]).find("testsuite")
        assert suite is not None and suite.get("tests") == str(len(records))
        assert [c.get("name") for c in suite.iter("testcase")] == [r["id"] for r in records]
        assert [p.get("value") for p in suite.iter("property")][-1] == (
            "dns.nxdomain" if records else "true")


def _connector_step(recipe: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The recipe's command that runs the checks, and the variables it sets."""
    if "jobs" in recipe:
        steps = [s for job in recipe["jobs"].values() for s in job["steps"]]
        step = next(s for s in steps if "--connector" in s.get("run", ""))
        return step["run"], {k: v for k, v in step.get("env", {}).items()
                             if not str(v).startswith("${{")}
    job = next(j for j in recipe.values() if isinstance(j, dict) and "script" in j)
    command = next(line for line in job["script"] if "--connector" in line)
    return command, dict(job.get("variables", {}))


@pytest.mark.parametrize("recipe", ["github-actions.yml", "gitlab-ci.yml"])
def test_each_recipe_gates_on_its_connector_step(tmp_path: Path, recipe: str) -> None:
    loaded = yaml.safe_load((REPO / "docs" / "ci" / recipe).read_text())
    command, variables = _connector_step(loaded)
    connector = command.split("--connector ")[1].split()[0]
    failing = {"ghes": "missing-scopes", "gitlab": "missing-scope"}[connector]
    codes = {}
    for scenario in ("healthy", failing):
        env = {**os.environ, **variables, "PATH": f"{Path(sys.executable).parent}:"
               f"{os.environ['PATH']}",
               "CONNECTOR_CHECKS_ARGS": f"--offline --scenario {scenario} -p no:cacheprovider"}
        env.pop("CONNECTOR_GHES_TOKEN", None)
        env.pop("CONNECTOR_GITLAB_TOKEN", None)
        done = subprocess.run(["bash", "-c", command.replace("python ", f"{sys.executable} ")],
                              cwd=tmp_path, env=env, capture_output=True, text=True)
        codes[scenario] = done.returncode
        assert (tmp_path / "reports" / f"{connector}.junit.xml").is_file()
    assert codes == {"healthy": 0, failing: 1}
    if recipe == "gitlab-ci.yml":
        assert loaded["connector-checks"]["artifacts"]["reports"]["junit"] == \
            "reports/gitlab.junit.xml"


def test_compare_says_what_changed_since_the_previous_run(pytester: pytest.Pytester) -> None:
    run(pytester, "--offline", "--scenario", "private-ca", "--report-dir", "before")
    result = run(pytester, "--offline", "--scenario", "missing-scopes", "--compare",
                 "before/ghes.json")
    change = document(pytester)["comparison"]
    assert change["fixed"] == ["tls.public_ca[github.example.com:443]"]
    assert change["newly_failing"] == [f"scopes.granted[{s}]" for s in (
        "admin:org", "admin:repo_hook", "admin:org_hook", "user", "read:user")]
    assert change["still_failing"] == [] and change["new"] == [] and change["vanished"] == []
    result.stdout.fnmatch_lines(["*since the previous run*", "FIXED *tls.public_ca*",
                                 "NEWLY FAILING *scopes.granted[[]admin:org[]]*"])


def test_diff_of_two_reports_names_each_change(pytester: pytest.Pytester,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    run(pytester, "--offline", "-k", "not oauth", "--report-dir", "a")
    run(pytester, "--offline", "--scenario", "firewall-blocked", "--report-dir", "b")
    code = cli(["diff", str(pytester.path / "a" / "ghes.json"),
                str(pytester.path / "b" / "ghes.json")])
    out = capsys.readouterr().out.splitlines()
    assert code == 1  # something newly fails
    assert any(line.startswith("NEWLY FAILING  tcp.reachable[93.184.215.14:443]: passed -> "
                               "failed (tcp.") for line in out), out
    assert "NEW            oauth.client[ghes]" in out


def test_merge_puts_vantage_points_side_by_side_and_names_what_differs(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    run(pytester, "--offline", "--vantage", "inside", "--report-dir", "inside")
    run(pytester, "--offline", "--scenario", "firewall-blocked", "--vantage", "vendor side",
        "--report-dir", "outside")
    code = cli(["merge", str(pytester.path / "inside" / "ghes.json"),
                str(pytester.path / "outside" / "ghes.json"), "--out",
                str(pytester.path / "merged")])
    assert code == 0
    merged = json.loads((pytester.path / "merged" / "merged.json").read_text())
    assert [c["label"] for c in merged["columns"]] == ["inside", "vendor side"]
    assert [c["verdict"] for c in merged["columns"]] == ["ready", "not_ready"]
    # Exactly the checks whose outcome or reason differ: every check the firewall blocked
    # (passed inside, failed or skipped outside); DNS is the same from both.
    inside = {c["id"]: c for c in json.loads((pytester.path / "inside" / "ghes.json")
                                             .read_text())["checks"]}
    outside = {c["id"]: c for c in json.loads((pytester.path / "outside" / "ghes.json")
                                              .read_text())["checks"]}
    expected = [i for i in inside if i in outside and (inside[i]["outcome"], inside[i]["reason"])
                != (outside[i]["outcome"], outside[i]["reason"])]
    assert merged["differs"] == expected and "tcp.reachable[93.184.215.14:443]" in expected
    assert "dns.resolves[github.example.com]" not in merged["differs"]
    page = (pytester.path / "merged" / "merged.html").read_text()
    assert "vendor side" in page and "differs" in page and "not ready" in page
    out = capsys.readouterr().out
    assert "DIFFERS  tcp.reachable[93.184.215.14:443]" in out
    assert "inside: ready" in out and "vendor side: not ready" in out


def test_merge_of_two_runs_without_labels_shows_two_columns_and_no_difference(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    run(pytester, "--offline", "--report-dir", "one")
    run(pytester, "--offline", "--report-dir", "two")
    code = cli(["merge", str(pytester.path / "one" / "ghes.json"),
                str(pytester.path / "two" / "ghes.json"), "--out", str(pytester.path / "m")])
    merged = json.loads((pytester.path / "m" / "merged.json").read_text())
    assert code == 0 and len(merged["columns"]) == 2 and merged["differs"] == []
    assert len({c["key"] for c in merged["columns"]}) == 2
    assert all(len(row["verdicts"]) == 2 for row in merged["rows"])
    assert "0 of" in capsys.readouterr().out


def test_skips_for_different_upstream_causes_are_not_a_difference() -> None:
    from checks.compare import merge

    def report(run_id: str, outcome: str, reason: str | None) -> dict[str, Any]:
        return {"run_id": run_id, "connector": "ghes", "target": "https://g", "started_at": "t",
                "summary": {outcome: 1}, "checks": [
                    {"id": "auth.token[ghes]", "outcome": outcome, "reason": reason,
                     "message": ""}]}

    skipped = [("a", report("a", "skipped", "prerequisite.failed")),
               ("b", report("b", "skipped", "prerequisite.failed"))]
    assert merge(skipped)["differs"] == []
    against = [skipped[0], ("c", report("c", "failed", "auth.invalid_credentials"))]
    assert merge(against)["differs"] == ["auth.token[ghes]"]


def test_merge_refuses_the_same_run_twice_and_diff_an_unreadable_file_with_exit_4(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    run(pytester, "--offline", "--report-dir", "one")
    same = str(pytester.path / "one" / "ghes.json")
    assert cli(["merge", same, same, "--out", str(pytester.path / "m")]) == 4
    assert "are the same run" in capsys.readouterr().err
    assert cli(["diff", same, str(pytester.path / "missing.json")]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be read" in err


def test_diff_compare_and_merge_share_one_notion_of_changed_and_passed_to_warning_is_one(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    run(pytester, "--offline", "--report-dir", "before")
    run(pytester, "--offline", "--scenario", "not-owner", "--report-dir", "after")
    gated = run(pytester, "--offline", "--scenario", "not-owner", "--fail-on", "warning",
                "--compare", "before/ghes.json", "--report-dir", "gated")
    before, after, gated_json = (str(pytester.path / f / "ghes.json")
                                 for f in ("before", "after", "gated"))
    assert cli(["diff", before, after]) == 0  # a warning does not fail the default gate
    out = capsys.readouterr().out
    assert "CHANGED        org.owner[acme]: passed -> warning (org.not_owner)" in out, out
    assert "no change" not in out
    # Under --fail-on warning the same change fails the gate: diff, --compare and the
    # terminal say it newly fails.
    assert cli(["diff", before, gated_json]) == 1
    assert "NEWLY FAILING  org.owner[acme]: passed -> warning (org.not_owner)" in \
        capsys.readouterr().out
    change = document(pytester, folder="gated")["comparison"]
    assert change["newly_failing"] == ["org.owner[acme]"] and change["gate"] == "warning"
    gated.stdout.fnmatch_lines(["*(--fail-on warning: a warning fails)*",
                                "NEWLY FAILING  org.owner[[]acme[]]*"])
    assert gated.ret == 1
    # merge of the same pair names exactly the checks diff calls changed.
    assert cli(["merge", before, after, "--out", str(pytester.path / "m")]) == 0
    merged = json.loads((pytester.path / "m" / "merged.json").read_text())
    diffed = changes(json.loads(Path(before).read_text()), json.loads(Path(after).read_text()))
    assert [c["id"] for c in diffed["changed"]] == merged["differs"] == ["org.owner[acme]"]


def test_diff_of_different_connectors_or_targets_and_merge_of_one_report_are_refused(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    run(pytester, "--offline", "--report-dir", "ghes")
    run(pytester, "--offline", "--report-dir", "gitlab", connector="gitlab")
    ghes, gitlab = (str(pytester.path / c / f"{c}.json") for c in ("ghes", "gitlab"))
    assert cli(["diff", ghes, gitlab]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different connectors (ghes and gitlab)" in err
    other = json.loads(Path(ghes).read_text())
    other["target"], other["run_id"] = "https://git.other.example", "another"
    moved = pytester.path / "other.json"
    moved.write_text(json.dumps(other))
    assert cli(["diff", ghes, str(moved)]) == 4
    assert "different targets" in capsys.readouterr().err
    assert cli(["merge", ghes, "--out", str(pytester.path / "m")]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "merge needs two reports or more" in err
    assert not (pytester.path / "m").exists()
    result = run(pytester, "--offline", "--compare", str(moved), "--report-dir", "again")
    assert "comparison" not in document(pytester, folder="again")
    result.stdout.fnmatch_lines(["connector-checks: --compare: nothing compared for ghes: the "
                                 "reports are of different targets*"])


def test_the_console_command_is_installed(tmp_path: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "connector-checks"), "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("connector-checks ")
    bad = subprocess.run([str(Path(sys.executable).parent / "connector-checks"), "diff",
                          str(tmp_path / "none.json"), str(tmp_path / "none.json")],
                         capture_output=True, text=True)
    assert bad.returncode == 4 and bad.stderr.count("\n") == 1 and "cannot be read" in bad.stderr


def test_metrics_are_prometheus_text_with_outcomes_and_expiry(pytester: pytest.Pytester) -> None:
    run(pytester, "--offline", "--scenario", "missing-scopes", "--metrics", "run.prom")
    families = {f.name: f for f in text_string_to_metric_families(
        (pytester.path / "run.prom").read_text())}
    outcome = {(s.labels["check"], s.labels["outcome"]): s.value
               for s in families["connector_checks_check_outcome"].samples}
    assert outcome[("scopes.granted[admin:org]", "failed")] == 1
    assert outcome[("scopes.granted[admin:org]", "passed")] == 0
    (ready,) = families["connector_checks_ready"].samples
    assert ready.value == 0
    (expiry,) = families["connector_checks_certificate_expiry_seconds"].samples
    assert 300 * 86400 < expiry.value < 400 * 86400  # valid until 2027-11-01, seen 2026-11-01
    assert families["connector_checks_probe_duration_seconds"].samples


def test_the_metrics_file_holds_the_runs_start_to_the_second_and_others_can_read_it(
    pytester: pytest.Pytester
) -> None:
    before = time.time()
    run(pytester, "--offline", "--metrics", "run.prom")
    after = time.time()
    path = pytester.path / "run.prom"
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    (started,) = families["connector_checks_run_timestamp_seconds"].samples
    assert int(before) <= started.value <= after  # not rounded to six digits
    assert path.stat().st_mode & 0o777 == 0o644
    report = pytester.path / "reports" / "ghes.json"
    assert report.stat().st_mode & 0o044 == 0o044  # the reports are readable by others too
    assert not [p for p in pytester.path.iterdir() if ".tmp" in p.name]


def test_token_expiry_is_a_metric(pytester: pytest.Pytester) -> None:
    run(pytester, "--offline", "--scenario", "expiring-token", "--metrics", "run.prom",
        connector="github")
    families = {f.name: f for f in text_string_to_metric_families(
        (pytester.path / "run.prom").read_text())}
    (token,) = families["connector_checks_token_expiry_seconds"].samples
    assert 0 < token.value < 14 * 86400


# -- one verdict, every output ----------------------------------------------------------------

RUNS: dict[str, list[str]] = {
    "all passed": ["--scenario", "healthy"],
    "a warning": ["--scenario", "not-owner"],
    "a failure": ["--scenario", "missing-scopes"],
    "an empty selection": ["--scenario", "healthy", "-k", "nomatch"],
    "a usage error": ["--scenario", "healthy", "-m", "connector(("],
}
# (run, gate) -> (exit code, verdict); None: nothing is written
EXPECTED: dict[tuple[str, str], tuple[int, str | None]] = {
    ("all passed", "failed"): (0, "ready"), ("all passed", "warning"): (0, "ready"),
    ("a warning", "failed"): (0, "ready_with_warnings"), ("a warning", "warning"): (1, "not_ready"),
    ("a failure", "failed"): (1, "not_ready"), ("a failure", "warning"): (1, "not_ready"),
    ("an empty selection", "failed"): (5, "nothing_checked"),
    ("an empty selection", "warning"): (5, "nothing_checked"),
    ("a usage error", "failed"): (4, None), ("a usage error", "warning"): (4, None),
}
WORDS = {"ready": "ready", "ready_with_warnings": "ready with warnings",
         "not_ready": "not ready", "nothing_checked": "nothing checked"}


@pytest.mark.parametrize(("run", "fail_on"), EXPECTED, ids=[f"{r}, --fail-on {g}"
                                                            for r, g in EXPECTED])
def test_every_output_tells_the_verdict_the_exit_code_tells(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, run: str, fail_on: str
) -> None:
    code, verdict = EXPECTED[(run, fail_on)]
    reports = pytester.path / "reports"
    reports.mkdir()
    before = {name: f"an earlier run's {name}" for name in
              ("ghes.json", "ghes.junit.xml", "ghes.html")}
    for name, text in before.items():
        (reports / name).write_text(text)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--fail-on", fail_on, "--metrics", "run.prom", *RUNS[run])
    assert result.ret == code, result.stdout.str()
    if verdict is None:  # a usage error writes nothing and overwrites nothing
        assert {p.name: p.read_text() for p in reports.iterdir()} == before
        assert not (pytester.path / "run.prom").exists()
        return
    words = WORDS[verdict]
    document = json.loads((reports / "ghes.json").read_text())
    assert (document["verdict"]["verdict"], document["verdict"]["gate"]) == (verdict, fail_on)
    result.stdout.fnmatch_lines([f"verdict: {words}*"])
    suite = ET.parse(reports / "ghes.junit.xml").getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["verdict"] == verdict
    failing = int(suite.get("failures", "0")) + int(suite.get("errors", "0"))
    assert (failing > 0) == (verdict == "not_ready")
    assert f"Verdict: {words}" in (reports / "ghes.html").read_text()
    assert f": {words}" in (pytester.path / "summary.md").read_text().splitlines()[0]
    errors = [line for line in result.outlines if line.startswith("::error")]
    assert bool(errors) == (verdict == "not_ready")
    ready = {s.labels["connector"]: s.value for family in text_string_to_metric_families(
        (pytester.path / "run.prom").read_text()) for s in family.samples
        if s.name == "connector_checks_ready"}
    assert ready == {"ghes": 1.0 if verdict in ("ready", "ready_with_warnings") else 0.0}
