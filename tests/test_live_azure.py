"""Live runs of the azure-devops connector against a loopback Azure DevOps REST API over TLS
(tests/fake_azure.py); each run is recorded and replayed to the same verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Run, Runner, api_args, fake_token
from tests.fake_azure import AzurePat, AzureWorld, azure_handler
from tests.pki import Pki

HOST = "dev.azure.example.com"
API = f"https://{HOST}/acme/_apis"
PROJECT = ("--azure-devops-project=Fabrikam",)


@dataclass
class Azure:
    pki: Pki
    directory: Path
    stack: ExitStack
    monkeypatch: pytest.MonkeyPatch
    world: AzureWorld

    def run(self, runner: Runner, pat: AzurePat | None, *extra: str) -> Run:
        token = fake_token("")
        if pat is not None:
            self.world.pats[token] = pat
        self.monkeypatch.setenv("CONNECTOR_AZURE_DEVOPS_TOKEN", token)
        args = api_args(self.stack, self.pki, self.directory, HOST, azure_handler(self.world),
                        "--max-wait", "0")
        return runner("--target", f"https://{HOST}{self.world.prefix}", *args, *extra,
                      connector="azure-devops")


@pytest.fixture
def azure(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Azure]:
    for name in ("CONNECTOR_AZURE_DEVOPS_TOKEN", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:
        yield Azure(pki, tmp_path, stack, monkeypatch, AzureWorld())


CASES: dict[str, tuple[AzurePat | None, tuple[str, ...], dict[str, tuple[str, str | None]]]] = {
    "healthy": (AzurePat(), PROJECT, {
        f"{'api.reachable'}[{API}]": ("passed", None),
        "auth.token[azure-devops]": ("passed", None),
        "project.exists[Fabrikam]": ("passed", None),
        "scopes.granted[vso.code]": ("passed", None),
        "scopes.granted[vso.project]": ("passed", None)}),
    "a wrong or expired token: a sign-in page": (None, PROJECT, {
        "auth.token[azure-devops]": ("failed", "azure-devops.sign_in_page"),
        "project.exists[Fabrikam]": ("skipped", "prerequisite.failed")}),
    "not in the organization": (AzurePat(refusal="VS30063"), PROJECT, {
        "auth.token[azure-devops]": ("failed", "azure-devops.not_in_organization"),
        "project.exists[Fabrikam]": ("skipped", "prerequisite.failed")}),
    "a conditional access policy": (AzurePat(refusal="VS403463"), PROJECT, {
        "auth.token[azure-devops]": ("failed", "azure-devops.conditional_access")}),
    "no such project": (AzurePat(), ("--azure-devops-project=Contoso",), {
        "project.exists[Contoso]": ("failed", "azure-devops.no_such_project"),
        "scopes.granted[vso.code]": ("skipped", "prerequisite.failed"),
        "scopes.granted[vso.project]": ("passed", None)}),
    "a scope missing": (AzurePat(scopes={"vso.project"}), PROJECT, {
        "scopes.granted[vso.code]": ("failed", "azure-devops.not_authorized"),
        "scopes.granted[vso.project]": ("passed", None)}),
    "a broader scope grants the read one": (AzurePat(scopes={"vso.code_write", "vso.project"}),
                                            PROJECT, {"scopes.granted[vso.code]": ("passed",
                                                                                  None)}),
    "without a project": (AzurePat(), (), {
        "scopes.granted[vso.code]": ("skipped", "not_applicable"),
        "scopes.granted[vso.project]": ("passed", None)}),
}


@pytest.mark.parametrize(("pat", "extra", "expected"), CASES.values(), ids=CASES.keys())
def test_each_azure_devops_case_gives_its_requirement_outcome_and_reason(
    azure: Azure, run_connector: Runner, pat: AzurePat | None, extra: tuple[str, ...],
    expected: dict[str, tuple[str, str | None]]
) -> None:
    run = azure.run(run_connector, pat, *extra)
    assert {check: run.verdict(check) for check in expected} == expected, run.text
    assert run.report["summary"]["error"] == 0


def test_the_user_and_the_services_activity_id_are_evidence(azure: Azure,
                                                            run_connector: Runner) -> None:
    run = azure.run(run_connector, AzurePat(), *PROJECT)
    check = run.checks["auth.token[azure-devops]"]
    assert "acts as Flow Service (flow-service@acme.example)" in check["message"]
    assert {"x-vss-e2eid", "activityid"} <= set(check["evidence"]["headers"])
    assert "Azure DevOps Services" in run.checks[f"api.reachable[{API}]"]["message"]


def test_a_server_collection_url_is_a_target(azure: Azure, run_connector: Runner) -> None:
    azure.world.prefix, azure.world.deployment = "/tfs/DefaultCollection", "onPremises"
    run = azure.run(run_connector, AzurePat(), *PROJECT)
    check = run.checks[f"api.reachable[https://{HOST}/tfs/DefaultCollection/_apis]"]
    assert check["outcome"] == "passed" and "Azure DevOps Server" in check["message"]


def test_a_missing_scope_names_the_request_that_proves_it(azure: Azure,
                                                          run_connector: Runner) -> None:
    run = azure.run(run_connector, AzurePat(scopes={"vso.project"}), *PROJECT)
    check = run.checks["scopes.granted[vso.code]"]
    assert f"GET https://{HOST}/acme/Fabrikam/_apis/git/repositories" in check["message"]
    assert "TF400813" in check["message"] and "select vso.code" in check["remediation"]


def test_neither_the_pat_nor_its_basic_form_shows_anywhere(
    azure: Azure, run_connector: Runner, pytester: pytest.Pytester
) -> None:
    import base64
    import os

    run = azure.run(run_connector, AzurePat(), *PROJECT, "-rA", "-vv")
    given = os.environ["CONNECTOR_AZURE_DEVOPS_TOKEN"]
    basic = base64.b64encode(f":{given}".encode()).decode()
    written = "".join(p.read_text(errors="replace") for p in pytester.path.rglob("*")
                      if p.is_file() and p.suffix in (".json", ".html", ".xml"))
    assert written and run.report["summary"]["passed"]
    for text in (written, run.text):
        assert given not in text and basic not in text


def test_an_answer_for_the_anonymous_user_is_not_a_pass() -> None:
    import json as _json

    from checks.connectors.azure import api as azure
    from checks.model.observations import HttpExchange

    anonymous = {"authenticatedUser": {"id": "aa442a3f-ea8b-4a43-8f7c-2a3d2d7b1e48",
                                       "providerDisplayName": "Anonymous", "properties": {}},
                 "deploymentType": "hosted"}
    verdict = azure.identity(HttpExchange(
        "GET", f"{API}/connectionData", status=200,
        headers={"content-type": "application/json"}, body=_json.dumps(anonymous)), "****")
    assert verdict.reason == "auth.invalid_credentials"
