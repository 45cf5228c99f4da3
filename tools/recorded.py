"""One live run against a loopback fake, recorded as a bundled scenario: what
tools.bitbucket_scenarios and tools.azure_scenarios share. Loopback only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests import netguard  # noqa: F401  (loopback only)
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

ROOT = Path(__file__).resolve().parent.parent


def record(connector: str, pki: Pki, handler: type[BaseHTTPRequestHandler], host: str,
           address: str, target: str, options: list[str], environ: dict[str, str],
           description: str) -> dict[str, Any]:
    """The run of ``connector`` against ``handler`` served over TLS for ``host`` (whose DNS
    answers ``address``), as the scenario --record wrote, with its description and without
    the recording machine's name."""
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        port = stack.enter_context(serve_https(handler, server_context(
            work, pki.public_chain(host)))).port
        dns = stack.enter_context(dns_server({host: {"A": [address]}}))
        (work / "roots.pem").write_text(pki.public_root.pem)
        recording = work / "recorded.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.netguard",
             "-q", "--connector", connector, "--target", target, f"--resolver={dns.spec}",
             f"--connect-to={host}:443:127.0.0.1:{port}",
             f"--public-roots={work / 'roots.pem'}", "--max-wait=0", *options,
             f"--record={recording}"], cwd=work, capture_output=True,
            env={**os.environ, **environ, "PYTHONPATH": str(ROOT)}, check=False)
        data: dict[str, Any] = json.loads(recording.read_text())
    data["description"] = description
    data.pop("recorded", None)  # no machine's name in a bundled scenario
    return data


def write(folder: Path, name: str, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {(folder / f'{name}.json').relative_to(ROOT)}: "
          f"{[(e['check'], e['reason']) for e in data['expect']]}")
