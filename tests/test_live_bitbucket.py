"""Live runs of the bitbucket-dc connector against a loopback Bitbucket Data Center REST API
over TLS (tests/fake_bitbucket.py); each run is recorded and replayed to the same verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Run, Runner, api_args, fake_token
from tests.fake_bitbucket import BitbucketToken, BitbucketWorld, bitbucket_handler
from tests.pki import Pki

HOST = "bitbucket.example.com"
WHERE = ("--bitbucket-dc-project=ACME", "--bitbucket-dc-repository=api")


@dataclass
class Bitbucket:
    pki: Pki
    directory: Path
    stack: ExitStack
    monkeypatch: pytest.MonkeyPatch
    world: BitbucketWorld

    def run(self, runner: Runner, granted: set[str] | None, *extra: str,
            user: str | None = "flow-service") -> Run:
        token = fake_token("BBDC-")
        if granted is not None:
            self.world.tokens[token] = BitbucketToken(user, granted)
        self.monkeypatch.setenv("CONNECTOR_BITBUCKET_DC_TOKEN", token)
        args = api_args(self.stack, self.pki, self.directory, HOST,
                        bitbucket_handler(self.world), "--max-wait", "0")
        return runner("--target", f"https://{HOST}{self.world.prefix}", *args, *extra,
                      connector="bitbucket-dc")


@pytest.fixture
def bitbucket(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bitbucket]:
    for name in ("CONNECTOR_BITBUCKET_DC_TOKEN", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:
        yield Bitbucket(pki, tmp_path, stack, monkeypatch, BitbucketWorld())


READ = {"PROJECT_READ:ACME"}
CASES: dict[str, tuple[set[str] | None, tuple[str, ...], dict[str, tuple[str, str | None]]]] = {
    "healthy": (READ, WHERE, {
        "api.reachable[https://bitbucket.example.com/rest/api/1.0]": ("passed", None),
        "auth.token[bitbucket-dc]": ("passed", None),
        "project.exists[ACME]": ("passed", None),
        "repository.exists[ACME/api]": ("passed", None),
        "scopes.granted[PROJECT_READ]": ("passed", None),
        "scopes.granted[REPO_READ]": ("passed", None)}),
    "a bad token": (None, WHERE, {
        "auth.token[bitbucket-dc]": ("failed", "auth.invalid_credentials"),
        "project.exists[ACME]": ("skipped", "prerequisite.failed")}),
    "no such project": (READ, ("--bitbucket-dc-project=NOPE", "--bitbucket-dc-repository=api"), {
        "project.exists[NOPE]": ("failed", "bitbucket-dc.no_such_project"),
        "repository.exists[NOPE/api]": ("skipped", "prerequisite.failed"),
        "scopes.granted[PROJECT_READ]": ("skipped", "prerequisite.failed")}),
    "a project the account cannot see": (set(), WHERE, {
        "project.exists[ACME]": ("failed", "bitbucket-dc.project_hidden")}),
    "no such repository": (READ, ("--bitbucket-dc-project=ACME",
                                  "--bitbucket-dc-repository=gone"), {
        "repository.exists[ACME/gone]": ("failed", "bitbucket-dc.no_such_repository"),
        "scopes.granted[REPO_READ]": ("skipped", "prerequisite.failed"),
        "scopes.granted[PROJECT_READ]": ("passed", None)}),
    "a repository the account cannot see": ({"REPO_READ:ACME/web"}, WHERE, {
        "project.exists[ACME]": ("passed", None),
        "repository.exists[ACME/api]": ("failed", "bitbucket-dc.repository_hidden")}),
    "a repository permission only": ({"REPO_READ:ACME/api"}, WHERE, {
        "project.exists[ACME]": ("passed", None),
        "scopes.granted[REPO_READ]": ("passed", None),
        "scopes.granted[PROJECT_READ]": ("failed", "bitbucket-dc.permission_missing")}),
    "admin needed for webhooks": (READ, (*WHERE, "--require-scope", "REPO_ADMIN"), {
        "scopes.granted[REPO_ADMIN]": ("failed", "bitbucket-dc.permission_missing"),
        "scopes.granted[PROJECT_READ]": ("skipped", "not_applicable")}),
    "without a project": (READ, (), {
        "auth.token[bitbucket-dc]": ("passed", None),
        "scopes.granted[PROJECT_READ]": ("skipped", "not_applicable")}),
}


@pytest.mark.parametrize(("granted", "extra", "expected"), CASES.values(), ids=CASES.keys())
def test_each_bitbucket_case_gives_its_requirement_outcome_and_reason(
    bitbucket: Bitbucket, run_connector: Runner, granted: set[str] | None,
    extra: tuple[str, ...], expected: dict[str, tuple[str, str | None]]
) -> None:
    run = bitbucket.run(run_connector, granted, *extra)
    assert {check: run.verdict(check) for check in expected} == expected, run.text
    assert run.report["summary"]["error"] == 0


def test_the_version_and_the_user_are_named(bitbucket: Bitbucket, run_connector: Runner) -> None:
    run = bitbucket.run(run_connector, READ, *WHERE)
    assert "Bitbucket 8.19.2 (build 8019002)" in run.checks[
        "api.reachable[https://bitbucket.example.com/rest/api/1.0]"]["message"]
    assert "it acts as flow-service" in run.checks["auth.token[bitbucket-dc]"]["message"]


def test_a_context_path_is_part_of_the_api_url(bitbucket: Bitbucket, run_connector: Runner
                                               ) -> None:
    bitbucket.world.prefix = "/bitbucket"
    run = bitbucket.run(run_connector, READ, *WHERE)
    assert run.verdict("api.reachable[https://bitbucket.example.com/bitbucket/rest/api/1.0]") \
        == ("passed", None), run.text


def test_bitbuckets_error_body_is_quoted(bitbucket: Bitbucket, run_connector: Runner) -> None:
    run = bitbucket.run(run_connector, READ, "--bitbucket-dc-project=NOPE")
    assert "Project NOPE does not exist. (NoSuchProjectException)" in run.checks[
        "project.exists[NOPE]"]["message"]


def test_a_rate_limit_is_named_with_when_to_retry(bitbucket: Bitbucket, run_connector: Runner
                                                  ) -> None:
    bitbucket.world.rate_limited = True
    run = bitbucket.run(run_connector, READ, *WHERE)
    check = run.checks["api.reachable[https://bitbucket.example.com/rest/api/1.0]"]
    assert (check["outcome"], check["reason"]) == ("failed", "http.rate_limited"), run.text
    assert "Bitbucket says: Rate limit exceeded" in check["message"]
    assert check["evidence"]["headers"]["x-ratelimit-limit"] == "60"


def test_a_project_key_the_option_cannot_take_is_one_line(run_connector: Runner,
                                                          pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--connector", "bitbucket-dc", "--offline",
                                "--bitbucket-dc-project=no spaces")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        "ERROR: --bitbucket-dc-project: 'no spaces' is not a Bitbucket project key (letters, "
        "digits and _, starting with a letter; ~USER for a personal project)"]
