"""Runs compared: over time (what changed since the previous run) and over place (the same
checks from several vantage points, side by side). Plain functions over JSON reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks import gate

FAILING = ("failed", "error")


def _outcomes(document: Mapping[str, Any]) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in document["checks"] if c["outcome"] != "not_run"}


def changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What changed: checks fixed, newly failing, still failing; checks new or vanished."""
    before, now = _outcomes(previous), _outcomes(current)
    both = [check for check in now if check in before]
    return {
        "previous": {"run_id": previous.get("run_id", ""),
                     "started_at": previous.get("started_at", "")},
        "fixed": [c for c in both if before[c] in FAILING and now[c] not in FAILING],
        "newly_failing": [c for c in both if now[c] in FAILING and before[c] not in FAILING],
        "still_failing": [c for c in both if now[c] in FAILING and before[c] in FAILING],
        "new": [c for c in now if c not in before],
        "vanished": [c for c in before if c not in now],
    }


def change_lines(change: Mapping[str, Any]) -> list[str]:
    previous = change["previous"]
    lines = [f"compared with run {previous['run_id'] or '?'} of {previous['started_at'] or '?'}"]
    for key, words in (("fixed", "fixed"), ("newly_failing", "newly failing"),
                       ("still_failing", "still failing"), ("new", "new"),
                       ("vanished", "vanished")):
        for check in change[key]:
            lines.append(f"{words.upper():14} {check}")
    if len(lines) == 1:
        lines.append("no change")
    return lines


def column_label(document: Mapping[str, Any]) -> str:
    """A column's label: its --vantage label, else the machine and the time it ran."""
    vantage = document.get("vantage") or {}
    if vantage.get("label"):
        return str(vantage["label"])
    machine = vantage.get("machine") or "?"
    return f"{machine} at {str(document.get('started_at', '?')).replace('+00:00', 'Z')}"


def _same(verdict: Mapping[str, Any]) -> tuple[str, ...]:
    """What a difference is judged on: outcome and reason; any skip equals any skip (two
    checks skipped for different upstream causes say the same about this check)."""
    return ("skipped",) if verdict["outcome"] == "skipped" else (verdict["outcome"],
                                                                  str(verdict["reason"]))


class DuplicateRun(ValueError):
    """Two inputs of a merge are the same run."""


def merge(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One table: a row per check, a column per run (keyed by its run id), each column with
    its verdict. A check differs when the runs that decided it (not absent, not not_run)
    disagree on outcome or reason: the evidence a firewall or split-horizon ticket needs."""
    seen_ids: dict[str, str] = {}
    columns: list[dict[str, Any]] = []
    for name, document in documents:
        run_id = str(document.get("run_id") or name)
        if run_id in seen_ids:
            raise DuplicateRun(f"{name} and {seen_ids[run_id]} are the same run ({run_id}): give "
                               f"reports of different runs")
        seen_ids[run_id] = name
        decided = gate.of(document)
        columns.append({"key": run_id, "label": column_label(document), "file": name,
                        "connector": document.get("connector"), "target": document["target"],
                        "started_at": document["started_at"], "verdict": decided["verdict"],
                        "words": decided["words"], "tone": decided["tone"]})
    labels = [c["label"] for c in columns]
    for column in columns:  # two runs with one label: told apart by their run id
        if labels.count(column["label"]) > 1:
            column["label"] = f"{column['label']} (run {column['key']})"
    rows: dict[str, dict[str, Any]] = {}
    for column, (_, document) in zip(columns, documents, strict=True):
        for check in document["checks"]:
            row = rows.setdefault(check["id"], {"id": check["id"], "verdicts": {}})
            row["verdicts"][column["key"]] = {"outcome": check["outcome"],
                                              "reason": check["reason"],
                                              "message": check["message"]}
    for row in rows.values():
        decided_in = [v for v in row["verdicts"].values() if v["outcome"] != "not_run"]
        row["differs"] = len(decided_in) > 1 and len({_same(v) for v in decided_in}) > 1
    connectors = sorted({str(document["connector"]) for _, document in documents})
    return {"schema": 2, "kind": "merge", "connectors": connectors, "columns": columns,
            "rows": list(rows.values()),
            "differs": [row["id"] for row in rows.values() if row["differs"]]}
