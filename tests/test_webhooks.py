"""The other direction: the vendor's webhook on GitHub (GHES here), checked live against a
loopback GitHub whose hooks, deliveries and pings follow GitHub's REST documentation; each
run is recorded and replayed to the same verdicts (the run_connector fixture)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import Run, Runner, Site, api_args, fake_token
from tests.fake_gitlab import GitlabToken, GitlabWorld, gitlab_handler, gitlab_hook, hook_event
from tests.pki import Pki
from tests.servers import VENDOR_HOOK_URL, Account, delivery, hook

FLAG = ("--ghes-webhook-url", "https://hooks.vendor.example/github")
ORG_HOOKS = "orgs/acme"
WHERE = "acme/hooks/11"
PRESENT, CONFIG, DELIVERIES, PING = ("webhook.present[acme]", f"webhook.config[{WHERE}]",
                                     f"webhook.deliveries[{WHERE}]", f"webhook.ping[{WHERE}]")


def healthy(site: Site, **changes: object) -> None:
    site.world.hooks[ORG_HOOKS] = [hook(10, "https://ci.example.org/hooks/github"),
                                   hook(11, **changes)]  # type: ignore[arg-type]
    site.world.deliveries[11] = [delivery(n, f"2026-11-30T0{9 - n}:00:00Z") for n in range(3)]


def test_the_vendors_hook_set_up_and_delivering_passes(site: Site,
                                                       run_connector: Runner) -> None:
    healthy(site)
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(PRESENT) == ("passed", None)
    assert run.verdict(CONFIG) == ("passed", None)
    assert run.verdict(DELIVERIES) == ("passed", None)
    assert PING not in run.checks  # nothing is sent without --ping-webhooks
    assert run.report["pinged_webhooks"] is False
    assert site.world.pinged == []
    timeline = run.checks[DELIVERIES]["evidence"]["deliveries"]
    assert [d["outcome"] for d in timeline] == ["ok", "ok", "ok"]
    shown = run.checks[PRESENT]["evidence"]["hooks"]
    assert {h["secret"] for h in shown} == {"set"} and "********" not in json.dumps(run.report)


def test_without_a_webhook_url_no_webhook_check_is_listed(site: Site,
                                                          run_connector: Runner) -> None:
    healthy(site)
    run = run_connector(*site.args(site.https()))
    assert not [c for c in run.checks if c.startswith("webhook.")]
    assert "hooks" not in " ".join(site.world.requests)


def test_no_hook_delivering_to_the_vendor_fails_naming_what_is_there(
    site: Site, run_connector: Runner
) -> None:
    site.world.hooks[ORG_HOOKS] = [hook(10, "https://ci.example.org/hooks/github")]
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(PRESENT) == ("failed", "webhook.missing")
    assert "https://ci.example.org/hooks/github" in run.checks[PRESENT]["message"]
    assert not [c for c in run.checks if c.startswith(("webhook.config", "webhook.deliveries"))]


def test_a_member_account_skips_the_webhook_checks_naming_the_organization_role(
    site: Site, run_connector: Runner
) -> None:
    healthy(site)
    site.world.accounts[site.token].memberships["acme"] = ("member", "active")
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict("org.owner[acme]") == ("warning", "org.not_owner")
    outcome, reason = run.verdict(PRESENT)
    assert (outcome, reason) == ("skipped", "prerequisite.failed")
    assert run.checks[PRESENT]["message"] == \
        "not checked: org.owner[acme] warned (org.not_owner)"
    assert not [c for c in run.checks.values() if c["outcome"] == "error"]


def test_a_token_without_admin_org_hook_skips_the_webhook_checks_naming_that_scope(
    site: Site, run_connector: Runner
) -> None:
    healthy(site)
    site.world.accounts[site.token] = Account("flow-service", "admin:org, repo, user",
                                              {"acme": ("admin", "active")})
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict("scopes.granted[admin:org_hook]") == ("failed", "scopes.missing")
    assert run.verdict(PRESENT) == ("skipped", "prerequisite.failed")
    assert run.checks[PRESENT]["message"].startswith(
        "not checked: scopes.granted[admin:org_hook] failed (scopes.missing)")
    assert not [c for c in run.checks.values() if c["outcome"] == "error"]


CONFIGS = {
    "inactive": ({"active": False}, "failed", "webhook.inactive"),
    "SSL verification off": ({"insecure_ssl": "1"}, "warning", "webhook.tls_unverified"),
    "no secret": ({"secret": False}, "warning", "webhook.no_secret"),
}


@pytest.mark.parametrize(("changes", "outcome", "reason"), CONFIGS.values(), ids=CONFIGS.keys())
def test_a_vendor_hook_set_up_wrong_is_named(site: Site, run_connector: Runner,
                                             changes: dict[str, object], outcome: str,
                                             reason: str) -> None:
    healthy(site, **changes)
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(CONFIG) == (outcome, reason)


def test_events_and_content_type_are_the_profiles(site: Site, pytester: pytest.Pytester,
                                                  run_connector: Runner) -> None:
    from checks.connectors import bundled_profiles

    text = bundled_profiles()["flow-ghes"].read_text().replace(
        'name = "flow-ghes"', 'name = "vendor-hooks"').replace(
        "[webhook]\n", '[webhook]\nurl = "https://hooks.vendor.example/github"\n'
                       'events = ["push", "pull_request", "issues"]\ncontent_type = "form"\n')
    (pytester.path / "vendor-hooks.toml").write_text(text)
    healthy(site)
    run = run_connector(*site.args(site.https()), "--profile", "vendor-hooks.toml")
    assert run.verdict(CONFIG) == ("failed", "webhook.events_missing")
    problems = run.checks[CONFIG]["evidence"]["problems"]
    assert problems[0].startswith("webhook.events_missing: ") and "issues" in problems[0]
    assert any(p.startswith("webhook.content_type: ") for p in problems)


FAILURES = {
    "timed out": (("timed out", 0), "webhook.delivery_timeout"),
    "no DNS or a firewall": (("failed to connect to host", 0), "webhook.delivery_unreachable"),
    "refused": (("failed to connect to network", 0), "webhook.delivery_refused"),
    "untrusted certificate": (("Peer certificate cannot be authenticated with given CA "
                               "certificates", 0), "webhook.delivery_untrusted_certificate"),
    "the vendor's 5xx": (("Invalid HTTP Response: 503", 503), "webhook.delivery_vendor_error"),
    "a proxy's 407": (("Invalid HTTP Response: 407", 407), "webhook.delivery_proxy_refused"),
    "the vendor's 404": (("Invalid HTTP Response: 404", 404), "webhook.delivery_rejected"),
}


@pytest.mark.parametrize(("answer", "reason"), FAILURES.values(), ids=FAILURES.keys())
def test_a_failing_newest_delivery_is_named_for_its_cause(
    site: Site, run_connector: Runner, answer: tuple[str, int], reason: str
) -> None:
    healthy(site)
    status, code = answer
    site.world.deliveries[11] = [delivery(0, "2026-11-30T10:00:00Z", status, code),
                                 delivery(1, "2026-11-30T09:00:00Z", status, code),
                                 delivery(2, "2026-11-29T09:00:00Z")]
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(DELIVERIES) == ("failed", reason)
    message = run.checks[DELIVERIES]["message"]
    assert status in message and "2 of the 3 recent deliveries failed" in message
    assert "the last success was at 2026-11-29T09:00:00Z" in message


def test_an_older_failure_with_the_newest_delivered_is_a_warning(
    site: Site, run_connector: Runner
) -> None:
    healthy(site)
    site.world.deliveries[11] = [delivery(0, "2026-11-30T10:00:00Z"),
                                 delivery(1, "2026-11-30T09:00:00Z", "timed out", 0)]
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(DELIVERIES) == ("warning", "webhook.deliveries_intermittent")


def test_a_server_without_the_deliveries_api_says_so(site: Site,
                                                     run_connector: Runner) -> None:
    healthy(site)
    site.world.deliveries_api = False
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict(DELIVERIES) == ("skipped", "not_applicable")
    assert "3.2" in run.checks[DELIVERIES]["message"]


def test_a_repository_hook_is_checked_with_repo(site: Site, run_connector: Runner) -> None:
    healthy(site)
    site.world.hooks["repos/acme/api"] = [hook(21, VENDOR_HOOK_URL + "/api")]
    site.world.deliveries[21] = [delivery(0, "2026-11-30T10:00:00Z", "timed out", 0)]
    run = run_connector(*site.args(site.https()), "--repo", "acme/api", *FLAG)
    assert run.verdict("webhook.present[acme/api]") == ("passed", None)
    assert run.verdict("webhook.deliveries[acme/api/hooks/21]") == \
        ("failed", "webhook.delivery_timeout")


def test_ping_webhooks_sends_a_ping_and_reads_its_delivery(site: Site,
                                                           run_connector: Runner) -> None:
    healthy(site)
    run = run_connector(*site.args(site.https()), *FLAG, "--ping-webhooks")
    assert site.world.pinged == [11]
    assert run.verdict(PING) == ("passed", None)
    assert run.report["pinged_webhooks"] is True
    assert "PINGED WEBHOOKS" in (run.result.outlines and
                                 (run_connector.pytester.path / "reports" / "ghes.html")
                                 .read_text())


def test_a_ping_whose_delivery_fails_is_named_for_its_cause(site: Site,
                                                            run_connector: Runner) -> None:
    healthy(site)
    site.world.ping_outcome = ("failed to connect to network", 0)
    run = run_connector(*site.args(site.https()), *FLAG, "--ping-webhooks")
    assert run.verdict(PING) == ("failed", "webhook.delivery_refused")


@pytest.mark.parametrize("other", [["--offline"], ["--collect-only"]])
def test_ping_webhooks_is_refused_offline_and_when_listing(pytester: pytest.Pytester,
                                                           other: list[str]) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes",
                                "--target", "https://github.example.com", "--ping-webhooks",
                                *other)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR")]
    assert len(errors) == 1 and "--ping-webhooks sends a ping to the server" in errors[0]


def test_many_hooks_and_a_url_with_credentials_are_bounded_and_redacted(
    site: Site, run_connector: Runner
) -> None:
    site.world.hooks[ORG_HOOKS] = [
        hook(n, f"https://user:hunter2-{n}@ci.example.org/h?token=query-secret-{n}")
        for n in range(1, 400)] + [hook(500, "https://svc:pass-word@hooks.vendor.example/"
                                             "github/acme?sig=query-secret-x")]
    site.world.deliveries[500] = [delivery(0, "2026-11-30T10:00:00Z")]
    run = run_connector(*site.args(site.https()), *FLAG)
    assert run.verdict("webhook.present[acme]") == ("passed", None)
    text = json.dumps(run.report)
    assert "hunter2" not in text and "query-secret" not in text and "pass-word" not in text
    assert len(run.checks[PRESENT]["evidence"]["hooks"]) == 20


# -- github.com: the same checks through the github connector --------------------------------

def test_on_github_com_the_vendors_hook_and_a_members_refusal_are_named(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_connector: Runner
) -> None:
    from contextlib import ExitStack
    from pathlib import Path

    from tests.conftest import api_args, fake_token
    from tests.pki import Pki
    from tests.servers import GithubWorld, github_handler

    assert isinstance(pki, Pki) and isinstance(tmp_path, Path)
    token = fake_token()
    monkeypatch.setenv("CONNECTOR_GITHUB_TOKEN", token)
    world = GithubWorld(prefix="", enterprise=False)
    world.accounts[token] = Account("dt-bot", "repo, admin:org_hook",
                                    {"acme": ("admin", "active")})
    world.hooks[ORG_HOOKS] = [hook(11, host="api.github.com", prefix="")]
    world.deliveries[11] = [delivery(0, "2026-11-30T10:00:00Z", "timed out", 0)]
    with ExitStack() as stack:
        args = api_args(stack, pki, tmp_path, "api.github.com", github_handler(world),
                        "--org", "acme", "--github-webhook-url",
                        "https://hooks.vendor.example/github")
        run = run_connector(*args, connector="github")
        assert run.verdict(PRESENT) == ("passed", None)
        assert run.verdict(DELIVERIES) == ("failed", "webhook.delivery_timeout")
        assert "10 s on github.com" in run.checks[DELIVERIES]["message"]
        # A member: GitHub answers 404, named as the hooks hidden and what it takes.
        world.accounts[token].memberships["acme"] = ("member", "active")
        member = run_connector(*args, connector="github")
        assert member.verdict(PRESENT) == ("failed", "webhook.hooks_hidden")
        assert "an organization owner" in member.checks[PRESENT]["message"]


def test_the_page_shows_the_recent_deliveries_to_a_reader_without_javascript(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    from tools import browser

    result = pytester.runpytest("-p", "no:cacheprovider", "--connector", "ghes", "--offline",
                                "--scenario", "webhook-timeouts")
    assert result.ret == 1
    page = pytester.path / "reports" / "ghes.html"
    net_log = tmp_path / "net.json"
    text = browser.visible_text(browser.dom(page, net_log))
    assert "Recent deliveries webhook.deliveries[acme/hooks/11]" in text
    assert "2 of 3 failed" in text
    assert "2026-10-31T20:00:00Z push timed out" in text
    assert "2026-10-30T19:00:00Z push OK (200)" in text
    assert browser.page_requests(net_log) == []
    png = browser.screenshot(page, tmp_path / "deliveries.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- GitLab: project webhooks and their events ------------------------------------------------

def gitlab_run(pki: Pki, tmp_path: Path, run_connector: Runner, world: GitlabWorld,
               *extra: str) -> Run:
    with ExitStack() as stack:
        args = api_args(stack, pki, tmp_path, "gitlab.com", gitlab_handler(world),
                        "--repo", "acme/api", "--gitlab-webhook-url",
                        "https://hooks.vendor.example/gitlab", *extra)
        return run_connector(*args, connector="gitlab")


GITLAB_HOOK = "webhook.present[acme/api]"
GITLAB_CONFIG, GITLAB_EVENTS = ("webhook.config[acme/api/hooks/31]",
                                "webhook.deliveries[acme/api/hooks/31]")


def gitlab_world(monkeypatch: pytest.MonkeyPatch, **hook_changes: object) -> GitlabWorld:
    token = fake_token("glpat-")
    monkeypatch.setenv("CONNECTOR_GITLAB_TOKEN", token)
    world = GitlabWorld(tokens={token: GitlabToken(["api", "read_repository", "read_user",
                                                   "write_repository"])})
    world.hooks["acme/api"] = [gitlab_hook(30, "https://ci.example.org/gitlab"),
                               gitlab_hook(31, "https://hooks.vendor.example/gitlab/acme",
                                           **hook_changes)]  # type: ignore[arg-type]
    world.hook_events[31] = [hook_event(n) for n in range(1, 4)]
    return world


def test_on_gitlab_the_vendors_project_hook_and_its_events_pass(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_connector: Runner
) -> None:
    world = gitlab_world(monkeypatch)
    run = gitlab_run(pki, tmp_path, run_connector, world)
    assert run.verdict(GITLAB_HOOK) == ("passed", None)
    assert run.verdict(GITLAB_CONFIG) == ("passed", None)
    assert run.verdict(GITLAB_EVENTS) == ("passed", None)


GITLAB_CASES = {
    "disabled after failing": ({"alert_status": "temporarily_disabled"}, None,
                               (GITLAB_CONFIG, "failed", "webhook.inactive")),
    "SSL verification off": ({"ssl": False}, None,
                             (GITLAB_CONFIG, "warning", "webhook.tls_unverified")),
    "the vendor's 502": ({}, ("502", ""), (GITLAB_EVENTS, "failed",
                                          "webhook.delivery_vendor_error")),
    "an untrusted certificate": ({}, ("internal error", "SSL_connect returned=1 errno=0 "
                                      "state=error: certificate verify failed (unable to get "
                                      "local issuer certificate)"),
                                 (GITLAB_EVENTS, "failed",
                                  "webhook.delivery_untrusted_certificate")),
    "a timeout": ({}, ("internal error", "Net::ReadTimeout with #<TCPSocket:(closed)>"),
                  (GITLAB_EVENTS, "failed", "webhook.delivery_timeout")),
}


@pytest.mark.parametrize(("changes", "newest", "expected"), GITLAB_CASES.values(),
                         ids=GITLAB_CASES.keys())
def test_on_gitlab_each_problem_is_named(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_connector: Runner,
    changes: dict[str, object], newest: tuple[str, str] | None,
    expected: tuple[str, str, str]
) -> None:
    world = gitlab_world(monkeypatch, **changes)
    if newest is not None:
        world.hook_events[31].append(hook_event(4, *newest))
    run = gitlab_run(pki, tmp_path, run_connector, world)
    check, outcome, reason = expected
    assert run.verdict(check) == (outcome, reason)


def test_on_gitlab_ping_webhooks_sends_a_test_event_and_reads_its_record(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_connector: Runner
) -> None:
    world = gitlab_world(monkeypatch)
    world.test_status = "internal error"
    run = gitlab_run(pki, tmp_path, run_connector, world, "--ping-webhooks")
    assert world.tested == [31]
    assert run.verdict("webhook.ping[acme/api/hooks/31]") == \
        ("failed", "webhook.delivery_failed")


def test_on_gitlab_without_the_maintainer_role_the_hooks_are_named_hidden(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_connector: Runner
) -> None:
    world = gitlab_world(monkeypatch)
    world.maintainer = False
    run = gitlab_run(pki, tmp_path, run_connector, world)
    assert run.verdict(GITLAB_HOOK) == ("failed", "webhook.hooks_hidden")
