"""How much does a filtered port cost? One timeout per run, however many addresses or checks.

A loopback DNS server answers N addresses (127.0.0.10, .11, ...), each a filtered port
(a full listen backlog, so SYNs are dropped). The ghes checks run through the engine with a
1 s step timeout; the run's wall time is printed for each N with its ratio to N = 1.
Loopback only. Run: python -m benchmarks.filtered_addresses
"""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from pathlib import Path

from checks.engine import plan_jobs, run_jobs
from checks.model.endpoints import Nameserver
from checks.settings import Settings, parse_target
from tests import netguard  # noqa: F401  (loopback only)
from tests.servers import dns_server, filtered_port

TIMEOUT = 1.0
PORT_HOST = "github.example.com"


def run_once(addresses: int) -> tuple[float, int, int]:
    with ExitStack() as stack:
        first = stack.enter_context(filtered_port("127.0.0.10"))
        for n in range(1, addresses):
            stack.enter_context(filtered_port(f"127.0.0.{10 + n}", first.port))
        zone = {PORT_HOST: {"A": [f"127.0.0.{10 + n}" for n in range(addresses)], "AAAA": []}}
        dns = stack.enter_context(dns_server(zone))
        settings = Settings(
            connectors=("ghes",), target=parse_target(f"https://{PORT_HOST}:{first.port}"),
            org="acme", offline=False, scenario="healthy",
            resolvers=(Nameserver(dns.address, dns.port),), public_resolvers=(), connect_to=(),
            public_roots=None, ca_bundle=None, timeout=TIMEOUT, report_dir=Path("reports"))
        jobs = plan_jobs(settings, {})
        started = time.monotonic()
        (result,) = asyncio.run(run_jobs(settings, jobs))
        elapsed = time.monotonic() - started
        timeouts = sum(1 for c in result.checks if c.verdict.reason == "tcp.timeout")
        return elapsed, len(result.checks), timeouts


def main() -> None:
    print(f"step timeout {TIMEOUT:g} s; every address filtered")
    print(f"{'addresses':>9} {'checks':>6} {'tcp.timeout':>11} {'wall s':>7} {'x N=1':>6}")
    base = None
    for addresses in (1, 2, 4, 8, 16):
        elapsed, checks, timeouts = run_once(addresses)
        base = base or elapsed
        print(f"{addresses:>9} {checks:>6} {timeouts:>11} {elapsed:>7.2f} {elapsed / base:>6.2f}")


if __name__ == "__main__":
    main()
