"""A GitHub App with 1, 200 and 1000 installations, on a loopback API that answers each
request after 50 ms, in its own process as a real API would be. Each is a whole
``pytest --connector github-app`` run; printed: wall time, peak RSS, requests, and the ratio
to the floor the latency sets (sequential depth x latency + requests / in-flight x latency).
Goals: at most 3x the floor at 1000 and peak RSS under 150 MiB; 200 under 2.5x one.
Then the same runs replayed offline from their recordings: linear in size, no slower than
live. Loopback only. Run: python -m benchmarks.installations
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.probes.http import IN_FLIGHT
from tests import netguard  # noqa: F401  (loopback only)
from tests.fake_github_app import AppWorld, Installation, app_handler
from tests.pki import Pki
from tests.servers import dns_server, serve_https, server_context

LATENCY_S = 0.05
READ = dict.fromkeys(("actions", "deployments", "issues", "members", "metadata",
                      "pull_requests"), "read")
HOST = "api.github.com"  # the default target's API host, reached through --connect-to only
REPO = Path(__file__).resolve().parent.parent
# meta, app, installations (first page), access token, repositories, deployments, statuses
DEPTH = 7


def serve(world: AppWorld, pki: Pki, directory: Path, pipe: Connection) -> None:
    """The API's process: serve until told to stop, then report how many requests it had."""
    context = server_context(directory, pki.public_chain(HOST))
    with serve_https(app_handler(world), context) as listener, \
            dns_server({HOST: {"A": ["140.82.112.6"]}}) as dns:
        pipe.send((listener.port, dns.spec))
        pipe.recv()
    pipe.send(len(world.requests))


def pytest_run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, exit code of one whole pytest run."""
    command = [sys.executable, "-m", "pytest", "-p", "tests.netguard", "-p", "no:cacheprovider",
               "-q", "--connector", "github-app", *args]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.monotonic() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def live(installations: int, key_path: Path, pki: Pki, folder: Path
         ) -> tuple[float, float, int, Path]:
    world = AppWorld("123456", rsa.generate_private_key(65537, 2048).public_key(), [
        Installation(n, f"org{n:04}", dict(READ), [f"org{n:04}/svc"])
        for n in range(1, installations + 1)], latency_s=LATENCY_S)
    world.public_key = _public_key(key_path)
    ours, theirs = multiprocessing.Pipe()
    api = multiprocessing.get_context("fork").Process(target=serve,
                                                      args=(world, pki, folder, theirs))
    api.start()
    port, dns = ours.recv()
    roots = folder / "roots.pem"
    roots.write_text(pki.public_root.pem)
    recording = folder / f"recorded-{installations}.json"
    wall, peak, code = pytest_run(
        ["--resolver", dns, "--connect-to", f"{HOST}:443:127.0.0.1:{port}", "--public-roots",
         str(roots), "--check-timeout", "10", "--report-dir", str(folder / f"live-{installations}"),
         "--record", str(recording)],
        {"CONNECTOR_GITHUB_APP_ID": "123456",
         "CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE": str(key_path)})
    ours.send("stop")
    requests = ours.recv()
    api.join()
    assert code == 0, f"the run with {installations} installations did not pass (exit {code})"
    return wall, peak, requests, recording


def _public_key(key_path: Path) -> rsa.RSAPublicKey:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


def floor(requests: int) -> float:
    return DEPTH * LATENCY_S + requests / IN_FLIGHT * LATENCY_S


def main() -> None:
    pki = Pki.create()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        key_path = folder / "app.pem"
        key_path.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        print(f"API latency {LATENCY_S * 1000:.0f} ms per request; at most {IN_FLIGHT} requests "
              f"in flight; whole pytest runs")
        print(f"{'installations':>13} {'requests':>8} {'wall s':>7} {'floor s':>7} "
              f"{'x floor':>7} {'peak MiB':>8}")
        walls, recordings = {}, {}
        for count in (1, 200, 1000):
            wall, peak, requests, recordings[count] = live(count, key_path, pki, folder)
            walls[count] = wall
            print(f"{count:>13} {requests:>8} {wall:>7.2f} {floor(requests):>7.2f} "
                  f"{wall / floor(requests):>7.2f} {peak:>8.1f}")
        print(f"200 / 1 installations: {walls[200] / walls[1]:.2f}x (goal: under 2.5x); "
              f"1000 at {walls[1000] / floor(requests):.2f}x the floor (goal: at most 3x)")
        print(f"{'replayed offline':>16} {'wall s':>7} {'x live':>7} {'peak MiB':>8}")
        replays = {}
        for count, recording in recordings.items():
            wall, peak, code = pytest_run(
                ["--offline", "--scenario", str(recording), "--report-dir",
                 str(folder / f"replay-{count}")],
                {"CONNECTOR_GITHUB_APP_ID": "123456"})
            assert code == 0, f"the replay of {count} installations did not pass (exit {code})"
            replays[count] = wall
            print(f"{count:>16} {wall:>7.2f} {wall / walls[count]:>7.2f} {peak:>8.1f}")
        print(f"replay 1000 / 200: {replays[1000] / replays[200]:.2f}x for 5x the size "
              f"(linear: about 5x or less); goal: no slower than live")


if __name__ == "__main__":
    main()
