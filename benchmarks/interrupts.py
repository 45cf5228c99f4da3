"""How long after Ctrl-C (SIGINT) or SIGTERM does a run end, whatever step stalls?

Five loopback servers each stall one step for good: a DNS server that never answers, a port
that drops SYNs (a full backlog), a TCP server that never starts TLS, an HTTP proxy that never
answers CONNECT, and an HTTPS API that never answers. A ghes run with --check-timeout 30 is
started against each, signalled once the step has begun, and timed from the signal to its
exit (reports written, marked interrupted). Median of 3 per cell. Goal: under 1 s.
Loopback only. Run: python -m benchmarks.interrupts
"""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from tests import netguard  # noqa: F401  (loopback only)
from tests.pki import Pki
from tests.servers import (
    Account,
    GithubWorld,
    dns_server,
    filtered_port,
    https_server,
    server_context,
    silent_server,
)

HOST = "github.example.com"
REPEAT = 3


Stage = Callable[[ExitStack, Path, Pki], tuple[list[str], dict[str, str], Callable[[], bool]]]


def _args(dns: str, port: int, roots: Path) -> list[str]:
    return ["--target", f"https://{HOST}", "--resolver", dns, "--connect-to",
            f"{HOST}:443:127.0.0.1:{port}", "--public-roots", str(roots), "--check-timeout", "30"]


def _zone(stack: ExitStack, entry: object) -> tuple[str, list[tuple[str, str]]]:
    server = stack.enter_context(dns_server({HOST: entry}))
    return server.spec, server.asked


def dns_stalls(stack: ExitStack, folder: Path, pki: Pki) -> tuple[list[str], dict[str, str],
                                                                    Callable[[], bool]]:
    spec, asked = _zone(stack, "silent")
    return _args(spec, 443, folder / "roots.pem"), {}, lambda: bool(asked)


def tcp_stalls(stack: ExitStack, folder: Path, pki: Pki) -> tuple[list[str], dict[str, str],
                                                                    Callable[[], bool]]:
    port = stack.enter_context(filtered_port()).port
    spec, asked = _zone(stack, {"A": ["93.184.215.14"]})
    return _args(spec, port, folder / "roots.pem"), {}, lambda: bool(asked)


def tls_stalls(stack: ExitStack, folder: Path, pki: Pki) -> tuple[list[str], dict[str, str],
                                                                    Callable[[], bool]]:
    listener = stack.enter_context(silent_server())
    port, held = listener.port, listener.accepted
    spec, _ = _zone(stack, {"A": ["93.184.215.14"]})
    return _args(spec, port, folder / "roots.pem"), {}, lambda: len(held) >= 2


def _api(stack: ExitStack, folder: Path, pki: Pki, token: str) -> int:
    world = GithubWorld(meta="hang", accounts={token: Account("flow-service", "repo")})
    stack.callback(world.released.set)
    context = server_context(folder, pki.public_chain(HOST))
    return int(stack.enter_context(https_server(world, context)).port)


def proxy_stalls(stack: ExitStack, folder: Path, pki: Pki) -> tuple[list[str], dict[str, str],
                                                                      Callable[[], bool]]:
    listener = stack.enter_context(silent_server())
    proxy, held = listener.port, listener.accepted
    token = "ghp_" + secrets.token_hex(18)
    port = _api(stack, folder, pki, token)
    spec, _ = _zone(stack, {"A": ["93.184.215.14"]})
    return (_args(spec, port, folder / "roots.pem"),
            {"HTTPS_PROXY": f"http://127.0.0.1:{proxy}", "CONNECTOR_GHES_TOKEN": token},
            lambda: len(held) >= 2)


def http_stalls(stack: ExitStack, folder: Path, pki: Pki) -> tuple[list[str], dict[str, str],
                                                                     Callable[[], bool]]:
    token = "ghp_" + secrets.token_hex(18)
    port = _api(stack, folder, pki, token)
    spec, _ = _zone(stack, {"A": ["93.184.215.14"]})
    started = time.monotonic()
    # The API is asked once DNS, TCP and TLS passed: a second after the start is well past.
    return (_args(spec, port, folder / "roots.pem"), {"CONNECTOR_GHES_TOKEN": token},
            lambda: time.monotonic() - started > 1.5)


STAGES: dict[str, Stage] = {"dns query": dns_stalls, "tcp connect": tcp_stalls,
                            "tls handshake": tls_stalls, "proxy connect": proxy_stalls,
                            "http read": http_stalls}


def once(stage: Stage, number: int, pki: Pki) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as name, ExitStack() as stack:
        folder = Path(name)
        (folder / "roots.pem").write_text(pki.public_root.pem)
        args, env, arrived = stage(stack, folder, pki)
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")}
        environ.setdefault("CONNECTOR_GHES_TOKEN", "ghp_" + secrets.token_hex(18))
        environ["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)  # tests.netguard
        child = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.netguard",
             "--connector", "ghes", *args], cwd=folder, env={**environ, **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not arrived() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        signalled = time.monotonic()
        child.send_signal(number)
        code = child.wait(timeout=60)
        took = time.monotonic() - signalled
        if code != 2:
            raise SystemExit(f"{number!r}: the run exited {code}, not 2 (interrupted)")
        return took, code


def main() -> None:
    pki = Pki.create()
    print("--check-timeout 30; seconds from the signal to the exit, median of 3")
    print(f"{'stalled step':<14} {'SIGINT':>7} {'SIGTERM':>8} {'exit codes':>11}")
    for name, stage in STAGES.items():
        cells, codes = [], set()
        for number in (signal.SIGINT, signal.SIGTERM):
            runs = [once(stage, number, pki) for _ in range(REPEAT)]
            cells.append(statistics.median(t for t, _ in runs))
            codes |= {code for _, code in runs}
        print(f"{name:<14} {cells[0]:>7.2f} {cells[1]:>8.2f} {','.join(map(str, sorted(codes))):>11}")


if __name__ == "__main__":
    main()
