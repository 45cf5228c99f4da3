"""An organization's IP allow list, as GitHub answers it (403, "the `ORG` organization has an
IP allow list enabled, and your IP address is not permitted to access this resource"), is
named in every GitHub connector that reads organization or repository resources: classic
and fine-grained tokens (ghes, github) and a GitHub App's installation token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checks.connectors.github import api as github
from checks.model.observations import HttpExchange
from tests.conftest import Runner, Site, fake_token
from tests.fake_github_app import AppWorld
from tests.servers import Account, GithubWorld, github_handler, ip_allow_list_message
from tests.test_live_github_app import (  # noqa: F401 (fixtures)
    AppSite,
    app_site,
    keys,
    run_app,
)
from tests.test_live_tokens import GITHUB_API, Serve, serve  # noqa: F401 (fixture)


def _refused(message: str) -> HttpExchange:
    return HttpExchange("GET", "https://api.github.com/orgs/acme", status=403,
                        headers={"content-type": "application/json"},
                        body=json.dumps({"message": message}))


def test_the_allow_list_names_its_organization_and_the_address_github_names() -> None:
    verdict = github.ip_allow_list(_refused(
        "Although you appear to have the correct authorization credentials, the `Fusion-Arc` "
        "organization has an IP allow list enabled, and 13.52.4.51 is not permitted to access "
        "this resource."))
    assert verdict is not None and verdict.reason == "auth.ip_allow_list"
    assert "the organization Fusion-Arc" in verdict.message and "13.52.4.51" in verdict.message
    assert "IP allow list of the organization Fusion-Arc" in verdict.remediation
    assert verdict.evidence["allow_list_owner"] == "Fusion-Arc"


def test_an_enterprise_allow_list_points_to_the_enterprise_settings() -> None:
    verdict = github.ip_allow_list(_refused(
        "Although you appear to have the correct authorization credentials, the `megacorp` "
        "enterprise has an IP allow list enabled, and your IP address is not permitted to "
        "access this resource."))
    assert verdict is not None and "this machine's address" in verdict.message
    assert "Enterprise settings" in verdict.remediation


def test_another_403_is_not_an_allow_list() -> None:
    assert github.ip_allow_list(_refused("Resource not accessible by integration")) is None


def test_ghes_names_the_allow_list_of_the_organization(site: Site, run_connector: Runner) -> None:
    site.world.ip_allow_lists.add("acme")
    run = run_connector(*site.args(site.https()))
    check = run.checks["org.owner[acme]"]
    assert (check["outcome"], check["reason"]) == ("failed", "auth.ip_allow_list"), run.text
    assert "the organization acme has an IP allow list enabled" in check["message"]
    assert run.verdict("auth.token[ghes]") == ("passed", None)


@pytest.mark.parametrize(("account", "extra", "check"), [
    (Account("dt-bot", "repo", {"acme": ("member", "active")}), ("--org", "acme"),
     "auth.sso[acme]"),
    (Account("dt-bot", None, readable={"acme/api": {"metadata"}}), ("--repo", "acme/api"),
     "scopes.granted[acme/api:metadata]"),
], ids=["classic token, organization", "fine-grained token, repository"])
def test_github_names_the_allow_list_for_classic_and_fine_grained_tokens(
    serve: Serve, run_connector: Runner, account: Account,  # noqa: F811
    extra: tuple[str, ...], check: str
) -> None:
    token = fake_token()
    world = GithubWorld(prefix="", enterprise=False, accounts={token: account},
                        ip_allow_lists={"acme"})
    serve.monkeypatch.setenv("CONNECTOR_GITHUB_TOKEN", token)
    run = run_connector(*serve.args(GITHUB_API, github_handler(world), *extra),
                        connector="github")
    assert run.verdict(check) == ("failed", "auth.ip_allow_list"), run.text


def test_a_github_app_installation_token_refused_by_the_allow_list_carries_the_vendor_code(
    app_site: AppSite, run_connector: Runner  # noqa: F811
) -> None:
    world: AppWorld = app_site.world
    world.ip_allow_lists.add("acme")
    from checks.scenario import bundled_dir

    bundled = bundled_dir("github-app").parent.parent / "profiles" / "dx-github-deployments.toml"
    text = bundled.read_text().replace('name = "dx-github-deployments"', 'name = "acme-ip"')
    text = text.replace("[vendor_codes]\n", '[vendor_codes]\n"auth.ip_allow_list" = "IP_BLOCKED"\n')
    profile = app_site.directory / "acme-ip.toml"
    profile.write_text(text)
    run = run_connector(*app_site.args("--profile", str(profile)), connector="github-app")
    check: dict[str, Any] = run.checks["app.repositories[acme]"]
    assert (check["outcome"], check["reason"], check.get("vendor_code")) == (
        "failed", "auth.ip_allow_list", "IP_BLOCKED"), run.text
    assert run.verdict("app.repositories[globex]") == ("passed", None)
    assert "IP allow list" in ip_allow_list_message("acme")
