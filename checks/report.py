"""Reports: the JSON document, the HTML evidence of each check, the terminal lines.

Everything here passes through a :class:`~checks.secret.Redactor` before it is written.
The JSON schema is documented in ``docs/report-schema.md``.
"""

from __future__ import annotations

import html
import json
import platform
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checks.catalogue import Check
from checks.secret import Redactor
from checks.verdict import Outcome

SCHEMA = 1
OUTCOMES = tuple(outcome.value for outcome in Outcome)


@dataclass(frozen=True)
class RunInfo:
    connector: str
    target: str
    mode: str  # "live" | "offline"
    scenario: str | None
    started_at: datetime
    duration_s: float
    proxy: str
    probes: list[dict[str, Any]]


def check_record(check: Check, outcome: Outcome | None = None) -> dict[str, Any]:
    verdict = check.verdict
    record: dict[str, Any] = {
        "id": check.id,
        "requirement": check.requirement.id,
        "parameter": check.parameter,
        "title": check.requirement.title,
        "outcome": (outcome or verdict.outcome).value,
        "reason": verdict.reason,
        "message": verdict.message,
        "remediation": verdict.remediation,
        "evidence": dict(verdict.evidence),
        "seed": check.requirement.seed,
        "duration_s": check.duration_s,
    }
    if verdict.vendor_code is not None:
        record["vendor_code"] = verdict.vendor_code
    return record


def build(info: RunInfo, records: list[dict[str, Any]], tool_version: str) -> dict[str, Any]:
    summary = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        summary[record["outcome"]] += 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "connector-checks", "version": tool_version},
        "connector": info.connector,
        "target": info.target,
        "mode": info.mode,
        "scenario": info.scenario,
        "started_at": info.started_at.isoformat(timespec="seconds"),
        "duration_s": round(info.duration_s, 3),
        "environment": {"python": platform.python_version(), "platform": sys.platform,
                        "proxy": info.proxy},
        "summary": summary,
        "checks": records,
        "probes": info.probes,
    }


def junit(info: RunInfo, records: list[dict[str, Any]], redact: Redactor) -> str:
    """JUnit XML for one connector: a testcase per check, the verdict in its properties."""
    tally = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        tally[record["outcome"]] += 1
    suites = ET.Element("testsuites", name="connector-checks")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"connector-checks {info.connector}", "tests": str(len(records)),
        "failures": str(tally["failed"]), "errors": str(tally["error"]),
        "skipped": str(tally["skipped"]), "time": f"{info.duration_s:.3f}",
        "timestamp": info.started_at.isoformat(timespec="seconds")})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target", info.target), ("mode", info.mode),
                        ("scenario", info.scenario or "")):
        ET.SubElement(properties, "property", name=name, value=value)
    for record in records:
        case = ET.SubElement(suite, "testcase", classname=info.connector, name=record["id"],
                             time=f"{record['duration_s']:.3f}")
        shown = ET.SubElement(case, "properties")
        for name in ("requirement", "outcome", "reason", "vendor_code"):
            if record.get(name):
                ET.SubElement(shown, "property", name=name, value=str(record[name]))
        text = redact(f"{record['message']}\nfix: {record['remediation']}\n"
                      f"evidence: {json.dumps(record['evidence'], default=str)}")
        message = redact(f"{record['reason']}: {record['message']}")
        if record["outcome"] == "failed":
            ET.SubElement(case, "failure", message=message, type=record["reason"]).text = text
        elif record["outcome"] == "error":
            ET.SubElement(case, "error", message=message, type=record["reason"]).text = text
        elif record["outcome"] == "skipped":
            ET.SubElement(case, "skipped", message=message)
        elif record["outcome"] == "warning":
            ET.SubElement(case, "system-out").text = f"WARNING {text}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, document: Mapping[str, Any], redact: Redactor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(redact.data(dict(document)), indent=2, default=str, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def failure_text(check: Check) -> str:
    """What a failed or warned check says: requirement, what was seen, the fix, the source."""
    verdict = check.verdict
    lines = [f"{check.id}: {check.requirement.title}",
             f"  {verdict.outcome.value.upper()} ({verdict.reason}): {verdict.message}",
             f"  fix: {verdict.remediation}",
             f"  required by: {check.requirement.seed}"]
    lines += [f"  {key}: {_short(value)}" for key, value in verdict.evidence.items()]
    return "\n".join(lines)


LIST_ALL_UP_TO = 40  # larger runs list what did not pass, and count the passes


def summary_lines(checks: Iterable[Check], every: bool) -> list[str]:
    """The terminal summary: a line per check (with its fix when it failed or warned), or,
    for a large run, a line per check that did not pass and a count of passes by requirement."""
    lines: list[str] = []
    passes: dict[str, int] = {}
    for check in checks:
        verdict = check.verdict
        if verdict.outcome is Outcome.PASSED and not every:
            passes[check.requirement.id] = passes.get(check.requirement.id, 0) + 1
            continue
        lines.append(f"{verdict.outcome.value.upper():8} {check.id}  {verdict.message}")
        if verdict.outcome in (Outcome.FAILED, Outcome.WARNING):
            lines.append(f"{'':8} fix: {verdict.remediation}")
    lines += [f"PASSED   {requirement}: {n} check{'s' * (n > 1)} (-v lists them)"
              for requirement, n in passes.items()]
    return lines


def html_fragment(check: Check) -> str:
    verdict = check.verdict
    rows = [("requirement", check.requirement.title), ("outcome", verdict.outcome.value),
            ("reason", verdict.reason or "-"), ("seen", verdict.message)]
    if verdict.remediation:
        rows.append(("fix", verdict.remediation))
    rows.append(("required by", check.requirement.seed))
    body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                   f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    evidence = html.escape(json.dumps(dict(verdict.evidence), indent=2, default=str))
    return (f"<table class='connector-check'>{body}</table>"
            f"<details><summary>evidence</summary><pre>{evidence}</pre></details>")


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def count(records: Iterable[dict[str, Any]]) -> str:
    tally = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        tally[record["outcome"]] += 1
    return ", ".join(f"{n} {name}" for name, n in tally.items() if n)
