"""HTTPS_PROXY and NO_PROXY are honoured for the HTTP checks, and the report names the proxy."""

from __future__ import annotations

import pytest

from tests.conftest import Runner, Site
from tests.servers import connect_proxy


def test_http_checks_go_through_https_proxy_and_the_report_says_so(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = site.https()
    with connect_proxy({"github.example.com:443": ("127.0.0.1", str(port))}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        run = run_connector(*site.args(port))
    assert run.report["environment"]["proxy"] == proxy.url
    assert run.report["summary"]["failed"] == 0, run.text
    # The proxy connects by name: --connect-to applies to direct connections only.
    assert proxy.tunnels == ["github.example.com:443"] * len(proxy.tunnels) and proxy.tunnels


def test_no_proxy_bypasses_the_proxy_and_the_report_says_so(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = site.https()
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "github.example.com")
        run = run_connector(*site.args(port))
    assert run.report["environment"]["proxy"] == "none (github.example.com is in NO_PROXY)"
    assert proxy.tunnels == [] and run.report["summary"]["failed"] == 0


def test_proxy_credentials_are_masked_in_the_report(
    site: Site, run_connector: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://svc:" + "p" * 24 + "@127.0.0.1:9")
    run = run_connector(*site.args(site.https()))
    assert run.report["environment"]["proxy"] == "http://****@127.0.0.1:9"
    assert "p" * 24 not in run.text
