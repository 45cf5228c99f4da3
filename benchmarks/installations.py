"""A GitHub App with 1, 200 and 1000 installations, on a loopback API that answers each
request after 50 ms, in its own process as a real API would be. Each is a whole
``pytest --connector github-app`` run; printed: wall time, peak RSS, requests, and the ratio
to the floor the latency sets (sequential depth x latency + requests / in-flight x latency).
Goals: at most 3x the floor at 1000 and peak RSS under 150 MiB; 200 under 2.5x one. Beside
them, httpx alone sending as many requests, shaped as the checks' client: what the HTTP
client's own CPU costs before any check does anything.
Then the same runs replayed offline from their recordings: linear in size, no slower than
live. Then, with the h2 package installed, the live runs again with HTTP/2 offered by the
client and served by the API (benchmarks/h2_api.py): CPU per request beside HTTP/1.1's.
Every figure is the median of REPEATS runs (the peak RSS: the highest). Loopback only.
Run: python -m benchmarks.installations
"""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.probes.http import IN_FLIGHT, POOLS
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
REPEATS = 3


def serve(world: AppWorld, pki: Pki, directory: Path, pipe: Connection, http2: bool) -> None:
    """The API's process: serve until told to stop, then report how many requests it had."""
    context = server_context(directory, pki.public_chain(HOST))
    if http2:
        from benchmarks.h2_api import serve_h2

        api = serve_h2(app_handler(world), context)
    else:
        api = serve_https(app_handler(world), context)
    with api as listener, dns_server({HOST: {"A": ["140.82.112.6"]}}) as dns:
        pipe.send((listener.port, dns.spec))
        pipe.recv()
    pipe.send(len(world.requests))


def pytest_run(args: list[str], env: dict[str, str]) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MiB, exit code and CPU seconds of one whole pytest run."""
    command = [sys.executable, "-m", "pytest", "-p", "tests.netguard", "-p", "no:cacheprovider",
               "-q", "--connector", "github-app", "--max-installations", "1000", *args]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return (time.monotonic() - started, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)


@dataclass
class Live:
    wall: float
    peak: float
    requests: int
    cpu: float  # the pytest process's own CPU seconds (the API runs in another process)
    recording: Path


def live(installations: int, key_path: Path, pki: Pki, folder: Path, http2: bool = False
         ) -> Live:
    world = AppWorld("123456", rsa.generate_private_key(65537, 2048).public_key(), [
        Installation(n, f"org{n:04}", dict(READ), [f"org{n:04}/svc"])
        for n in range(1, installations + 1)], latency_s=LATENCY_S)
    world.public_key = _public_key(key_path)
    ours, theirs = multiprocessing.Pipe()
    api = multiprocessing.get_context("fork").Process(target=serve,
                                                      args=(world, pki, folder, theirs, http2))
    api.start()
    port, dns = ours.recv()
    roots = folder / "roots.pem"
    roots.write_text(pki.public_root.pem)
    name = f"{installations}{'-h2' if http2 else ''}"
    recording = folder / f"recorded-{name}.json"
    wall, peak, code, cpu = pytest_run(
        [*(["-p", "benchmarks.http2_client"] if http2 else []),
         "--resolver", dns, "--connect-to", f"{HOST}:443:127.0.0.1:{port}", "--public-roots",
         str(roots), "--check-timeout", "10", "--report-dir", str(folder / f"live-{name}"),
         "--record", str(recording)],
        {"CONNECTOR_GITHUB_APP_ID": "123456",
         "CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE": str(key_path)})
    ours.send("stop")
    requests = ours.recv()
    api.join()
    assert code == 0, f"the run with {installations} installations did not pass (exit {code})"
    return Live(wall, peak, requests, cpu, recording)


def httpx_alone(requests: int, pki: Pki, folder: Path) -> tuple[float, float]:
    """The yardstick under the floor: httpx by itself, in this process, sending as many
    requests to the same API, shaped as the checks' client (POOLS clients of IN_FLIGHT /
    POOLS connections, IN_FLIGHT in flight), reading each body. Wall and CPU seconds."""
    world = AppWorld("1", rsa.generate_private_key(65537, 2048).public_key(), [],
                     latency_s=LATENCY_S)
    ours, theirs = multiprocessing.Pipe()
    api = multiprocessing.get_context("fork").Process(target=serve,
                                                      args=(world, pki, folder, theirs, False))
    api.start()
    port, _ = ours.recv()
    context = ssl.create_default_context(cadata=pki.public_root.pem)

    async def send_all() -> None:
        clients = [httpx.AsyncClient(verify=context, limits=httpx.Limits(
            max_connections=IN_FLIGHT // POOLS, max_keepalive_connections=IN_FLIGHT // POOLS))
            for _ in range(POOLS)]
        limit = asyncio.Semaphore(IN_FLIGHT)

        async def one(n: int) -> None:
            async with limit:
                client = clients[n % POOLS]
                response = await client.send(client.build_request(
                    "GET", f"https://127.0.0.1:{port}/meta", headers={"Host": HOST},
                    extensions={"sni_hostname": HOST}), stream=True)
                async for _ in response.aiter_raw():
                    pass
                await response.aclose()
                assert response.status_code == 200

        await asyncio.gather(*(one(n) for n in range(requests)))
        for client in clients:
            await client.aclose()

    started, cpu = time.monotonic(), time.process_time()
    asyncio.run(send_all())
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    ours.send("stop")
    ours.recv()
    api.join()
    return wall, cpu


def _public_key(key_path: Path) -> rsa.RSAPublicKey:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


def floor(requests: int) -> float:
    return DEPTH * LATENCY_S + requests / IN_FLIGHT * LATENCY_S


def median_live(installations: int, key_path: Path, pki: Pki, folder: Path,
                http2: bool = False) -> Live:
    """REPEATS whole runs, each against a fresh API: the median wall time and CPU, the
    highest peak (single runs on a 2-core machine vary by a tenth)."""
    runs = [live(installations, key_path, pki, folder, http2) for _ in range(REPEATS)]
    middle = sorted(runs, key=lambda run: run.wall)[REPEATS // 2]
    return replace(middle, cpu=statistics.median(run.cpu for run in runs),
                   peak=max(run.peak for run in runs))


def main() -> None:
    pki = Pki.create()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        key_path = folder / "app.pem"
        key_path.write_bytes(rsa.generate_private_key(65537, 2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        print(f"API latency {LATENCY_S * 1000:.0f} ms per request; at most {IN_FLIGHT} requests "
              f"in flight; whole pytest runs, medians of {REPEATS} (peak: the highest)")
        print(f"{'installations':>13} {'requests':>8} {'wall s':>7} {'floor s':>7} "
              f"{'x floor':>7} {'peak MiB':>8} {'CPU s':>6}")
        runs = {}
        for count in (1, 200, 1000):
            run = runs[count] = median_live(count, key_path, pki, folder)
            print(f"{count:>13} {run.requests:>8} {run.wall:>7.2f} {floor(run.requests):>7.2f} "
                  f"{run.wall / floor(run.requests):>7.2f} {run.peak:>8.1f} {run.cpu:>6.2f}")
        print(f"200 / 1 installations: {runs[200].wall / runs[1].wall:.2f}x (goal: under 2.5x); "
              f"1000 at {runs[1000].wall / floor(runs[1000].requests):.2f}x the floor (goal: at "
              f"most 3x); peak {runs[1000].peak:.0f} MiB (goal: under 150 MiB)")
        requests = runs[1000].requests
        wall, cpu = sorted(httpx_alone(requests, pki, folder) for _ in range(REPEATS))[
            REPEATS // 2]
        print(f"httpx alone, {requests} requests shaped as the checks': {wall:.2f} s "
              f"({wall / floor(requests):.2f}x the floor), CPU {cpu:.2f} s")
        # Recordings of 150 and 500 installations too (one live run each, not timed here).
        recordings = {count: run.recording for count, run in runs.items()}
        for count in (150, 500):
            recordings[count] = live(count, key_path, pki, folder).recording
        print(f"{'replayed offline':>16} {'wall s':>7} {'x live':>7} {'peak MiB':>8}")
        replays = {}
        for count, recording in sorted(recordings.items()):
            walls, peaks = [], []
            for _ in range(REPEATS):
                wall, peak, code, _ = pytest_run(
                    ["--offline", "--scenario", str(recording), "--report-dir",
                     str(folder / f"replay-{count}")],
                    {"CONNECTOR_GITHUB_APP_ID": "123456"})
                assert code == 0, f"the replay of {count} installations did not pass ({code})"
                walls.append(wall)
                peaks.append(peak)
            replays[count] = statistics.median(walls)
            versus_live = f"{replays[count] / runs[count].wall:>7.2f}" if count in runs else \
                f"{'':>7}"
            print(f"{count:>16} {replays[count]:>7.2f} {versus_live} {max(peaks):>8.1f}")
        print(f"replay 150 / 500 / 1000: {replays[150]:.2f} / {replays[500]:.2f} / "
              f"{replays[1000]:.2f} s; 1000 / 150: {replays[1000] / replays[150]:.2f}x for "
              f"{1000 / 150:.1f}x the size, 1000 / 500: {replays[1000] / replays[500]:.2f}x for 2x "
              f"(linear: the size's ratio or less); goal: no slower than live")
        http2(runs, key_path, pki, folder)


def http2(runs: dict[int, Live], key_path: Path, pki: Pki, folder: Path) -> None:
    """The same runs with HTTP/2 offered and served: the client's CPU per request beside
    HTTP/1.1's (the whole run's CPU, less the 1-installation run's, over the extra
    requests)."""
    if importlib.util.find_spec("h2") is None:
        print("HTTP/2: not measured here: install the h2 package (pip install 'httpx[http2]')")
        return
    print(f"{'HTTP/2 vs HTTP/1.1':>18} {'wall s':>7} {'CPU s':>6} {'CPU ms/request':>14}")
    base = median_live(1, key_path, pki, folder, http2=True)
    for count in (200, 1000):
        run = median_live(count, key_path, pki, folder, http2=True)
        for label, this, one in (("HTTP/1.1", runs[count], runs[1]), ("HTTP/2", run, base)):
            per_request = (this.cpu - one.cpu) / (this.requests - one.requests) * 1000
            print(f"{f'{count} {label}':>18} {this.wall:>7.2f} {this.cpu:>6.2f} "
                  f"{per_request:>14.2f}")


if __name__ == "__main__":
    main()
