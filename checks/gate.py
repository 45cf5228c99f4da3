"""The run's verdict: decided once, from what pytest selected and ran and from the gate
(--fail-on), and read by every output (the terminal, the exit code, the JSON, JUnit and HTML
reports, the CI job summary and annotations, the metrics), so none can tell another story."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GATES = ("failed", "warning")
# verdict -> (words, colour class, exit code the verdict alone gives)
VERDICTS: dict[str, tuple[str, str, int]] = {
    "ready": ("ready", "passed", 0),
    "ready_with_warnings": ("ready with warnings", "warning", 0),
    "not_ready": ("not ready", "failed", 1),
    "incomplete": ("incomplete", "notrun", 2),
    "nothing_checked": ("nothing checked", "notrun", 5),
}


def gated(outcome: str, gate: str) -> bool:
    """Whether an outcome fails the run under the gate: a failure or a broken check always,
    a warning with --fail-on warning."""
    return outcome in ("failed", "error") or (gate == "warning" and outcome == "warning")


def decide(summary: Mapping[str, int], interrupted: bool, gate: str) -> dict[str, Any]:
    """The verdict of one connector's run, with the gate that decided it."""
    failing = summary.get("failed", 0) + summary.get("error", 0) + (
        summary.get("warning", 0) if gate == "warning" else 0)
    if not any(summary.values()):
        code = "nothing_checked"
    elif failing:
        code = "not_ready"
    elif interrupted or summary.get("not_run"):
        code = "incomplete"
    elif summary.get("warning"):
        code = "ready_with_warnings"
    else:
        code = "ready"
    words, tone, _ = VERDICTS[code]
    return {"verdict": code, "words": words, "gate": gate, "failing": failing, "tone": tone}


def of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict a report holds (one written before the verdict was recorded: decided
    again, under the default gate)."""
    found = document.get("verdict")
    if isinstance(found, Mapping) and found.get("verdict") in VERDICTS:
        return dict(found)
    summary = document.get("summary")
    if not isinstance(summary, Mapping):
        summary = {}
        for check in document.get("checks", []):
            summary[check["outcome"]] = summary.get(check["outcome"], 0) + 1
    return decide(summary, bool(document.get("interrupted")), "failed")
