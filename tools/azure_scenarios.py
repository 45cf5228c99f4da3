"""Records azure-devops's bundled scenarios: each a live run against the loopback Azure
DevOps of tests/fake_azure.py, saved with --record (run: python -m tools.azure_scenarios).
Loopback only."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from checks.connectors import get_connector
from tests import netguard  # noqa: F401  (loopback only)
from tests.fake_azure import AzurePat, AzureWorld, azure_handler
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

ROOT = Path(__file__).resolve().parent.parent
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
    folder.mkdir(parents=True, exist_ok=True)
    for name, (description, pat, options) in CASES.items():
        world = AzureWorld()
        token = secrets.token_hex(26)
        if pat is not None:
            world.pats[token] = pat
        with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            port = stack.enter_context(serve_https(azure_handler(world), server_context(
                work, pki.public_chain(HOST)))).port
            dns = stack.enter_context(dns_server({HOST: {"A": ["13.107.42.20"]}}))
            (work / "roots.pem").write_text(pki.public_root.pem)
            recording = work / f"{name}.json"
            subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
                 "tests.netguard", "-q", "--connector", "azure-devops", "--target",
                 f"https://{HOST}/acme", f"--resolver={dns.spec}",
                 f"--connect-to={HOST}:443:127.0.0.1:{port}",
                 f"--public-roots={work / 'roots.pem'}", "--max-wait=0", *options,
                 f"--record={recording}"], cwd=work, capture_output=True,
                env={**os.environ, "CONNECTOR_AZURE_DEVOPS_TOKEN": token,
                     "PYTHONPATH": str(ROOT)}, check=False)
            data = json.loads(recording.read_text())
        data["description"] = description
        data.pop("recorded", None)  # no machine's name in a bundled scenario
        (folder / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {(folder / f'{name}.json').relative_to(ROOT)}: "
              f"{[(e['check'], e['reason']) for e in data['expect']]}")


if __name__ == "__main__":
    main()
