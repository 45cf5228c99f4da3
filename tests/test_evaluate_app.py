"""GitHub App evaluators, on recorded responses and on tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from checks.connectors import load_profile
from checks.connectors.github import app_checks as app
from checks.model.observations import HttpExchange
from tests.recorded import exchange

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
# The vendor's own codes are its profile's: DX's guide, the github-app connector's default.
DX = load_profile("dx-github-deployments")[1].vendor_codes


def dated(skew_s: float) -> HttpExchange:
    """A response whose Date is ``skew_s`` seconds behind this machine's clock."""
    server = NOW - timedelta(seconds=skew_s)
    return HttpExchange("GET", "https://api.github.com/meta", 200,
                        {"date": f"{server:%a, %d %b %Y %H:%M:%S GMT}"}, "{}",
                        received_at=NOW.isoformat())


@pytest.mark.parametrize(("skew", "outcome"), [
    (0, "passed"), (29, "passed"), (-29, "passed"), (30, "warning"), (-45, "warning"),
    (60, "warning"), (61, "failed"), (-539, "warning"), (-541, "failed"), (600, "failed"),
])
def test_the_clock_is_judged_by_what_github_would_reject(skew: float, outcome: str) -> None:
    verdict = app.clock(dated(skew))
    assert verdict.outcome == outcome
    if outcome != "passed":
        assert verdict.reason == "app.clock_skew" and DX[verdict.reason] == "invalid_credentials"


def test_recorded_jwt_refusals_are_told_apart() -> None:
    undecodable = app.credentials(exchange("github/app-jwt-undecodable-401"), "82994")
    assert (undecodable.reason, DX[str(undecodable.reason)]) == ("app.invalid_credentials",
                                                                 "invalid_credentials")
    skewed = app.credentials(exchange("github/app-jwt-iat-skew-401"), "82994")
    assert skewed.reason == "app.clock_skew"


def test_the_recorded_app_names_itself() -> None:
    verdict = app.credentials(exchange("github/app-get"), "82994")
    assert verdict.outcome == "passed"
    assert (verdict.evidence["slug"], verdict.evidence["owner"]) == ("ghapi-test-app-1",
                                                                     "hub4j-test-org")


def test_the_recorded_installation_list_is_read() -> None:
    listed = exchange("github/app-installations-list")
    installations = json.loads(listed.body)
    assert app.installed(installations, [listed]).outcome == "passed"
    assert app.installation_active(installations[0]).outcome == "passed"


def test_the_recorded_repositories_are_counted() -> None:
    token = exchange("github/app-installation-access-token")
    verdict = app.repositories(token, exchange("github/installation-repositories"), "hub4j")
    assert verdict.outcome == "passed" and verdict.evidence["total_count"] == 2


@pytest.mark.parametrize(("granted", "outcome"), [
    ({"deployments": "read"}, "passed"), ({"deployments": "write"}, "passed"),
    ({}, "failed"), ({"deployments": "none"}, "failed"),
])
def test_write_includes_read(granted: dict[str, str], outcome: str) -> None:
    assert app.permission("acme", "deployments", granted).outcome == outcome


@pytest.mark.parametrize(("permission", "level", "wording"), [
    ("deployments", "read", "Repository permissions > Deployments: Read-only"),
    ("pull_requests", "read", "Repository permissions > Pull requests: Read-only"),
    ("members", "read", "Organization permissions > Members: Read-only"),
    ("organization_administration", "read", "Organization permissions > Administration: Read-only"),
    ("contents", "write", "Repository permissions > Contents: Read and write"),
])
def test_permissions_are_worded_as_the_settings_page_words_them(permission: str, level: str,
                                                                wording: str) -> None:
    assert app.settings_wording(permission, level) == wording


def test_a_suspended_installation_says_when_and_by_whom() -> None:
    verdict = app.installation_active({"id": 1, "account": {"login": "acme"},
                                       "suspended_at": "2026-10-01T12:00:00Z",
                                       "suspended_by": {"login": "octo-admin"}})
    assert verdict.reason == "app.suspended"
    assert "2026-10-01T12:00:00Z by octo-admin" in verdict.message


def test_an_installation_token_is_never_judged_by_its_shape() -> None:
    minted = HttpExchange("POST", "https://api.github.com/app/installations/1/access_tokens", 201,
                          {"content-type": "application/json"},
                          json.dumps({"token": "ghs_" + "x" * 90 + ".y.z"}))
    listing = HttpExchange("GET", "https://api.github.com/installation/repositories", 200,
                           {"content-type": "application/json"},
                           json.dumps({"total_count": 0, "repositories": []}))
    verdict = app.repositories(minted, listing, "acme")
    assert (verdict.reason, DX[str(verdict.reason)]) == ("app.no_resources", "no_resources")
