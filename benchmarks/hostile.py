"""What a hostile server costs: a server that drips its answer a byte every 0.2 s, a
``gzip, gzip`` bomb (a few KB that inflate to 64 MiB), and a GitHub App API whose Link header
names 5,000,000 pages. Each is a whole ``pytest --connector ...`` run in its own process with
``--check-timeout 2``; printed: wall time (goal: at most the timeout bound + 2 s) and the
process's peak RSS (goal: under 150 MB).

Then the bound on the whole run (--run-timeout) and on installations: a GitHub App API whose
every answer takes 1.9 s (each step within --check-timeout 2, seven of them in a row) under
--run-timeout 5; 15,000 suspended installations on one page; 10,000 installations over 100
pages. Printed: wall time against the run's deadline, peak RSS against 200 MiB, the reports'
size against 20 MB. Then what redaction costs on a 5 MB body, with fragments of the secrets
masked. Loopback only. Run: python -m benchmarks.hostile
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

        def app_with(world: AppWorld) -> list[str]:
            context = server_context(folder, pki.public_chain(APP_HOST))
            port = stack.enter_context(serve_https(app_handler(world), context)).port
            return ["--connector", "github-app", "--resolver", dns.spec, "--connect-to",
                    f"{APP_HOST}:443:127.0.0.1:{port}", "--public-roots", str(roots)]

        def many(count: int, suspended: bool) -> list[Installation]:
            return [Installation(n, f"org{n:05}", dict(READ), [f"org{n:05}/api"],
                                 suspended=suspended) for n in range(1, count + 1)]

        slow = AppWorld("123456", key.public_key(), many(1, False), latency_s=1.9)
        # As small as GitHub's objects get (1.3 MB for the page), so the page is read whole.
        one_page = AppWorld("123456", key.public_key(), many(15_000, True), page_size=15_000,
                            mangle=lambda body: [{"id": i["id"], "account": i["account"],
                                                  "suspended_at": i["suspended_at"]}
                                                 for i in body])
        paged = AppWorld("123456", key.public_key(), many(10_000, False))
        bounded: list[tuple[str, list[str], float]] = [
            ("every step 1.9 s", [*app_with(slow), "--run-timeout", "5"], 5.0),
            ("15,000 on one page", app_with(one_page), 120.0),
            ("10,000 over 100 pages", app_with(paged), 120.0),
        ]
        print()
        print("goals: wall <= --run-timeout + 2 s, peak RSS < 200 MiB, reports < 20 MB")
        print(f"{'case':<22} {'exit':>4} {'wall s':>7} {'deadline':>8} {'peak MiB':>8} "
              f"{'reports MB':>10}  goals")
        for name, app_args, deadline in bounded:
            out = folder / name.split()[0].replace(",", "")
            wall, peak, code = measure(app_args, app_env, out)
            size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
            met = ("met" if wall <= deadline + 2 and peak < 200 and size < 20
                   else "MISSED")
            print(f"{name:<22} {code:>4} {wall:>7.2f} {deadline:>8.0f} {peak:>8.1f} "
                  f"{size:>10.1f}  {met}")
        stop.set()
    redaction()


def redaction() -> None:
    """One redaction pass over a 5 MB body: known secrets, their fragments, and shapes."""
    from checks.model.secret import Redactor, Secret

    token = "ghp_" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
    body = ('{"id": 12345678, "login": "octo-cat", "url": "https://api.github.com/users/x"}, '
            * 62_000)[:5_000_000] + f" echo: {token[:20]}"
    whole = Redactor()
    whole.add(Secret(token, "token"), fragments=False)
    fragments = Redactor([Secret(token, "token")])
    timings = []
    for redactor in (whole, fragments):
        redactor(body)  # compiled on first use
        started = time.perf_counter()
        for _ in range(3):
            shown = redactor(body)
        timings.append((time.perf_counter() - started) / 3)
    assert token[:20] not in shown
    print()
    print(f"redaction of a 5 MB body: whole secrets {timings[0] * 1000:.0f} ms, with fragments "
          f"of {len(token) - 7} pieces {timings[1] * 1000:.0f} ms "
          f"({timings[1] / timings[0]:.2f}x)")


if __name__ == "__main__":
    main()
