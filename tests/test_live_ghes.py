"""Live runs of the ghes connector against real servers on loopback."""

from __future__ import annotations

import pytest

from tests.conftest import HOST, PUBLIC_V4, Runner, Site
from tests.servers import Account

API = f"api.reachable[https://{HOST}/api/v3]"
HERE = f"{HOST}:443"


def test_a_healthy_server_passes_every_check(site: Site, run_connector: Runner,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    site.world.oauth_clients["Iv1.0123456789abcdef"] = "s3cr3t-" + "x" * 33
    monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_ID", "Iv1.0123456789abcdef")
    monkeypatch.setenv("CONNECTOR_GHES_OAUTH_CLIENT_SECRET", "s3cr3t-" + "x" * 33)
    run = run_connector(*site.args(site.https()))
    assert run.report["summary"] == {"passed": 17, "failed": 0, "warning": 0, "skipped": 0,
                                     "error": 0}, run.text
    assert run.result.ret == 0
    assert run.checks[API]["evidence"]["installed_version"] == "3.14.2"
    assert run.checks["oauth.client[ghes]"]["outcome"] == "passed"


def test_connect_to_keeps_the_name_for_sni_and_the_certificate(site: Site,
                                                               run_connector: Runner) -> None:
    run = run_connector(*site.args(site.https()))
    assert run.verdict(f"tls.hostname[{HERE}]") == ("passed", None)
    assert run.checks[f"tls.public_ca[{HERE}]"]["evidence"]["chain"][0]["subject_alt_names"] == [HOST]
