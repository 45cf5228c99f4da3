"""Runs compared: over time (what changed since the previous run) and over place (the same
checks from several vantage points, side by side). Plain functions over JSON reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def column_name(document: Mapping[str, Any], fallback: str) -> str:
    vantage = document.get("vantage") or {}
    return str(vantage.get("label") or vantage.get("machine") or fallback)


def merge(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One table: a row per check, a column per vantage point; the rows whose verdicts differ
    between vantage points are named (the evidence a firewall or split-horizon ticket needs)."""
    columns = [column_name(document, name) for name, document in documents]
    rows: dict[str, dict[str, Any]] = {}
    for column, (_, document) in zip(columns, documents, strict=True):
        for check in document["checks"]:
            row = rows.setdefault(check["id"], {"id": check["id"], "verdicts": {}})
            row["verdicts"][column] = {"outcome": check["outcome"], "reason": check["reason"],
                                       "message": check["message"]}
    for row in rows.values():
        seen = {(v["outcome"], v["reason"]) for v in row["verdicts"].values()}
        row["differs"] = len(seen) > 1 or len(row["verdicts"]) < len(columns)
    connectors = sorted({str(document["connector"]) for _, document in documents})
    return {"schema": 1, "kind": "merge", "connectors": connectors, "columns": columns,
            "sources": [{"file": name, "column": column, "run_id": document.get("run_id"),
                         "target": document["target"], "started_at": document["started_at"]}
                        for column, (name, document) in zip(columns, documents, strict=True)],
            "rows": list(rows.values()),
            "differs": [row["id"] for row in rows.values() if row["differs"]]}
