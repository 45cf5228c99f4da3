"""Records bitbucket-dc's bundled scenarios: each a live run against the loopback Bitbucket
of tests/fake_bitbucket.py, saved with --record (run: python -m tools.bitbucket_scenarios).
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
from tests.fake_bitbucket import BitbucketToken, BitbucketWorld, bitbucket_handler
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

ROOT = Path(__file__).resolve().parent.parent
HOST = "bitbucket.example.com"
WHERE = ["--bitbucket-dc-project=ACME", "--bitbucket-dc-repository=api"]
READ = {"PROJECT_READ:ACME"}

# name -> (description, the token's permissions (None: a token Bitbucket refuses), options,
#          the world's rate limit)
CASES: dict[str, tuple[str, set[str] | None, list[str], bool]] = {
    "healthy": ("A user's HTTP access token reads the ACME project and its api repository.",
                READ, WHERE, False),
    "bad-credentials": ("Bitbucket refuses the token (revoked, expired or mistyped).",
                        None, WHERE, False),
    "no-such-project": ("No project has the key given.", READ,
                        ["--bitbucket-dc-project=ACMEE", "--bitbucket-dc-repository=api"],
                        False),
    "project-hidden": ("The project exists, but the token has no permission on it.", set(),
                       WHERE, False),
    "no-such-repository": ("The project has no repository with the slug given.", READ,
                           ["--bitbucket-dc-project=ACME", "--bitbucket-dc-repository=apii"],
                           False),
    "permission-missing": ("A repository token: it reads api, but not the project.",
                           {"REPO_READ:ACME/api"}, WHERE, False),
    "admin-missing": ("The vendor needs REPO_ADMIN (for webhooks); the token only reads.",
                      READ, [*WHERE, "--require-scope=REPO_ADMIN"], False),
    "rate-limited": ("Bitbucket answers 429: the token's rate limit is exhausted.", READ, WHERE,
                     True),
}


def main() -> None:
    pki = Pki.create()
    folder = get_connector("bitbucket-dc").scenarios
    folder.mkdir(parents=True, exist_ok=True)
    for name, (description, granted, options, limited) in CASES.items():
        world = BitbucketWorld(rate_limited=limited)
        token = "BBDC-" + secrets.token_hex(20)
        if granted is not None:
            world.tokens[token] = BitbucketToken("flow-service", granted)
        with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            port = stack.enter_context(serve_https(bitbucket_handler(world), server_context(
                work, pki.public_chain(HOST)))).port
            dns = stack.enter_context(dns_server({HOST: {"A": ["93.184.215.14"]}}))
            (work / "roots.pem").write_text(pki.public_root.pem)
            recording = work / f"{name}.json"
            subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
                 "tests.netguard", "-q", "--connector", "bitbucket-dc", "--target",
                 f"https://{HOST}", f"--resolver={dns.spec}",
                 f"--connect-to={HOST}:443:127.0.0.1:{port}",
                 f"--public-roots={work / 'roots.pem'}", "--max-wait=0", *options,
                 f"--record={recording}"], cwd=work, capture_output=True,
                env={**os.environ, "CONNECTOR_BITBUCKET_DC_TOKEN": token,
                     "PYTHONPATH": str(ROOT)}, check=False)
            data = json.loads(recording.read_text())
        data["description"] = description
        data.pop("recorded", None)  # no machine's name in a bundled scenario
        (folder / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {(folder / f'{name}.json').relative_to(ROOT)}: {data['expect']}")


if __name__ == "__main__":
    main()
