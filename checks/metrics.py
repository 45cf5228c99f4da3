"""--metrics: the run in Prometheus text exposition format, for node_exporter's textfile
collector: the same checks on a schedule, alerting before a certificate or token expires.
Written by prometheus_client (a registry of gauges, its own number formatting and escaping,
``write_to_textfile``'s atomic rename), readable by the collector's user.

https://prometheus.io/docs/instrumenting/exposition_formats/
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from checks import gate

OUTCOMES = ("passed", "failed", "warning", "skipped", "error", "not_run")
READABLE = 0o644  # node_exporter runs as its own user


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def registry(documents: Sequence[Mapping[str, Any]]) -> Any:
    """Every connector's run as gauges in a registry of its own."""
    from prometheus_client import CollectorRegistry, Gauge

    found = CollectorRegistry()

    def gauge(name: str, text: str, labels: tuple[str, ...]) -> Gauge:
        return Gauge(name, text, labels, registry=found)

    # Every series names its target (a fleet's target's name; else the connector's) and its
    # connector: one alert rule covers a whole fleet.
    outcome = gauge("connector_checks_check_outcome",
                    "1 for the outcome a check had in the last run, 0 for the others",
                    ("target", "connector", "check", "outcome"))
    ready = gauge("connector_checks_ready", "1 when the run's verdict is ready (with warnings, "
                  "unless --fail-on warning)", ("target", "connector"))
    started = gauge("connector_checks_run_timestamp_seconds", "when the run began (Unix time)",
                    ("target", "connector"))
    certificate = gauge("connector_checks_certificate_expiry_seconds",
                        "seconds until the server's certificate expires, as of the run "
                        "(/ 86400: days)", ("target", "connector", "check", "subject"))
    token = gauge("connector_checks_token_expiry_seconds",
                  "seconds until the token expires, as of the run (/ 86400: days)",
                  ("target", "connector", "check"))
    duration = gauge("connector_checks_probe_duration_seconds", "how long each probe took",
                     ("target", "connector", "kind", "probe"))
    for document in documents:
        connector, at = document["connector"], _time(document["observed_at"])
        name = str(document.get("name") or connector)
        ready.labels(name, connector).set(
            1 if gate.of(document)["verdict"] in ("ready", "ready_with_warnings") else 0)
        started.labels(name, connector).set(_time(document["started_at"]).timestamp())
        for check in document["checks"]:
            for one in OUTCOMES:
                outcome.labels(name, connector, check["id"], one).set(
                    1 if check["outcome"] == one else 0)
            evidence = check.get("evidence") or {}
            chain = evidence.get("chain")
            if check["requirement"] == "tls.public_ca" and chain:
                certificate.labels(name, connector, check["id"], chain[0]["subject"]).set(
                    (_time(chain[0]["not_after"]) - at).total_seconds())
            if isinstance(evidence.get("expires_at"), str):
                token.labels(name, connector, check["id"]).set(
                    (_time(evidence["expires_at"]) - at).total_seconds())
        for probe in document.get("probes", []):
            duration.labels(name, connector, probe["kind"], probe["target"]).set(
                probe["elapsed_s"])
    return found


def exposition(documents: Sequence[Mapping[str, Any]]) -> str:
    from prometheus_client import generate_latest

    return generate_latest(registry(documents)).decode("utf-8")


def write(path: Path, documents: Sequence[Mapping[str, Any]]) -> None:
    """The file, renamed into place whole, and readable by the collector's user."""
    from prometheus_client import write_to_textfile

    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry(documents))
    os.chmod(path, READABLE)
