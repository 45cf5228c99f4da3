"""Runs compared: over time (what changed since the previous run) and over place (the same
checks from several vantage points, side by side). Plain functions over JSON reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checks import gate

FAILING = ("failed", "error")


def _decided(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The checks a run decided (a check not run says nothing), by id."""
    return {c["id"]: c for c in document["checks"] if c["outcome"] != "not_run"}


def same(verdict: Mapping[str, Any]) -> tuple[str, ...]:
    """What a difference is judged on, for diff, --compare and merge alike: outcome and
    reason; any skip equals any skip (two checks skipped for different upstream causes say
    the same about this check)."""
    return ("skipped",) if verdict["outcome"] == "skipped" else (verdict["outcome"],
                                                                  str(verdict["reason"]))


def _shown(verdict: Mapping[str, Any]) -> str:
    reason = verdict.get("reason")
    return f"{verdict['outcome']} ({reason})" if reason else str(verdict["outcome"])


class Incomparable(ValueError):
    """Two reports that are not of the same connector and target."""


def comparable(previous: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """Why two reports cannot be compared over time (None: they can)."""
    for key, what in (("connector", "connector"), ("target", "target")):
        if previous.get(key) != current.get(key):
            return (f"the reports are of different {what}s ({previous.get(key)} and "
                    f"{current.get(key)}): diff compares runs of one connector against one "
                    f"target; connector-checks merge puts different ones side by side")
    return None


def changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What changed: checks fixed, newly failing, still failing (under the later run's gate:
    with --fail-on warning a warning fails), every other change of outcome or reason
    (passed -> warning, one failure for another), checks new or vanished. A change is what
    merge calls a difference: :func:`same` differs between two runs that decided the check."""
    before, now = _decided(previous), _decided(current)
    gate_on = gate.of(current).get("gate", "failed")
    both = [check for check in now if check in before]

    def failing(verdict: Mapping[str, Any]) -> bool:
        """Whether it fails the gate the later run was judged under (--fail-on)."""
        return verdict["outcome"] in FAILING or (gate_on == "warning"
                                                 and verdict["outcome"] == "warning")

    fixed = [c for c in both if failing(before[c]) and not failing(now[c])]
    newly = [c for c in both if failing(now[c]) and not failing(before[c])]
    return {
        "previous": {"run_id": previous.get("run_id", ""),
                     "started_at": previous.get("started_at", "")},
        "gate": gate_on,
        "fixed": fixed,
        "newly_failing": newly,
        "still_failing": [c for c in both if failing(now[c]) and failing(before[c])],
        "changed": [{"id": c, "before": _shown(before[c]), "after": _shown(now[c])}
                    for c in both if same(before[c]) != same(now[c])],
        "new": [c for c in now if c not in before],
        "vanished": [c for c in before if c not in now],
    }


def change_lines(change: Mapping[str, Any]) -> list[str]:
    previous = change["previous"]
    lines = [f"compared with run {previous['run_id'] or '?'} of {previous['started_at'] or '?'}"
             + (" (--fail-on warning: a warning fails)" if change.get("gate") == "warning"
                else "")]
    moved = {c["id"]: c for c in change.get("changed", [])}
    for key, words in (("fixed", "fixed"), ("newly_failing", "newly failing"),
                       ("still_failing", "still failing")):
        for check in change[key]:
            how = moved.pop(check, None)
            lines.append(f"{words.upper():14} {check}"
                         + (f": {how['before']} -> {how['after']}" if how else ""))
    for check, how in moved.items():
        lines.append(f"{'CHANGED':14} {check}: {how['before']} -> {how['after']}")
    for key, words in (("new", "new"), ("vanished", "vanished")):
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
        row["differs"] = len(decided_in) > 1 and len({same(v) for v in decided_in}) > 1
    connectors = sorted({str(document["connector"]) for _, document in documents})
    return {"schema": 2, "kind": "merge", "connectors": connectors, "columns": columns,
            "rows": list(rows.values()),
            "differs": [row["id"] for row in rows.values() if row["differs"]]}
