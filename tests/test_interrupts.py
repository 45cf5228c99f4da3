"""Ctrl-C and SIGTERM at every stage of a live run: a stalled DNS query, TCP connect, TLS
handshake, proxy CONNECT and HTTP read each end at once (not when --check-timeout 60 would),
the reports are written and marked interrupted, the step in flight is shown as interrupted,
and the terminal says so in words, with no traceback banner."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import HOST, PUBLIC_V4, Site
from tests.servers import dns_server, filtered_port, silent_server

# Far above what the exit takes (a tenth of a second, see benchmarks/README.md), far below
# the 60 s each stalled step would wait: not a measure of speed, a proof that nothing waits.
PROMPT_S = 5.0


Stage = Callable[[Site], tuple[list[str], Callable[[], bool]]]


def dns_stalls(site: Site) -> tuple[list[str], Callable[[], bool]]:
    server = site.stack.enter_context(dns_server({HOST: "silent"}))
    return site.args(site.https(), server.spec), lambda: bool(server.asked)


def tcp_stalls(site: Site) -> tuple[list[str], Callable[[], bool]]:
    port = site.stack.enter_context(filtered_port()).port
    server = site.stack.enter_context(dns_server({HOST: {"A": [PUBLIC_V4]}}))
    return site.args(port, server.spec), lambda: bool(server.asked)


def tls_stalls(site: Site) -> tuple[list[str], Callable[[], bool]]:
    held = site.stack.enter_context(silent_server())
    # The TCP probe connects first, then the handshake's own connection.
    return site.args(held.port), lambda: len(held.accepted) >= 2


def proxy_stalls(site: Site) -> tuple[list[str], Callable[[], bool]]:
    held = site.stack.enter_context(silent_server())
    site.monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{held.port}")
    return site.args(site.https()), lambda: len(held.accepted) >= 2  # proxy.reachable, CONNECT


def http_stalls(site: Site) -> tuple[list[str], Callable[[], bool]]:
    site.world.meta = "hang"
    arrived = threading.Event()
    released = site.world.released

    class Announcing(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            arrived.set()
            return released.wait(timeout)

    site.world.released = Announcing()
    site.stack.callback(released.set)
    return site.args(site.https()), arrived.is_set


STAGES: dict[str, tuple[Stage, str]] = {
    "dns": (dns_stalls, "dns"), "tcp": (tcp_stalls, "tcp"), "tls": (tls_stalls, "tls"),
    "proxy": (proxy_stalls, "proxy"), "http": (http_stalls, "http"),
}


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_signal_ends_a_stalled_step_at_once_and_the_reports_show_it_in_flight(
    site: Site, pytester: pytest.Pytester, stage: str, signal_number: int
) -> None:
    setup, kind = STAGES[stage]
    args, arrived = setup(site)
    args = [a if a != "1" else "60" for a in args]  # --check-timeout 60: nothing ends alone
    output = pytester.path / "output.txt"
    with output.open("wb") as sink:
        child = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                                  "--connector", "ghes", *args], cwd=pytester.path,
                                 stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 60
        while not arrived() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        assert arrived(), output.read_text()
        time.sleep(0.3)  # the stalled step has begun (a connect after its DNS answer)
        signalled = time.monotonic()
        child.send_signal(signal_number)
        child.wait(timeout=60)
        took = time.monotonic() - signalled
    text = output.read_text()
    assert took < PROMPT_S, (took, text)
    assert child.returncode == pytest.ExitCode.INTERRUPTED, text
    report = json.loads((pytester.path / "reports" / "ghes.json").read_text())
    assert report["interrupted"] is True and report["verdict"]["verdict"] == "incomplete"
    in_flight = [p for p in report["probes"] if p["result"] == "interrupted"]
    assert [p["kind"] for p in in_flight if p["kind"] == kind], report["probes"]
    not_run = [c for c in report["checks"] if c["outcome"] == "not_run"]
    assert not_run and all("interrupted (Ctrl-C or SIGTERM) while probing" in c["message"]
                           for c in not_run), not_run
    assert f"{kind} " in not_run[0]["message"]
    for noise in ("checks.engine.Interrupted", "collected 0 items", "no tests ran",
                  "Traceback", "KeyboardInterrupt"):
        assert noise not in text, text
    assert "not run in" in text.splitlines()[-1]
    assert "connector-checks: interrupted (Ctrl-C or SIGTERM) while probing" in text
    page = (pytester.path / "reports" / "ghes.html").read_text()
    assert "This run was interrupted" in page and f"{kind} " in page
    assert not Path(pytester.path / "rec.json").exists()
