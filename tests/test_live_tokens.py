"""Live runs of the token connectors, github and gitlab, against loopback APIs over TLS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, Runner, api_args, fake_token
from tests.fake_gitlab import GitlabToken, GitlabWorld, gitlab_handler
from tests.pki import Pki
from tests.servers import Account, GithubWorld, github_handler

GITHUB_API = "api.github.com"  # the default target's API host; reached only through --connect-to
GITLAB = "gitlab.com"  # the default target; reached only through --connect-to
NOW = datetime.now(UTC)


@dataclass
class Serve:
    pki: Pki
    directory: Path
    stack: ExitStack
    monkeypatch: pytest.MonkeyPatch

    def args(self, host: str, handler: type[BaseHTTPRequestHandler], *extra: str) -> list[str]:
        return api_args(self.stack, self.pki, self.directory, host, handler, *extra)


@pytest.fixture
def serve(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    for name in ("CONNECTOR_GITHUB_TOKEN", "CONNECTOR_GITLAB_TOKEN", "GITHUB_TOKEN",
                 "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:
        yield Serve(pki, tmp_path, stack, monkeypatch)


# -- github ----------------------------------------------------------------------------------

def _github(serve: Serve, run_connector: Runner, account: Account | None,
            *extra: str, enterprise: bool = False, token: str | None = None) -> Run:
    token = token or fake_token()
    world = GithubWorld(prefix="/api/v3" if enterprise else "", enterprise=enterprise)
    if account is not None:
        world.accounts[token] = account
    serve.monkeypatch.setenv("CONNECTOR_GITHUB_TOKEN", token)
    host = "github.example.com" if enterprise else GITHUB_API
    target = ["--target", "https://github.example.com"] if enterprise else []
    return run_connector(*serve.args(host, github_handler(world), *target, *extra), connector="github")


def classic(scopes: str = "repo", **fields: Any) -> Account:
    return Account("dt-bot", scopes, {"acme": ("member", "active")}, **fields)


SOON = f"{NOW + timedelta(days=5):%Y-%m-%d %H:%M:%S} UTC"
LATER = f"{NOW + timedelta(days=90):%Y-%m-%d %H:%M:%S} +0100"
GITHUB_CASES: dict[str, tuple[Account | None, tuple[str, ...], dict[str, tuple[str, str | None]]]] = {
    "healthy classic token": (classic(expires=LATER), ("--org", "acme"), {
        "auth.token[github]": ("passed", None), "auth.sso[acme]": ("passed", None),
        "auth.expiry[github]": ("passed", None), "scopes.granted[repo]": ("passed", None),
        "scopes.least_privilege[github]": ("passed", None)}),
    "bad credentials": (None, (), {"auth.token[github]": ("failed", "auth.invalid_credentials"),
                                   "scopes.granted[repo]": ("skipped", "prerequisite.failed")}),
    "locked out": (classic(refusal=(403, {}, {
        "message": "Maximum number of login attempts exceeded. Please try again later.",
        "documentation_url": "https://docs.github.com/rest"})), (),
        {"auth.token[github]": ("failed", "auth.locked_out")}),
    "primary rate limit": (classic(refusal=(403, {
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW.timestamp()) + 3600)},
        {"message": "API rate limit exceeded for user ID 1."})), (),
        {"auth.token[github]": ("failed", "http.rate_limited")}),
    "secondary rate limit": (classic(refusal=(429, {"Retry-After": "120"}, {
        "message": "You have exceeded a secondary rate limit."})), (),
        {"auth.token[github]": ("failed", "http.rate_limited")}),
    "sso not authorized": (classic(sso_pending={"acme"}), ("--org", "acme"),
                           {"auth.sso[acme]": ("failed", "auth.sso_required")}),
    "expiring in five days": (classic(expires=SOON), (),
                              {"auth.expiry[github]": ("warning", "auth.token_expiring")}),
    "missing scope": (classic("read:org"), (),
                      {"scopes.granted[repo]": ("failed", "scopes.missing")}),
    "excess scopes": (classic("repo, admin:org, delete_repo, workflow"), (),
                      {"scopes.granted[repo]": ("passed", None),
                       "scopes.least_privilege[github]": ("warning", "scopes.excess")}),
    "required scopes replaced": (classic("repo, read:org"), ("--require-scope", "read:org"),
                                 {"scopes.granted[read:org]": ("passed", None),
                                  "scopes.granted[repo]": ("skipped", "not_applicable"),
                                  "scopes.least_privilege[github]": ("warning", "scopes.excess")}),
    "fine-grained token on a repository": (
        Account("dt-bot", None, readable={"acme/api": {"metadata", "issues"}}),
        ("--repo", "acme/api"),
        {"scopes.granted[acme/api:metadata]": ("passed", None),
         "scopes.granted[acme/api:issues]": ("passed", None),
         "scopes.granted[acme/api:pull_requests]": ("failed", "scopes.permission_missing"),
         "scopes.least_privilege[github]": ("skipped", "not_applicable")}),
    "fine-grained token without --repo": (
        Account("dt-bot", None), (),
        {"scopes.granted[repo]": ("skipped", "not_applicable")}),
}


@pytest.mark.parametrize(("account", "extra", "expected"), GITHUB_CASES.values(),
                         ids=GITHUB_CASES.keys())
def test_each_github_case_gives_its_requirement_outcome_and_reason(
    serve: Serve, run_connector: Runner, account: Account | None, extra: tuple[str, ...],
    expected: dict[str, tuple[str, str | None]],
) -> None:
    run = _github(serve, run_connector, account, *extra)
    assert {check: run.verdict(check) for check in expected} == expected, run.text
    assert run.report["summary"]["error"] == 0


def test_a_ghes_target_is_refused_and_pointed_to_the_ghes_connector(
    serve: Serve, run_connector: Runner
) -> None:
    run = _github(serve, run_connector, classic(), enterprise=True)
    check = run.checks["github.cloud_only[https://github.example.com]"]
    assert check["reason"] == "github.enterprise_server_unsupported"
    assert "--connector ghes" in check["remediation"]
    assert run.verdict("auth.token[github]") == ("skipped", "prerequisite.failed")


def test_the_token_type_and_owner_are_named(serve: Serve, run_connector: Runner) -> None:
    run = _github(serve, run_connector, classic(), token=fake_token("github_pat_"))
    evidence = run.checks["auth.token[github]"]["evidence"]
    assert (evidence["token_type"], evidence["login"]) == ("fine-grained personal access token",
                                                           "dt-bot")


def test_github_token_set_by_ci_is_never_read(serve: Serve, run_connector: Runner,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    token = fake_token("ghs_")
    world = GithubWorld(prefix="", enterprise=False, accounts={token: classic()})
    monkeypatch.setenv("GITHUB_TOKEN", token)
    run = run_connector(*serve.args(GITHUB_API, github_handler(world)), connector="github")
    assert run.verdict("auth.token[github]") == ("failed", "auth.missing")
    assert "GITHUB_TOKEN is never read" in run.checks["auth.token[github]"]["message"]


def test_sso_names_the_authorization_url(serve: Serve, run_connector: Runner) -> None:
    run = _github(serve, run_connector, classic(sso_pending={"acme"}), "--org", "acme")
    assert "https://github.com/orgs/acme/sso?authorization_request=A1B2C3" in run.checks[
        "auth.sso[acme]"]["message"]


# -- gitlab ----------------------------------------------------------------------------------

ALL = ["api", "read_repository", "read_user", "write_repository"]
IN_FIVE_DAYS = f"{NOW + timedelta(days=5):%Y-%m-%d}"


def _gitlab(serve: Serve, run_connector: Runner, token: GitlabToken | None, *extra: str,
            host: str = GITLAB, value: str | None = None,
            world: Callable[[GitlabWorld], None] | None = None) -> Run:
    value = value or fake_token("glpat-")
    gitlab = GitlabWorld()
    if token is not None:
        gitlab.tokens[value] = token
    if world is not None:
        world(gitlab)
    serve.monkeypatch.setenv("CONNECTOR_GITLAB_TOKEN", value)
    target = ["--target", f"https://{host}"] if host != GITLAB else []
    return run_connector(*serve.args(host, gitlab_handler(gitlab), *target, *extra),
                         connector="gitlab")


GITLAB_CASES: dict[str, tuple[GitlabToken | None, tuple[str, ...], dict[str, tuple[str, str | None]]]] = {
    "healthy": (GitlabToken(ALL), (), {"api.reachable[https://gitlab.com/api/v4]": ("passed", None),
                                       "auth.token[gitlab]": ("passed", None),
                                       "scopes.granted[write_repository]": ("passed", None),
                                       "scopes.least_privilege[gitlab]": ("passed", None)}),
    "bad credentials": (None, (), {"auth.token[gitlab]": ("failed", "auth.invalid_credentials"),
                                   "scopes.granted[api]": ("skipped", "prerequisite.failed")}),
    "expired token": (GitlabToken(ALL, state="expired"), (),
                      {"auth.token[gitlab]": ("failed", "gitlab.token_expired")}),
    "revoked token": (GitlabToken(ALL, state="revoked"), (),
                      {"auth.token[gitlab]": ("failed", "gitlab.token_revoked")}),
    "expiring in five days": (GitlabToken(ALL, expires_at=IN_FIVE_DAYS), (),
                              {"auth.token[gitlab]": ("warning", "auth.token_expiring"),
                               "scopes.granted[api]": ("passed", None)}),
    "missing scope": (GitlabToken(["api", "read_repository", "read_user"]), (),
                      {"scopes.granted[write_repository]": ("failed", "scopes.missing")}),
    "excess scopes": (GitlabToken([*ALL, "sudo", "admin_mode"]), (),
                      {"scopes.least_privilege[gitlab]": ("warning", "scopes.excess")}),
    "scopes left out": (GitlabToken(["api", "read_user"]),
                        ("--require-scope", "api", "--require-scope", "read_user"),
                        {"scopes.granted[api]": ("passed", None),
                         "scopes.granted[write_repository]": ("skipped", "not_applicable"),
                         "scopes.least_privilege[gitlab]": ("passed", None)}),
    "oauth token": (GitlabToken(ALL, kind="oauth"), (),
                    {"auth.token[gitlab]": ("passed", None),
                     "scopes.granted[read_user]": ("passed", None)}),
}


@pytest.mark.parametrize(("token", "extra", "expected"), GITLAB_CASES.values(),
                         ids=GITLAB_CASES.keys())
def test_each_gitlab_case_gives_its_requirement_outcome_and_reason(
    serve: Serve, run_connector: Runner, token: GitlabToken | None, extra: tuple[str, ...],
    expected: dict[str, tuple[str, str | None]],
) -> None:
    run = _gitlab(serve, run_connector, token, *extra)
    assert {check: run.verdict(check) for check in expected} == expected, run.text
    assert run.report["summary"]["error"] == 0


def test_a_self_managed_instance_with_a_custom_token_prefix(serve: Serve,
                                                            run_connector: Runner) -> None:
    run = _gitlab(serve, run_connector, GitlabToken(ALL), host="gitlab.example.com",
                  value="acme-" + fake_token("")[:30])
    assert run.report["summary"]["failed"] == 0, run.text
    assert run.checks["api.reachable[https://gitlab.example.com/api/v4]"]["evidence"][
        "edition"] == "Enterprise"


def test_an_instance_without_the_version_endpoint_answers_metadata(
    serve: Serve, run_connector: Runner
) -> None:
    run = _gitlab(serve, run_connector, GitlabToken(ALL),
                  world=lambda w: setattr(w, "version_path", False))
    check = run.checks["api.reachable[https://gitlab.com/api/v4]"]
    assert check["outcome"] == "passed" and check["evidence"]["version"] == "17.5.1-ee"


def test_a_project_access_token_is_named_as_a_bot(serve: Serve, run_connector: Runner) -> None:
    run = _gitlab(serve, run_connector, GitlabToken(ALL, kind="bot",
                                                    username="project_7_bot_a1b2"))
    evidence = run.checks["auth.token[gitlab]"]["evidence"]
    assert evidence["bot"] is True and evidence["kind"].startswith("project or group")


def test_a_missing_gitlab_token(serve: Serve, run_connector: Runner,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    run = _gitlab(serve, run_connector, GitlabToken(ALL))
    monkeypatch.delenv("CONNECTOR_GITLAB_TOKEN")
    run = run_connector(*serve.args(GITLAB, gitlab_handler(GitlabWorld())), connector="gitlab")
    assert run.verdict("auth.token[gitlab]") == ("failed", "auth.missing")
