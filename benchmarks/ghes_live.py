"""A live, healthy ghes run on loopback (DNS, TLS and the API served here), against the same
facts fetched by hand, one after another: the A and AAAA lookups (dig, where installed; else
one UDP question each from Python), `openssl s_client` for the chain, and four `curl` requests
(meta, user, membership, the OAuth app). Medians of several whole processes each; the goal
is the pytest run at most 2x the hand-run sequence. Loopback only.
Run: python -m benchmarks.ghes_live
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import dns.message

from tests import netguard  # noqa: F401  (loopback only)
from tests.pki import Pki
from tests.servers import Account, GithubWorld, dns_server, https_server, server_context

HOST = "github.example.com"
RUNS = 5
REPO = Path(__file__).resolve().parent.parent


def _timed(commands: list[list[str]], env: dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    for command in commands:
        subprocess.run(command, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL,
                       check=False)
    return time.monotonic() - started


def _python_lookup(address: str, port: int, rdtype: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(dns.message.make_query(HOST, rdtype).to_wire(), (address, port))
        sock.recv(4096)


def main() -> None:
    pki = Pki.create()
    token = "ghp_" + secrets.token_hex(18)
    world = GithubWorld()
    world.accounts[token] = Account("flow-service", "admin:org, admin:org_hook, "
                                    "admin:repo_hook, repo, user", {"acme": ("admin", "active")})
    world.oauth_clients["Iv1.0a1b2c3d4e5f6a7b"] = "s" * 40
    with tempfile.TemporaryDirectory() as directory, ExitStack() as stack:
        folder = Path(directory)
        port = stack.enter_context(https_server(world, server_context(
            folder, pki.public_chain(HOST)))).port
        zone = stack.enter_context(dns_server({HOST: {"A": ["93.184.215.14"], "AAAA": []}}))
        roots = folder / "roots.pem"
        roots.write_text(pki.public_root.pem)
        env = {**os.environ, "CONNECTOR_GHES_TOKEN": token,
               "CONNECTOR_GHES_OAUTH_CLIENT_ID": "Iv1.0a1b2c3d4e5f6a7b",
               "CONNECTOR_GHES_OAUTH_CLIENT_SECRET": "s" * 40}
        pytest_run = [sys.executable, "-m", "pytest", "-p", "tests.netguard", "-p",
                      "no:cacheprovider", "-q", "--connector", "ghes", "--target",
                      f"https://{HOST}", "--org", "acme", "--resolver", zone.spec,
                      "--connect-to", f"{HOST}:443:127.0.0.1:{port}", "--public-roots",
                      str(roots), "--report-dir", str(folder / "reports")]
        curl = ["curl", "-s", "-o", "/dev/null", "--cacert", str(roots), "--connect-to",
                f"{HOST}:443:127.0.0.1:{port}"]
        api = f"https://{HOST}/api/v3"
        by_hand = [
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", HOST,
             "-showcerts"],
            [*curl, f"{api}/meta"],
            [*curl, "-H", f"Authorization: token {token}", f"{api}/user"],
            [*curl, "-H", f"Authorization: token {token}", f"{api}/user/memberships/orgs/acme"],
            [*curl, "-X", "POST", "-d", "client_id=Iv1.0a1b2c3d4e5f6a7b", "-d",
             f"client_secret={'s' * 40}", "-d", "code=x", f"https://{HOST}/login/oauth/access_token"],
        ]
        if shutil.which("dig"):
            lookups = [["dig", f"@{zone.address}", "-p", str(zone.port), HOST, rdtype]
                       for rdtype in ("A", "AAAA")]
            how = "dig"
        else:
            lookups = [[sys.executable, "-c", "from benchmarks.ghes_live import _python_lookup;"
                        f"_python_lookup({zone.address!r}, {zone.port}, {rdtype!r})"]
                       for rdtype in ("A", "AAAA")]
            how = "python (dig not installed)"
        env_python = {**env, "PYTHONPATH": str(REPO)}
        ours = statistics.median(_timed([pytest_run], env, REPO) for _ in range(RUNS))
        theirs = statistics.median(_timed(lookups + by_hand, env_python, REPO)
                                   for _ in range(RUNS))
    print(f"medians of {RUNS}; lookups by {how}; openssl s_client; 4 curl")
    print(f"{'pytest --connector ghes (live, whole run)':<44} {ours:6.2f} s")
    print(f"{'the same facts by hand, in sequence':<44} {theirs:6.2f} s")
    print(f"ratio {ours / theirs:.2f}x (goal: at most 2x)")


if __name__ == "__main__":
    main()
