"""A fleet: many targets from one file, checked in one run, each under its name, reported
each and together; sharded for a CI matrix and merged back; recorded and replayed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import HOST, Site, fake_token
from tools import browser

BASE = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
ROOT = Path(__file__).resolve().parent.parent
FLEET_SCHEMA = json.loads((ROOT / "checks" / "fleet.schema.json").read_text())
FILE_SCHEMA = json.loads((ROOT / "checks" / "fleet-file.schema.json").read_text())
DEMO = {"acme-ghes": "ready", "legacy-ghes": "not_ready",
        "platform-gitlab": "ready_with_warnings", "deploy-app": "ready"}


def fleet_report(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "fleet.json").read_text())
    jsonschema.validate(document, FLEET_SCHEMA)
    return document


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in document["targets"]}


def test_the_bundled_fleet_is_checked_target_by_target_and_every_output_agrees(
    pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "--metrics", "fleet.prom")
    reports = pytester.path / "reports"
    summary = fleet_report(reports)
    found = rows(summary)
    assert {name: row["verdict"]["verdict"] for name, row in found.items()} == DEMO
    assert summary["verdict"]["verdict"] == "not_ready"
    assert result.ret == summary["verdict"]["exit_code"] == 1
    legacy = found["legacy-ghes"]["first_failure"]
    assert legacy["id"] == "tls.public_ca[github.example.com:443]"
    assert legacy["reason"] == "tls.expired"
    assert found["platform-gitlab"]["first_failure"]["outcome"] == "warning"
    assert found["acme-ghes"]["certificate"]["not_after"].startswith("2027-11-01")
    assert found["platform-gitlab"]["token"]["days_left"] < 14
    # Each target's three reports in its own folder, under its own name.
    for name, row in found.items():
        own = json.loads((reports / row["reports"]["json"]).read_text())
        assert own["name"] == name and own["connector"] == row["connector"]
        assert (reports / row["reports"]["html"]).is_file()
        assert (reports / row["reports"]["junit.xml"]).is_file()
    # The items are the targets' checks, by name.
    text = result.stdout.str()
    assert "FAILED legacy-ghes::tls.public_ca[github.example.com:443]" in text
    assert "fleet verdict: not ready; " in text
    # One JUnit file, a suite per target, failing where the target is not ready.
    suites = ET.parse(reports / "fleet.junit.xml").getroot().findall("testsuite")
    failing = {suite.get("name"): int(suite.get("failures", "0")) for suite in suites}
    assert failing == {"connector-checks acme-ghes (ghes)": 0,
                       "connector-checks legacy-ghes (ghes)": 1,
                       "connector-checks platform-gitlab (gitlab)": 0,
                       "connector-checks deploy-app (github-app)": 0}
    # Metrics: a series per target, by target and connector.
    families = {f.name: f for f in text_string_to_metric_families(
        (pytester.path / "fleet.prom").read_text())}
    ready = {(s.labels["target"], s.labels["connector"]): s.value
             for s in families["connector_checks_ready"].samples}
    assert ready == {("acme-ghes", "ghes"): 1, ("legacy-ghes", "ghes"): 0,
                     ("platform-gitlab", "gitlab"): 1, ("deploy-app", "github-app"): 1}
    certificates = {s.labels["target"]: s.value
                    for s in families["connector_checks_certificate_expiry_seconds"].samples}
    assert certificates["legacy-ghes"] < 0 < certificates["acme-ghes"]
    (token,) = families["connector_checks_token_expiry_seconds"].samples
    assert token.labels["target"] == "platform-gitlab" and 0 < token.value < 14 * 86400


def test_the_bundled_fleet_file_follows_its_published_schema() -> None:
    import tomllib

    from checks.fleet import BUNDLED

    for path in BUNDLED.glob("*.toml"):
        jsonschema.validate(tomllib.loads(path.read_text()), FILE_SCHEMA)


def test_the_fleet_page_shows_each_target_to_a_reader_without_javascript(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.runpytest(*BASE, "--fleet", "demo", "--offline")
    reports = pytester.path / "reports"
    page, summary = reports / "fleet.html", fleet_report(reports)
    net_log = tmp_path / "net.json"
    text = browser.visible_text(browser.dom(page, net_log))
    assert "Fleet demo: 4 targets" in text and "not ready" in text
    for row in summary["targets"]:
        assert row["name"] in text and row["verdict"]["words"] in text
        assert (reports / row["reports"]["html"]).is_file()  # its link leads somewhere
    legacy = rows(summary)["legacy-ghes"]["first_failure"]
    assert " ".join(legacy["message"].split()) in text
    assert " ".join(legacy["remediation"].split()) in text
    assert "2026-10-29" in text  # the expired certificate's date
    assert browser.page_requests(net_log) == []
    png = browser.screenshot(page, tmp_path / "fleet.png", width=1100, height=900)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"the fleet page, as Chromium shows it without JavaScript: {png}")


def test_k_m_and_lf_select_a_targets_checks(pytester: pytest.Pytester) -> None:
    only = pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "-k", "acme-ghes")
    assert only.ret == 0
    outcomes = only.parseoutcomes()
    assert outcomes["passed"] == rows(fleet_report(pytester.path / "reports"))["acme-ghes"][
        "summary"]["passed"] and "failed" not in outcomes
    assert fleet_report(pytester.path / "reports")["verdict"]["verdict"] == "ready"
    marked = pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "-m",
                                "connector(target='legacy-ghes', layer='tls')")
    assert marked.ret == 1 and "acme-ghes::" not in marked.stdout.str()
    first = pytester.runpytest("-W", "ignore::pytest.PytestAssertRewriteWarning", "--fleet",
                               "demo", "--offline")
    assert first.ret == 1
    again = pytester.runpytest("-W", "ignore::pytest.PytestAssertRewriteWarning", "--fleet",
                               "demo", "--offline", "--lf")
    assert again.parseoutcomes() == {"failed": 1, "deselected": again.parseoutcomes()[
        "deselected"]}


INLINE_TOKEN = fake_token()  # made at test time: no file holds anything shaped like a token
FLEET_ERRORS = {
    "duplicate names": ('[[targets]]\nname = "a"\nconnector = "ghes"\n\n[[targets]]\n'
                        'name = "a"\nconnector = "gitlab"\n',
                        "fleet.toml:5: target name 'a' is used twice (first at line 1)"),
    "unknown connector": ('[[targets]]\nname = "a"\nconnector = "ghe"\n',
                          "fleet.toml:3: unknown connector 'ghe' (did you mean ghes?)"),
    "a secret's value inline": ('[[targets]]\nname = "a"\nconnector = "ghes"\n'
                                '[targets.secrets]\nCONNECTOR_GHES_TOKEN = "hunter2-hunter2"\n',
                                "fleet.toml:5: target a: the value of CONNECTOR_GHES_TOKEN is "
                                "in the file (not shown)"),
    "a token anywhere": ('[[targets]]\nname = "a"\nconnector = "ghes"\n'
                         f'org = "{INLINE_TOKEN}"\n',
                         "fleet.toml:4: a value has the shape of a credential (not shown)"),
    "not TOML": ('[[targets]\nname = "a"\n', "fleet.toml:1: not TOML"),
    "an unknown key": ('[[targets]]\nname = "a"\nconnector = "ghes"\norgg = "acme"\n',
                       "fleet.toml:4: unknown key 'orgg' (did you mean org?)"),
    "a run's option": ('[defaults]\nfail-on = "warning"\n[[targets]]\nname = "a"\n'
                       'connector = "ghes"\n', "fleet.toml:2: fail-on is the run's"),
    "no targets": ('[defaults]\norg = "acme"\n', "fleet.toml:1: no [[targets]]"),
    "a bad name": ('[[targets]]\nname = "a b"\nconnector = "ghes"\n',
                   "fleet.toml:1: target name 'a b'"),
    "a bad URL": ('[[targets]]\nname = "a"\nconnector = "ghes"\ntarget = "http://g.example"\n',
                  "fleet.toml:1: target a: 'http://g.example' is not an https:// URL"),
    "another connector's option": ('[[targets]]\nname = "a"\nconnector = "ghes"\n'
                                   'bitbucket-dc-project = "P"\n',
                                   "is another connector's option, not ghes's"),
    "a secret the connector does not have": (
        '[[targets]]\nname = "a"\nconnector = "ghes"\n[targets.secrets]\n'
        'CONNECTOR_GITLAB_TOKEN = { env = "X" }\n',
        "secrets: CONNECTOR_GITLAB_TOKEN is not one of ghes's"),
}


@pytest.mark.parametrize(("text", "says"), FLEET_ERRORS.values(), ids=FLEET_ERRORS.keys())
def test_a_bad_fleet_file_is_one_line_naming_the_file_and_line(
    pytester: pytest.Pytester, text: str, says: str
) -> None:
    (pytester.path / "fleet.toml").write_text(text)
    result = pytester.runpytest(*BASE, "--fleet", "fleet.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR")]
    assert len(errors) == 1 and says in errors[0], errors
    assert INLINE_TOKEN not in "\n".join(result.outlines + result.errlines)
    assert "hunter2" not in "\n".join(result.outlines + result.errlines)
    assert not (pytester.path / "reports").exists()  # nothing probed, nothing written


RUN_ERRORS = {
    "a missing file": (["--fleet", "nowhere.toml"], "--fleet nowhere.toml: cannot read"),
    "a bad shard": (["--fleet", "demo", "--shard", "3/2"], "--shard: '3/2' is not K/N"),
    "a shard without a fleet": (["--connector", "ghes", "--offline", "--shard", "1/2"],
                                "--shard is for a fleet"),
    "a target's option beside it": (["--fleet", "demo", "--org", "acme"],
                                     "--org is a target's: with --fleet, give it in the fleet "
                                     "file"),
    "a record file for a fleet": (["--fleet", "demo", "--record", "r.json"],
                                  "with --fleet, a folder"),
}


@pytest.mark.parametrize(("args", "says"), RUN_ERRORS.values(), ids=RUN_ERRORS.keys())
def test_a_bad_fleet_option_is_one_line(pytester: pytest.Pytester, args: list[str],
                                        says: str) -> None:
    result = pytester.runpytest_subprocess(*BASE, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = "\n".join(result.errlines + result.outlines)
    assert "Traceback" not in output
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR")]
    assert len(errors) == 1 and says in errors[0], output


def test_shards_merged_give_the_unsharded_fleets_page_json_and_exit_code(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    from checks.fleet import comparable_view

    whole = pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "--report-dir", "whole")
    names: list[set[str]] = []
    for k in (1, 2, 3):
        pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "--shard", f"{k}/3",
                           "--report-dir", f"shard{k}")
        names.append(set(rows(fleet_report(pytester.path / f"shard{k}"))))
    assert set().union(*names) == set(DEMO) and sum(map(len, names)) == len(DEMO)
    merged = subprocess.run(
        [sys.executable, "-m", "checks.cli", "merge", *(f"shard{k}/fleet.json" for k in (1, 2, 3)),
         "--out", "merged"], cwd=pytester.path, capture_output=True, text=True)
    assert merged.returncode == whole.ret == 1, merged.stderr
    one, joined = fleet_report(pytester.path / "whole"), fleet_report(pytester.path / "merged")

    def view(document: dict[str, Any]) -> dict[str, Any]:
        seen = comparable_view(document)
        for row in seen["targets"]:
            row.pop("reports")
        return seen

    assert view(joined) == view(one)
    for row in joined["targets"]:  # each link leads to its shard's page
        assert (pytester.path / "merged" / row["reports"]["html"]).is_file()
    page = browser.visible_text((pytester.path / "merged" / "fleet.html").read_text())
    assert page == browser.visible_text((pytester.path / "whole" / "fleet.html").read_text()
                                        ).replace(one["started_at"], joined["started_at"]
                                                  ).replace(f"{one['duration_s']} s",
                                                            f"{joined['duration_s']} s"
                                                            ).replace("; offline",
                                                                      "; shards 1/3, 2/3, "
                                                                      "3/3; offline")
    # A shard missing is said, and its targets are not checked: never "ready".
    partial = subprocess.run([sys.executable, "-m", "checks.cli", "merge", "shard1/fleet.json",
                              "--out", "partial"], cwd=pytester.path, capture_output=True,
                             text=True)
    assert partial.returncode in (1, 2) and "NOT CHECKED" in partial.stdout
    twice = subprocess.run([sys.executable, "-m", "checks.cli", "merge", "shard1/fleet.json",
                            "shard1/fleet.json"], cwd=pytester.path, capture_output=True,
                           text=True)
    assert twice.returncode == 4 and "given twice" in twice.stderr


def test_a_shard_holds_the_same_targets_whatever_the_order_of_the_file(tmp_path: Path) -> None:
    from checks.fleet import load

    names = [f"target-{n:03d}" for n in range(50)]
    forward = "".join(f'[[targets]]\nname = "{n}"\nconnector = "ghes"\n' for n in names)
    backward = "".join(f'[[targets]]\nname = "{n}"\nconnector = "ghes"\n'
                       for n in reversed(names))
    (tmp_path / "a.toml").write_text(forward)
    (tmp_path / "b.toml").write_text(backward)
    for k in range(1, 8):
        a = {t.name for t in load(str(tmp_path / "a.toml"), ["ghes"], shard=(k, 7)).targets}
        b = {t.name for t in load(str(tmp_path / "b.toml"), ["ghes"], shard=(k, 7)).targets}
        assert a == b and len(a) in (7, 8)


def live_fleet(site: Site, port: int, dns: str, extra: str = "") -> str:
    return (f'[defaults]\nconnector = "ghes"\ntarget = "https://{HOST}"\norg = "acme"\n'
            f'resolver = "{dns}"\nconnect-to = "{HOST}:443:127.0.0.1:{port}"\n'
            f'public-roots = "{site.roots}"\n\n'
            '[[targets]]\nname = "acme"\n'
            'secrets = { CONNECTOR_GHES_TOKEN = { env = "ACME_TOKEN" } }\n\n'
            '[[targets]]\nname = "acme-again"\n'
            'secrets = { CONNECTOR_GHES_TOKEN = { file = "acme.token" } }\n\n'
            '[[targets]]\nname = "no-token"\n'
            'secrets = { CONNECTOR_GHES_TOKEN = { env = "UNSET_TOKEN" } }\n' + extra)


def test_a_live_fleet_shares_what_is_the_same_records_and_replays_to_the_same_verdicts(
    site: Site, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, dns = site.https(), site.dns()
    monkeypatch.delenv("CONNECTOR_GHES_TOKEN")
    monkeypatch.setenv("ACME_TOKEN", site.token)
    monkeypatch.delenv("UNSET_TOKEN", raising=False)
    (pytester.path / "acme.token").write_text(site.token + "\n")
    (pytester.path / "fleet.toml").write_text(live_fleet(site, port, dns))
    result = pytester.runpytest(*BASE, "--fleet", "fleet.toml", "--check-timeout", "2",
                                "--record", "recorded", "--metrics", "fleet.prom")
    summary = fleet_report(pytester.path / "reports")
    found = rows(summary)
    assert {n: r["verdict"]["verdict"] for n, r in found.items()} == {
        "acme": "ready", "acme-again": "ready", "no-token": "not_ready"}
    assert found["no-token"]["first_failure"]["reason"] == "auth.missing"
    assert "comes from environment variable UNSET_TOKEN" in \
        found["no-token"]["first_failure"]["message"]
    assert result.ret == summary["verdict"]["exit_code"] == 1
    suites = ET.parse(pytester.path / "reports" / "fleet.junit.xml").getroot()
    failing = {s.get("name"): int(s.get("failures", "0")) for s in suites.findall("testsuite")}
    assert failing == {"connector-checks acme (ghes)": 0, "connector-checks acme-again (ghes)": 0,
                       "connector-checks no-token (ghes)": 1}
    ready = {s.labels["target"]: s.value for f in text_string_to_metric_families(
        (pytester.path / "fleet.prom").read_text()) for s in f.samples
        if s.name == "connector_checks_ready"}
    assert ready == {"acme": 1, "acme-again": 1, "no-token": 0}
    # Two targets with the same facts: each request was sent once, and both reports have it.
    assert site.world.requests.count("/user") == 1
    for name in ("acme", "acme-again"):
        own = json.loads((pytester.path / "reports" / name / "ghes.json").read_text())
        assert any(p["target"].endswith("/api/v3/user") for p in own["probes"]), name
    # The token is in no file the run wrote, nor in its output.
    everything = "\n".join(result.outlines + result.errlines)
    for path in pytester.path.rglob("*"):
        if path.is_file() and path.name != "acme.token":
            everything += path.read_text(errors="replace")
    assert site.token not in everything
    # The recorded fleet replays offline to the same verdicts, check for check.
    assert sorted(p.name for p in (pytester.path / "recorded").iterdir()) == [
        "acme-again.json", "acme.json", "fleet.toml", "no-token.json"]
    again = pytester.runpytest(*BASE, "--fleet", "recorded", "--offline", "--report-dir",
                               "replayed")
    assert again.ret == result.ret
    for name in found:
        live = json.loads((pytester.path / "reports" / name / "ghes.json").read_text())
        replay = json.loads((pytester.path / "replayed" / name / "ghes.json").read_text())
        assert [(c["id"], c["outcome"], c["reason"]) for c in replay["checks"]] == \
            [(c["id"], c["outcome"], c["reason"]) for c in live["checks"]], name


def test_a_target_that_stalls_costs_its_own_deadline_never_anothers(
    site: Site, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.servers import GithubWorld, https_server, server_context

    port, dns = site.https(), site.dns()
    stuck = GithubWorld(meta="hang")  # its /meta never answers
    stuck.accounts = site.world.accounts
    context = server_context(site.directory, site.pki.public_chain(HOST))
    stalled = site.stack.enter_context(https_server(stuck, context)).port
    monkeypatch.setenv("ACME_TOKEN", site.token)
    (pytester.path / "acme.token").write_text(site.token)
    fleet = live_fleet(site, port, dns) + (
        f'\n[[targets]]\nname = "stuck"\nrun-timeout = 2\n'
        f'connect-to = "{HOST}:443:127.0.0.1:{stalled}"\n'
        'secrets = { CONNECTOR_GHES_TOKEN = { env = "ACME_TOKEN" } }\n')
    (pytester.path / "fleet.toml").write_text(fleet)
    began = time.monotonic()
    # One target at a time, the stuck one among them, each step allowed 30 s.
    pytester.runpytest(*BASE, "--fleet", "fleet.toml", "--check-timeout", "30",
                       "--fleet-concurrency", "1")
    took = time.monotonic() - began
    found = rows(fleet_report(pytester.path / "reports"))
    assert {n: r["verdict"]["verdict"] for n, r in found.items()} == {
        "acme": "ready", "acme-again": "ready", "no-token": "not_ready", "stuck": "not_ready"}
    own = json.loads((pytester.path / "reports" / "stuck" / "ghes.json").read_text())
    assert any(c["reason"] == "harness.deadline" for c in own["checks"])
    assert took < 25  # the stuck target cost its own 2 s, not the step's 30 s


def test_on_github_actions_each_annotation_and_the_job_summary_name_the_target(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    result = pytester.runpytest(*BASE, "--fleet", "demo", "--offline")
    errors = [line for line in result.outlines if line.startswith("::error")]
    assert errors and all("title=connector-checks legacy-ghes (ghes)%3A " in e for e in errors)
    summary = (pytester.path / "summary.md").read_text()
    assert summary.startswith("## connector-checks fleet demo: not ready\n")
    assert "| legacy-ghes | ghes | not ready | `tls.public_ca[github.example.com:443]` " \
           "tls.expired: " in summary
    rows_shown = [line for line in summary.splitlines() if line.startswith("| ")]
    assert len(rows_shown) == 1 + len(DEMO)  # the header, and a row per target


def test_a_fleets_bundle_keeps_each_targets_reports_and_scenario_apart(
    pytester: pytest.Pytester
) -> None:
    import zipfile

    pytester.runpytest(*BASE, "--fleet", "demo", "--offline", "--bundle", "ticket.zip")
    names = set(zipfile.ZipFile(pytester.path / "ticket.zip").namelist())
    for target, connector in (("acme-ghes", "ghes"), ("legacy-ghes", "ghes"),
                              ("platform-gitlab", "gitlab"), ("deploy-app", "github-app")):
        assert f"reports/{target}/{connector}.html" in names
        assert f"recordings/{target}.json" in names
    assert {"reports/fleet.html", "reports/fleet.json", "reports/fleet.junit.xml"} <= names
