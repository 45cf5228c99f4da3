"""1 against 200 GitHub App installations, on a loopback API that answers each request after
50 ms. Installations are checked concurrently (at most 32 requests in flight), so 200 should
cost a few times one, not 200 times. The API runs in its own process, as a real one would, so
only the harness is measured. Loopback only. Run: python -m benchmarks.installations
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.engine import plan_jobs, run_jobs
from checks.model.endpoints import ConnectTo, Nameserver, Route
from checks.model.trust import PemBundle
from checks.settings import Settings
from tests import netguard  # noqa: F401  (loopback only)
from tests.fake_github_app import AppWorld, Installation, app_handler
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

LATENCY_S = 0.05
READ = dict.fromkeys(("actions", "deployments", "issues", "members", "metadata",
                      "pull_requests"), "read")
HOST = "api.github.com"  # the default target's API host, reached through --connect-to only


def serve(world: AppWorld, pki: Pki, directory: Path, pipe: Connection) -> None:
    """The API's process: serve until told to stop, then report how many requests it had."""
    context = server_context(directory, pki.public_chain(HOST))
    with serve_https(app_handler(world), context) as listener:
        pipe.send(listener.port)
        pipe.recv()
    pipe.send(len(world.requests))


def run_once(installations: int, key: rsa.RSAPrivateKey, pki: Pki, directory: Path
             ) -> tuple[float, int, int]:
    world = AppWorld("123456", key.public_key(), [
        Installation(n, f"org{n:03}", dict(READ), [f"org{n:03}/svc"])
        for n in range(1, installations + 1)], latency_s=LATENCY_S)
    ours, theirs = multiprocessing.Pipe()
    api = multiprocessing.get_context("fork").Process(target=serve,
                                                      args=(world, pki, directory, theirs))
    api.start()
    port = ours.recv()
    with ExitStack() as stack:
        dns = stack.enter_context(dns_server({HOST: {"A": ["93.184.215.14"]}}))
        settings = Settings(
            connectors=("github-app",), target=None, org=None, offline=False, scenario="",
            resolvers=(Nameserver(dns.address, dns.port),), public_resolvers=(),
            connect_to=(ConnectTo(HOST, 443, Route("127.0.0.1", port)),),
            public_roots=PemBundle("benchmark root", (pki.public_root.cert,)), ca_bundle=None,
            timeout=10.0, report_dir=directory)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        env = {"CONNECTOR_GITHUB_APP_ID": "123456", "CONNECTOR_GITHUB_APP_PRIVATE_KEY": pem}
        jobs = plan_jobs(settings, env)
        started = time.monotonic()
        (result,) = asyncio.run(run_jobs(settings, jobs))
        elapsed = time.monotonic() - started
    ours.send("stop")
    requests = ours.recv()
    api.join()
    failed = [c.verdict.message for c in result.checks if c.verdict.outcome == "failed"]
    assert not failed, failed
    return elapsed, len(result.checks), requests


def main() -> None:
    key = rsa.generate_private_key(65537, 2048)
    pki = Pki.create()
    with tempfile.TemporaryDirectory() as directory:
        print(f"API latency {LATENCY_S * 1000:.0f} ms per request; at most 32 requests in flight")
        print(f"{'installations':>13} {'checks':>7} {'requests':>8} {'wall s':>7}")
        results = {}
        for count in (1, 200):
            elapsed, checks, requests = run_once(count, key, pki, Path(directory))
            results[count] = elapsed
            print(f"{count:>13} {checks:>7} {requests:>8} {elapsed:>7.2f}")
        print(f"ratio 200/1: {results[200] / results[1]:.2f}x (goal: under 4x)")


if __name__ == "__main__":
    main()
