"""Records azure-devops's bundled scenarios: each a live run against the loopback Azure
DevOps of tests/fake_azure.py, saved with --record (run: python -m tools.azure_scenarios).
Loopback only."""

from __future__ import annotations

import secrets

from checks.connectors import get_connector
from tests import netguard  # noqa: F401  (loopback only)
from tests.fake_azure import AzurePat, AzureWorld, azure_handler
from tests.pki import Pki
from tools.recorded import record, write

HOST = "dev.azure.example.com"
PROJECT = ["--azure-devops-project=Fabrikam"]

# name -> (description, the PAT (None: one Azure DevOps does not accept), options)
CASES: dict[str, tuple[str, AzurePat | None, list[str]]] = {
    "healthy": ("A PAT with Code (read) and Project and Team (read) in the Fabrikam project.",
                AzurePat(), PROJECT),
    "sign-in-page": ("A wrong, expired or revoked PAT: Azure DevOps answers 203 with its "
                     "sign-in page, not 401.", None, PROJECT),
    "not-in-organization": ("The PAT's user is not in the organization (VS30063).",
                            AzurePat(refusal="VS30063"), PROJECT),
    "conditional-access": ("A conditional access or IP policy refuses this address "
                           "(VS403463).", AzurePat(refusal="VS403463"), PROJECT),
    "no-such-project": ("No project has the name given (TF200016).", AzurePat(),
                        ["--azure-devops-project=Fabrikan"]),
    "missing-scope": ("The PAT lacks Code (read): listing the repositories is refused "
                      "(TF400813).", AzurePat(scopes={"vso.project"}), PROJECT),
}


def main() -> None:
    pki = Pki.create()
    folder = get_connector("azure-devops").scenarios
    for name, (description, pat, options) in CASES.items():
        world = AzureWorld()
        token = secrets.token_hex(26)
        if pat is not None:
            world.pats[token] = pat
        write(folder, name, record(
            "azure-devops", pki, azure_handler(world), HOST, "13.107.42.20",
            f"https://{HOST}/acme", options, {"CONNECTOR_AZURE_DEVOPS_TOKEN": token},
            description))


if __name__ == "__main__":
    main()
