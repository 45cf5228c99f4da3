"""--metrics: the run in Prometheus text exposition format, for node_exporter's textfile
collector: the same checks on a schedule, alerting before a certificate or token expires.

https://prometheus.io/docs/instrumenting/exposition_formats/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from checks import gate

OUTCOMES = ("passed", "failed", "warning", "skipped", "error", "not_run")


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{name}="{_label(value)}"' for name, value in labels.items()) + "}"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def exposition(documents: Sequence[Mapping[str, Any]]) -> str:
    """Every connector's run as gauges; one family each, with its HELP and TYPE."""
    families: dict[str, tuple[str, list[str]]] = {
        "connector_checks_check_outcome": (
            "1 for the outcome a check had in the last run, 0 for the others", []),
        "connector_checks_ready": (
            "1 when the run's verdict is ready (with warnings, unless --fail-on warning)", []),
        "connector_checks_run_timestamp_seconds": ("when the run began (Unix time)", []),
        "connector_checks_certificate_expiry_seconds": (
            "seconds until the server's certificate expires, as of the run", []),
        "connector_checks_token_expiry_seconds": (
            "seconds until the token expires, as of the run", []),
        "connector_checks_probe_duration_seconds": ("how long each probe took", []),
    }

    def add(name: str, value: float, **labels: object) -> None:
        families[name][1].append(f"{name}{_labels(**labels)} {value:g}")

    for document in documents:
        connector, at = document["connector"], _time(document["observed_at"])
        ready = gate.of(document)["verdict"] in ("ready", "ready_with_warnings")
        add("connector_checks_ready", 1 if ready else 0, connector=connector)
        add("connector_checks_run_timestamp_seconds", _time(document["started_at"]).timestamp(),
            connector=connector)
        for check in document["checks"]:
            for outcome in OUTCOMES:
                add("connector_checks_check_outcome", 1 if check["outcome"] == outcome else 0,
                    connector=connector, check=check["id"], outcome=outcome)
            evidence = check.get("evidence") or {}
            chain = evidence.get("chain")
            if check["requirement"] == "tls.public_ca" and chain:
                left = (_time(chain[0]["not_after"]) - at).total_seconds()
                add("connector_checks_certificate_expiry_seconds", left, connector=connector,
                    check=check["id"], subject=chain[0]["subject"])
            if isinstance(evidence.get("expires_at"), str):
                left = (_time(evidence["expires_at"]) - at).total_seconds()
                add("connector_checks_token_expiry_seconds", left, connector=connector,
                    check=check["id"])
        for probe in document.get("probes", []):
            add("connector_checks_probe_duration_seconds", probe["elapsed_s"],
                connector=connector, kind=probe["kind"], target=probe["target"])
    lines = []
    for name, (text, samples) in families.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", *samples]
    return "\n".join(lines) + "\n"
