"""What a hostile server costs: a server that drips its answer a byte every 0.2 s, a
``gzip, gzip`` bomb (a few KB that inflate to 64 MiB), and a GitHub App API whose Link header
names 5,000,000 pages. Each is a whole ``pytest --connector ...`` run in its own process with
``--check-timeout 2``; printed: wall time (goal: at most the timeout bound + 2 s) and the
process's peak RSS (goal: under 150 MB). Loopback only. Run: python -m benchmarks.hostile
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests import (
    hostile,
    netguard,  # noqa: F401  (loopback only)
)
from tests.fake_github_app import AppWorld, Installation, app_handler
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

TIMEOUT = 2.0
HOST = "github.example.com"
APP_HOST = "api.github.com"
READ = dict.fromkeys(("actions", "deployments", "issues", "members", "metadata",
                      "pull_requests"), "read")
REPO = Path(__file__).resolve().parent.parent


def measure(args: list[str], env: dict[str, str], folder: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, exit code of one whole pytest run."""
    command = [sys.executable, "-m", "pytest", "-p", "tests.netguard", "-p", "no:cacheprovider",
               "-q", "--check-timeout", f"{TIMEOUT:g}", "--report-dir", str(folder), *args]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.monotonic() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    pki = Pki.create()
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as temporary, ExitStack() as stack:
        folder = Path(temporary)
        roots = folder / "roots.pem"
        roots.write_text(pki.public_root.pem)
        dns = stack.enter_context(dns_server({HOST: {"A": ["93.184.215.14"]},
                                              APP_HOST: {"A": ["140.82.112.6"]}}))
        hostile.gzip_bomb()

        def ghes(behaviour: hostile.Behaviour) -> list[str]:
            context = server_context(folder, pki.public_chain(HOST))
            port = stack.enter_context(serve_https(hostile.handler_for(behaviour, stop),
                                                   context)).port
            return ["--connector", "ghes", "--target", f"https://{HOST}", "--resolver", dns.spec,
                    "--connect-to", f"{HOST}:443:127.0.0.1:{port}", "--public-roots", str(roots)]

        key = rsa.generate_private_key(65537, 2048)
        key_path = folder / "app.pem"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        world = AppWorld("123456", key.public_key(),
                         [Installation(1, "acme", dict(READ), ["acme/api"])],
                         last_page="5000000")
        context = server_context(folder, pki.public_chain(APP_HOST))
        app_port = stack.enter_context(serve_https(app_handler(world), context)).port
        app = ["--connector", "github-app", "--resolver", dns.spec, "--connect-to",
               f"{APP_HOST}:443:127.0.0.1:{app_port}", "--public-roots", str(roots)]
        app_env = {"CONNECTOR_GITHUB_APP_ID": "123456",
                   "CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE": str(key_path)}
        token = {"CONNECTOR_GHES_TOKEN": "ghp_" + "0" * 36}

        # The bound each run promises: its network steps, one after another, each at most
        # the timeout (DNS, TCP, TLS, then the API's requests, which run concurrently).
        cases: list[tuple[str, Callable[[], list[str]], dict[str, str], float]] = [
            ("drip (headers)", lambda: ghes(hostile.drip_headers), token, 4 * TIMEOUT),
            ("drip (body)", lambda: ghes(hostile.drip_body), token, 4 * TIMEOUT),
            ("gzip, gzip bomb", lambda: ghes(hostile.bomb), token, 4 * TIMEOUT),
            ("page bomb (5,000,000)", lambda: app, app_env, 4 * TIMEOUT),
        ]
        print(f"--check-timeout {TIMEOUT:g}; goals: wall <= bound + 2 s, peak RSS < 150 MB")
        print(f"{'case':<22} {'exit':>4} {'wall s':>7} {'bound s':>7} {'peak MB':>8}  goals")
        for name, args, env, bound in cases:
            wall, peak, code = measure(args(), env, folder / name.split()[0])
            met = "met" if wall <= bound + 2 and peak < 150 else "MISSED"
            print(f"{name:<22} {code:>4} {wall:>7.2f} {bound:>7.1f} {peak:>8.1f}  {met}")
        stop.set()


if __name__ == "__main__":
    main()
