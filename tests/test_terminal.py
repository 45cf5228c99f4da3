"""What the terminal says, read from outside as a person reads it: where --record, --bundle
and --metrics wrote; a warning under --fail-on warning shown once; "warned" counted; --help
naming each option's values and what it means to each connector; --ff putting the failures
of the last run first."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from tests.conftest import Site

BASE = ("-p", "no:cacheprovider")


def test_record_bundle_and_metrics_say_where_they_wrote_and_the_replay_runs_as_printed(
    site: Site, pytester: pytest.Pytester
) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", *site.args(site.https()),
                                "--record", "ticket.json", "--bundle", "ticket.zip",
                                "--metrics", "run.prom")
    text = result.stdout.str()
    assert "connector-checks: recorded the ghes run in ticket.json; replay it with: " in text
    assert "connector-checks: bundle for a ticket written to ticket.zip" in text
    assert "connector-checks: metrics written to run.prom" in text
    line = next(t for t in result.outlines if "replay it with: " in t)
    command = line.split("replay it with: ", 1)[1]
    assert command.startswith(f"{shlex.quote(sys.executable)} -m pytest ")
    replay = subprocess.run(command, shell=True, cwd=pytester.path, capture_output=True,
                            text=True)
    assert replay.returncode == 0, replay.stdout
    assert (pytester.path / "replayed" / "ghes.json").is_file()


@pytest.mark.parametrize("on_ci", [False, True], ids=["terminal", "CI"])
def test_a_warning_that_fails_the_gate_is_shown_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, on_ci: bool
) -> None:
    # On CI (and under -vv) pytest's short summary prints a failure's message whole.
    if on_ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("BUILD_NUMBER", raising=False)
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "not-owner", "--fail-on", "warning")
    text = result.stdout.str()
    assert result.ret == 1
    assert "connector-checks warning" not in text
    # The check's whole detail (its guide, its evidence) once, as a failure's is; the summary
    # line at the end names it and its fix, as for every check that did not pass.
    assert text.count("required by: Flow's guide \"GitHub Enterprise Server setup\": 'the "
                      "service account needs to be an owner") == 1, text
    summary = next(line for line in result.outlines if line.startswith("FAILED ghes::org.owner"))
    assert summary.endswith(" - WARNING (org.not_owner): the account is an active member of "
                            "acme, not an owner: webhooks will not be available, and the "
                            "vendor's guide asks for an owner to use every integration service "
                            "(pull requests, tickets, webhooks); repositories can still be "
                            "imported") if on_ci else " - WARNING (org.not_owner)" in summary


def test_checks_that_warned_are_counted_as_warned(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*BASE, "--connector", "ghes", "--offline", "--scenario",
                                "not-owner")
    last = result.outlines[-1]
    assert " 1 warned" in last and " 1 warning " not in last and " 1 warning," not in last, last


def test_help_shows_each_options_values_and_what_it_means_to_each_connector(
    pytester: pytest.Pytester
) -> None:
    text = " ".join(" ".join(pytester.runpytest("--help").outlines).split())
    assert "--fail-on={failed,warning}" in text and "CONNECTOR_FAIL_ON" not in text
    assert "--target=URL" in text and "needed by azure-devops, bitbucket-dc, ghes" in text
    assert "gitlab https://gitlab.com" in text
    assert "github: the token is authorized for its SAML SSO (auth.sso)" in text
    assert "--record=PATH.json" in text and "--check-timeout=SECONDS" in text


def test_failed_first_runs_the_last_failures_first(pytester: pytest.Pytester) -> None:
    pytester.runpytest("--connector", "ghes", "--offline", "--scenario", "missing-scopes")
    result = pytester.runpytest("--connector", "ghes", "--offline", "--scenario",
                                "missing-scopes", "--ff", "-v")
    ran = [line.split()[0] for line in result.outlines if line.startswith("ghes::")]
    failed = [line.split()[0] for line in result.outlines
              if line.startswith("ghes::") and " FAILED " in line]
    assert failed and ran[:len(failed)] == failed, ran
