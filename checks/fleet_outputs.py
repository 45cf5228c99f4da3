"""A fleet's own reports, made from its targets' JSON reports (each redacted already): the
fleet JSON (fleet.schema.json), the fleet page (readable without JavaScript), one JUnit file
with a test suite per target, and, for --record, the fleet file that replays the recordings.
Written with the targets' reports, as one set."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks import fleet, gate, report

if TYPE_CHECKING:
    from checks.jobs import Job
    from checks.output import Written
    from checks.report import RunInfo, Staged
    from checks.settings import Settings

FILES = ("fleet.html", "fleet.junit.xml", "fleet.json")


def write(staged: Staged, settings: Settings, jobs: Sequence[Job],
          pairs: Sequence[tuple[RunInfo, Mapping[str, Any]]], run_id: str, started: datetime,
          interrupted: bool, tool_version: str, written: Written) -> dict[str, Any]:
    assert settings.fleet is not None
    rows = [fleet.row(job.name, job.folder, document)
            for job, (_, document) in zip(jobs, pairs, strict=True)]
    durations = [info.duration_s for info, _ in pairs]
    summary = fleet.document(
        rows, settings.fleet.label, settings.fleet.every_name, settings.fleet.shard,
        settings.fail_on, {
            "tool_version": tool_version, "run_id": run_id,
            "started_at": started.isoformat(timespec="seconds"),
            "duration_s": round(max(durations, default=0.0), 3),
            "mode": "offline" if settings.offline else "live", "interrupted": interrupted})
    folder = settings.report_dir
    html_path, junit_path, json_path = (folder / name for name in FILES)
    staged.add(json_path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    staged.add(junit_path, junit(pairs))
    staged.add(html_path, render(summary))
    written.reports += [html_path, junit_path, json_path]
    if settings.record is not None and not interrupted:
        staged.add(settings.record / "fleet.toml", recorded_fleet(settings, jobs))
    return summary


def render(summary: Mapping[str, Any]) -> str:
    from checks.html_page import environment

    words = {code: words for code, (words, _, _) in gate.VERDICTS.items()}
    return environment().get_template("fleet.html.j2").render(doc=summary, words=words)


def junit(pairs: Sequence[tuple[RunInfo, Mapping[str, Any]]]) -> str:
    """One JUnit file, a test suite per target (each as the target's own JUnit has it)."""
    suites = ET.Element("testsuites", name="connector-checks fleet")
    for info, document in pairs:
        one = ET.fromstring("".join(report.junit(info, document["checks"])).split("?>", 1)[1])
        suites.extend(one.findall("testsuite"))
    ET.indent(suites)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(suites, "unicode") + "\n"


def recorded_fleet(settings: Settings, jobs: Sequence[Job]) -> str:
    """The fleet file of a recorded fleet: each target replays its recording, beside it
    (pytest --fleet DIR --offline); what each was checked with is in its recording."""
    assert settings.fleet is not None
    lines = [f"# The fleet {settings.fleet.label}, recorded by connector-checks: each target "
             f"replays its recording (TARGET.json, beside this file).",
             "# Replay it with: python3 -m pytest --fleet=THIS_FOLDER --offline "
             "--report-dir=replayed", ""]
    for job in jobs:
        lines += ["[[targets]]", f"name = {json.dumps(job.name)}",
                  f"connector = {json.dumps(job.connector.name)}",
                  f"scenario = {json.dumps(job.name + '.json')}", ""]
    return "\n".join(lines)


def merge_into(folder: Path, documents: Sequence[tuple[str, Mapping[str, Any]]]
               ) -> dict[str, Any]:
    """`connector-checks merge` of shards' fleet JSONs: the fleet's JSON and page in
    ``folder``, each target's links pointing at its shard's reports from there."""
    merged = fleet.merge(documents)
    where = {row["name"]: Path(path).parent for path, one in documents for row in one["targets"]}
    for row in merged["targets"]:
        row["reports"] = {kind: os.path.relpath(where[row["name"]] / link, folder)
                          for kind, link in row["reports"].items()}
    report.write_text(folder / "fleet.json", json.dumps(merged, indent=2, ensure_ascii=False)
                      + "\n")
    report.write_text(folder / "fleet.html", render(merged))
    return merged
