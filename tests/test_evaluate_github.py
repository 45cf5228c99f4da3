"""GitHub API evaluators, on real recorded responses and on tables."""

from __future__ import annotations

import json

import pytest

from checks.connectors.github import api as github
from checks.evaluate.http import rate_limit
from checks.model.observations import HttpExchange
from tests.recorded import exchange

JSON = {"content-type": "application/json; charset=utf-8"}


def answer(status: int, body: object, **headers: str) -> HttpExchange:
    return HttpExchange("GET", "https://github.example.com/api/v3/user", status,
                        {**JSON, **{k.replace("_", "-").lower(): v for k, v in headers.items()}},
                        json.dumps(body) if not isinstance(body, str) else body)


def test_a_recorded_classic_token_grants_scopes_through_their_parents() -> None:
    user = exchange("github/user-classic-scopes")
    assert github.user(user, "ghp_…AbCd").outcome == "passed"
    for scope in ("repo", "admin:org", "read:org", "admin:repo_hook", "admin:org_hook", "user",
                  "read:user"):
        assert github.scope(user, scope).outcome == "passed", scope
    assert "by admin:org" in github.scope(user, "read:org").message


def test_a_recorded_repo_only_token_misses_the_admin_scopes() -> None:
    user = exchange("github/user-classic-scopes-expiring-token")
    verdict = github.scope(user, "admin:org")
    assert verdict.reason == "scopes.missing" and "it has: repo" in verdict.message
    assert github.scope(user, "repo:status").outcome == "passed"


def test_a_recorded_fine_grained_token_cannot_show_scopes() -> None:
    verdict = github.scope(exchange("github/user-fine-grained-pat"), "repo")
    assert verdict.reason == "scopes.unverifiable" and "classic token" in verdict.message


def test_recorded_bad_credentials_are_invalid_credentials() -> None:
    verdict = github.user(exchange("github/user-bad-credentials-401"), "ghp_…0000")
    assert verdict.reason == "auth.invalid_credentials" and "Bad credentials" in verdict.message


def test_a_recorded_active_admin_membership_is_an_owner() -> None:
    assert github.org_membership(exchange("github/user-membership-org-admin-active"),
                                 "acme").outcome == "passed"


@pytest.mark.parametrize(("role", "state", "outcome", "reason"), [
    ("admin", "active", "passed", None),
    ("member", "active", "warning", "org.not_owner"),
    ("admin", "pending", "failed", "org.pending"),
    ("member", "pending", "failed", "org.pending"),
])
def test_ownership_needs_role_admin_and_state_active(role: str, state: str, outcome: str,
                                                     reason: str | None) -> None:
    verdict = github.org_membership(answer(200, {"role": role, "state": state}), "acme")
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


def test_no_membership_is_not_a_member() -> None:
    verdict = github.org_membership(answer(404, {"message": "Not Found"}), "acme")
    assert verdict.reason == "org.not_member"


@pytest.mark.parametrize(("header", "wanted", "granted"), [
    ("admin:org", "read:org", True), ("admin:org", "write:org", True),
    ("write:org", "admin:org", False), ("user", "read:user", True),
    ("user", "user:email", True), ("read:user", "user", False),
    ("repo", "repo:status", True), ("repo", "repo_deployment", True),
    ("admin:repo_hook", "read:repo_hook", True), ("admin:org_hook", "admin:org", False),
    ("", "repo", False),
])
def test_github_scope_hierarchy(header: str, wanted: str, granted: bool) -> None:
    assert (wanted in github.granted_scopes(header)) is granted


@pytest.mark.parametrize(("status", "body", "headers", "limited"), [
    (403, {"message": "API rate limit exceeded"}, {"x_ratelimit_remaining": "0",
                                                   "x_ratelimit_reset": "1769314022"}, True),
    (429, {"message": "too many"}, {"retry_after": "30"}, True),
    (403, {"message": "You have exceeded a secondary rate limit."}, {}, True),
    (403, {"message": "Must have admin rights to Repository."}, {"x_ratelimit_remaining": "4999"},
     False),
    (401, {"message": "Bad credentials"}, {"x_ratelimit_remaining": "0"}, False),
])
def test_rate_limits_are_told_from_other_refusals(status: int, body: object,
                                                  headers: dict[str, str], limited: bool) -> None:
    verdict = rate_limit(answer(status, body, **headers))
    assert (verdict is not None) is limited
    if verdict is not None:
        assert verdict.reason == "http.rate_limited"


def test_a_primary_limit_says_when_it_resets() -> None:
    verdict = rate_limit(answer(403, {"message": "API rate limit exceeded"},
                                x_ratelimit_remaining="0", x_ratelimit_reset="1769314022",
                                date="Sun, 25 Jan 2026 03:18:04 GMT"))
    assert verdict is not None
    assert "resets at 2026-01-25 04:07:02 UTC (in 48 min)" in verdict.message


@pytest.mark.parametrize(("status", "body", "content_type", "reason"), [
    (200, "<html>Guest Wi-Fi</html>", "text/html", "http.unexpected_response"),
    (200, "{not json", "application/json", "http.unexpected_response"),
    (301, "", "text/html", "http.redirected"),
    (502, "<h1>Bad gateway</h1>", "text/html", "http.server_error"),
])
def test_meta_names_what_answered_instead_of_the_api(status: int, body: str, content_type: str,
                                                     reason: str) -> None:
    observed = HttpExchange("GET", "https://g.example.com/api/v3/meta", status,
                            {"content-type": content_type, "location": "https://elsewhere/"},
                            body)
    verdict = github.meta(observed)
    assert verdict.reason == reason
    if reason == "http.unexpected_response":
        assert body[:10] in verdict.message and content_type in verdict.message
    if reason == "http.redirected":
        assert "https://elsewhere/" in verdict.message


def test_meta_records_the_enterprise_version() -> None:
    observed = HttpExchange("GET", "https://g.example.com/api/v3/meta", 200,
                            {**JSON, "x-github-enterprise-version": "3.15.0"},
                            json.dumps({"installed_version": "3.15.0"}))
    verdict = github.meta(observed)
    assert verdict.evidence["installed_version"] == verdict.evidence[
        "x_github_enterprise_version"] == "3.15.0"


@pytest.mark.parametrize(("error", "outcome", "reason"), [
    ("bad_verification_code", "passed", None),
    ("incorrect_client_credentials", "failed", "oauth.invalid_client"),
    ("redirect_uri_mismatch", "failed", "oauth.unexpected"),
])
def test_the_oauth_error_tells_whether_the_client_is_right(error: str, outcome: str,
                                                           reason: str | None) -> None:
    verdict = github.oauth_client(answer(200, {"error": error}))
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


@pytest.mark.parametrize(("masked", "kind"), [
    ("ghp_…abcd", "classic personal access token"),
    ("github_pat_…abcd", "fine-grained personal access token"),
    ("gho_…abcd", "OAuth access token"),
    ("…abcd", "token of unrecognised format (older tokens have no prefix)"),
])
def test_the_token_type_is_read_from_its_prefix(masked: str, kind: str) -> None:
    assert github.token_type(masked) == kind


def test_transport_failures_are_verdicts_not_crashes() -> None:
    timed_out = HttpExchange("GET", "https://g.example.com/api/v3/meta", error="timeout",
                             detail="ReadTimeout")
    refused = HttpExchange("GET", "https://g.example.com/api/v3/meta", error="connect",
                           detail="connection refused")
    assert github.meta(timed_out).reason == "http.timeout"
    assert github.meta(refused).reason == "http.connection_failed"


def _answer(body: object, link: str | None = None) -> HttpExchange:
    headers = {"content-type": "application/json"} | ({"link": link} if link else {})
    return HttpExchange("GET", "https://github.example.com/api/v3/orgs/acme/repos", 200, headers,
                        json.dumps(body))


@pytest.mark.parametrize(("body", "link", "foreign"), [
    ({"url": "https://github.example.com/api/v3/users/x",
      "documentation_url": "https://docs.github.com/enterprise-server@3.14/rest"}, None, None),
    ({"avatar_url": "https://avatars.github.example.com/u/1"}, None, None),
    ([{"owner": {"html_url": "https://ghes.corp.internal/acme"}}], None, "ghes.corp.internal"),
    ([], '<https://10.0.0.5/api/v3/orgs/acme/repos?page=2>; rel="next"', "10.0.0.5"),
], ids=["the target and the docs", "a subdomain of the target", "a nested internal URL",
        "an internal Link header"])
def test_links_must_name_the_target_or_a_subdomain_of_it(
    body: object, link: str | None, foreign: str | None
) -> None:
    verdict = github.links([_answer(body, link)], "github.example.com")
    if foreign is None:
        assert verdict.outcome == "passed", verdict.message
    else:
        assert (verdict.outcome, verdict.reason) == ("failed", "api.foreign_links")
        assert foreign in verdict.message
