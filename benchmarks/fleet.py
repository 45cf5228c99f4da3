"""A fleet of GitHub Enterprise Server targets on a loopback API that answers each request
after 50 ms, in its own process as real servers would be. Every target is its own host
(ghes-NNNN.fleet.example: its own DNS answer, TCP connection, TLS handshake and requests);
nothing is shared between them but the process.

Printed: one target alone (a fleet of one: the slowest target, as all are alike), the
start-up of a run (the same fleet listed, --collect-only: the plugin, the connectors and the
fleet file, nothing probed), 100 targets in one run at several --fleet-concurrency values,
and 1,000 targets as 10 shards (--shard K/10), each a whole pytest run: wall, peak RSS, CPU.
Goal: 100 targets within 1.5x the lone target's wall plus one start-up, under 250 MiB; each
shard of 1,000 the same. Every figure is the median of REPEATS runs (RSS: the highest).
Loopback only. Run: python -m benchmarks.fleet
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from multiprocessing.connection import Connection
from pathlib import Path

from tests import netguard  # noqa: F401  (loopback only)
from tests.conftest import ALL_SCOPES, PUBLIC_V4, fake_token
from tests.pki import Pki
from tests.servers import Account, GithubWorld, dns_server, github_handler, serve_https, server_context

LATENCY_S = 0.05
DOMAIN = "fleet.example"
REPO = Path(__file__).resolve().parent.parent
REPEATS = 3


def slow(world: GithubWorld) -> type[BaseHTTPRequestHandler]:
    base = github_handler(world)

    class Slow(base):  # type: ignore[valid-type, misc]
        def do_GET(self) -> None:
            time.sleep(LATENCY_S)
            super().do_GET()

        def do_POST(self) -> None:
            time.sleep(LATENCY_S)
            super().do_POST()

    return Slow


def serve(token: str, targets: int, pki: Pki, directory: Path, pipe: Connection) -> None:
    """The servers' process: every target's name in DNS, one TLS API (a wildcard
    certificate) that answers each request after LATENCY_S; until told to stop."""
    world = GithubWorld()
    world.accounts[token] = Account("flow-service", ALL_SCOPES, {"acme": ("admin", "active")})
    context = server_context(directory, pki.public_chain(f"*.{DOMAIN}"))
    zone = {name(n): {"A": [PUBLIC_V4]} for n in range(targets)}
    with serve_https(slow(world), context) as api, dns_server(zone) as dns:
        pipe.send((api.port, dns.spec))
        pipe.recv()
    pipe.send(len(world.requests))


def name(n: int) -> str:
    return f"ghes-{n:04d}.{DOMAIN}"


def fleet_file(folder: Path, targets: int, port: int, dns: str, roots: Path) -> Path:
    lines = ["[defaults]", 'connector = "ghes"', 'org = "acme"', f'resolver = "{dns}"',
             f'public-roots = "{roots}"', ""]
    for n in range(targets):
        lines += ["[[targets]]", f'name = "ghes-{n:04d}"', f'target = "https://{name(n)}"',
                  f'connect-to = "{name(n)}:443:127.0.0.1:{port}"', ""]
    path = folder / f"fleet-{targets}.toml"
    path.write_text("\n".join(lines))
    return path


def pytest_run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, peak RSS in MiB, CPU seconds and exit code of one whole pytest run."""
    command = [sys.executable, "-m", "pytest", "-p", "tests.netguard", "-p", "no:cacheprovider",
               "-q", *args]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return (time.monotonic() - started, usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status))


def median_run(args: list[str], env: dict[str, str], codes: tuple[int, ...] = (0,)
               ) -> tuple[float, float, float]:
    runs = [pytest_run(args, env) for _ in range(REPEATS)]
    for *_, code in runs:
        assert code in codes, f"{args[:4]}: exit {code}"
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
            statistics.median(r[2] for r in runs))


def main() -> None:
    pki = Pki.create()
    token = fake_token()
    env = {"CONNECTOR_GHES_TOKEN": token}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        roots = folder / "roots.pem"
        roots.write_text(pki.public_root.pem)
        ours, theirs = multiprocessing.Pipe()
        servers = multiprocessing.get_context("fork").Process(
            target=serve, args=(token, 1000, pki, folder, theirs))
        servers.start()
        port, dns = ours.recv()
        try:
            common = ["--check-timeout", "10", "--run-timeout", "600"]
            one = fleet_file(folder, 1, port, dns, roots)
            alone, alone_rss, alone_cpu = median_run(
                ["--fleet", str(one), *common, "--report-dir", str(folder / "one")], env)
            startup, _, _ = median_run(["--fleet", str(one), "--collect-only"], env)
            bound = 1.5 * alone + startup
            print(f"one target alone: {alone:.2f} s, {alone_rss:.0f} MiB, CPU {alone_cpu:.2f} s;"
                  f" start-up {startup:.2f} s; bound 1.5 x {alone:.2f} + {startup:.2f} = "
                  f"{bound:.2f} s")
            hundred = fleet_file(folder, 100, port, dns, roots)
            for concurrency in (8, 32):
                wall, rss, cpu = median_run(
                    ["--fleet", str(hundred), "--fleet-concurrency", str(concurrency), *common,
                     "--report-dir", str(folder / f"hundred-{concurrency}")], env)
                print(f"100 targets, --fleet-concurrency {concurrency}: {wall:.2f} s "
                      f"({wall / bound:.2f}x the bound, {wall / alone:.2f}x one alone), "
                      f"{rss:.0f} MiB, CPU {cpu:.2f} s")
            thousand = fleet_file(folder, 1000, port, dns, roots)
            shards = []
            for k in range(1, 11):
                wall, rss, cpu = pytest_run(
                    ["--fleet", str(thousand), "--shard", f"{k}/10", *common,
                     "--report-dir", str(folder / f"shard-{k}")], env)[:3]
                shards.append((wall, rss, cpu))
            walls = [s[0] for s in shards]
            print(f"1,000 targets as 10 shards (default concurrency): each {min(walls):.2f} to "
                  f"{max(walls):.2f} s (the slowest {max(walls) / bound:.2f}x the bound), peak "
                  f"{max(s[1] for s in shards):.0f} MiB, CPU "
                  f"{statistics.median(s[2] for s in shards):.2f} s each")
        finally:
            ours.send("stop")
            requests = ours.recv()
            servers.join()
        print(f"the API answered {requests} requests")


if __name__ == "__main__":
    main()
