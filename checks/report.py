"""Reports: the JSON document, JUnit, the HTML page, the terminal lines.

A report holds a record per item pytest selected: a check, or a user's own test run beside
the checks. Everything here passes through a :class:`~checks.model.secret.Redactor` before it
is written, and every file is written atomically. The JSON schema is documented in
``docs/report-schema.md``.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import os
import platform
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checks import findings, gate, html_page
from checks.model.requirement import Check
from checks.model.secret import Redactor, json_line
from checks.model.text import one_line, xml
from checks.model.verdict import Outcome, Verdict

SCHEMA = 1
NOT_RUN = "not_run"  # selected, but the session stopped before it (-x, --maxfail, Ctrl-C)
OUTCOMES = (*(outcome.value for outcome in Outcome), NOT_RUN)
# The verdict an item carries when checks are only listed (--collect-only): never reported.
UNDECIDED = Verdict(Outcome.SKIPPED, None, "listed, not checked (--collect-only)")


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
    interrupted: bool = False
    run_id: str = ""
    vantage: dict[str, str] | None = None  # Vantage.as_data()
    replay_of: dict[str, Any] | None = None  # a replayed recording's "recorded" block
    observed_at: datetime | None = None  # what the verdicts describe (a recording's time)
    fail_on: str = "failed"  # the gate: what fails the run (--fail-on)
    profile: dict[str, Any] | None = None  # Profile.summary(): the vendor's guide checked
    layers: dict[str, str] | None = None  # requirement category -> layer, the platform's own
    name: str = ""  # a fleet's target's name (its checks are NAME::...); else the connector's
    pinged_webhooks: bool = False  # --ping-webhooks: the run changed the server (a ping)

    @property
    def label(self) -> str:
        return self.name or self.connector


def check_record(check: Check, outcome: Outcome | None = None) -> dict[str, Any]:
    verdict = check.verdict
    record: dict[str, Any] = {
        "id": check.id,
        "requirement": check.requirement.id,
        "layer": check.requirement.category,
        "parameter": check.parameter,
        "title": check.requirement.title,
        "outcome": (outcome or verdict.outcome).value,
        "reason": verdict.reason,
        "message": verdict.message,
        "remediation": verdict.remediation,
        "evidence": dict(verdict.evidence),
        "seed": check.requirement.seed,
        "requirement_fix": check.requirement.remediation,
        "duration_s": check.duration_s,
        "kind": "check",
    }
    if verdict.vendor_code is not None:
        record["vendor_code"] = verdict.vendor_code
    return record


def not_run(check: Check, message: str | None = None) -> dict[str, Any]:
    """A selected check the session stopped before: its verdict is not reported."""
    record = {**check_record(check), "outcome": NOT_RUN, "reason": None, "evidence": {},
              "message": message or "not run: pytest did not call this check (-x, --maxfail, "
                                    "--setup-only or an interruption)", "remediation": ""}
    record.pop("vendor_code", None)
    return record


def user_record(nodeid: str, rep: Any, earlier: dict[str, Any] | None, redact: Redactor
                ) -> dict[str, Any]:
    """A user's own test run beside the checks, from pytest's report of one of its phases:
    a failure in setup or teardown is an error, in the call a failure."""
    record = earlier or _test_record(nodeid, "passed", "")
    record["duration_s"] = round(record["duration_s"] + rep.duration, 3)
    if rep.failed:
        record["outcome"] = "failed" if rep.when == "call" else "error"
        crash = getattr(rep.longrepr, "reprcrash", None)  # where it failed, and why
        record["message"] = redact(crash.message if crash else _last_line(rep.longreprtext))
        record["evidence"] = {"longrepr": redact(rep.longreprtext[-4000:])}
    elif rep.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
        longrepr = rep.longrepr
        record["message"] = redact(str(longrepr[2]) if isinstance(longrepr, tuple) else
                                   str(longrepr))
    return record


def user_not_run(nodeid: str) -> dict[str, Any]:
    return _test_record(nodeid, NOT_RUN, "not run: the session stopped before this test")


def _test_record(nodeid: str, outcome: str, message: str) -> dict[str, Any]:
    return {"id": nodeid, "requirement": None, "parameter": None, "title": nodeid,
            "outcome": outcome, "reason": None, "message": message, "remediation": "",
            "evidence": {}, "seed": None, "duration_s": 0.0, "kind": "test"}


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "failed"


def tally(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        counts[record["outcome"]] += 1
    return counts


def build(info: RunInfo, records: list[dict[str, Any]], tool_version: str) -> dict[str, Any]:
    summary = tally(records)
    return {
        "schema": SCHEMA,
        "tool": {"name": "connector-checks", "version": tool_version},
        "run_id": info.run_id,
        "connector": info.connector,
        "name": info.label,
        "profile": info.profile,
        "layers": findings.layers(info.layers),
        "target": info.target,
        "mode": info.mode,
        "scenario": info.scenario,
        "started_at": info.started_at.isoformat(timespec="seconds"),
        "observed_at": (info.observed_at or info.started_at).isoformat(timespec="seconds"),
        "duration_s": round(info.duration_s, 3),
        "interrupted": info.interrupted,
        "environment": {"python": platform.python_version(), "platform": sys.platform,
                        "proxy": info.proxy},
        "vantage": info.vantage,
        "replay_of": info.replay_of,
        "pinged_webhooks": info.pinged_webhooks,
        "summary": summary,
        "verdict": gate.decide(summary, info.interrupted, info.fail_on),
        "checks": records,
        "probes": info.probes,
    }


JUNIT_BATCH = 256  # testcases serialized at once: a call per case costs more than the XML


def junit(info: RunInfo, records: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    """JUnit XML for one connector: a testcase per check, the verdict in its properties.
    The records are the JSON report's, which has passed the redactor. Serialized a batch of
    testcases at a time: thousands of checks never make one tree."""
    counts = tally(records)
    # Under --fail-on warning a warning fails the run: JUnit counts it as the failure it is.
    gated_warnings = counts["warning"] if info.fail_on == "warning" else 0
    suites = ET.Element("testsuites", name="connector-checks")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"connector-checks {info.label}" + (
            f" ({info.connector})" if info.label != info.connector else ""),
        "tests": str(len(records)),
        "failures": str(counts["failed"] + gated_warnings), "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts[NOT_RUN]), "time": f"{info.duration_s:.3f}",
        "timestamp": info.started_at.isoformat(timespec="seconds")})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target", info.target), ("mode", info.mode),
                        ("scenario", info.scenario or ""), ("run_id", info.run_id),
                        ("verdict", gate.decide(counts, info.interrupted, info.fail_on)["verdict"]),
                        ("fail_on", info.fail_on),
                        ("interrupted", str(info.interrupted).lower())):
        ET.SubElement(properties, "property", name=name, value=xml(value))
    ET.indent(suites)
    head, tail = ET.tostring(suites, encoding="unicode").rsplit("\n  </testsuite>", 1)
    yield "<?xml version='1.0' encoding='utf-8'?>\n" + head
    for start in range(0, len(records), JUNIT_BATCH):
        batch = ET.Element("batch")
        batch.extend(_testcase(info, record) for record in records[start:start + JUNIT_BATCH])
        ET.indent(batch, level=1)  # its testcases at the testsuite's children's depth
        yield ET.tostring(batch, encoding="unicode").removeprefix("<batch>").removesuffix(
            "\n  </batch>")
    yield "\n  </testsuite>" + tail + "\n"


def _testcase(info: RunInfo, record: Mapping[str, Any]) -> ET.Element:
    """One check as a testcase; every string passes :func:`~checks.model.text.xml`, so what a
    server said (a control character in a login) cannot make the file invalid XML."""
    case = ET.Element("testcase", classname=xml(info.label), name=xml(record["id"]),
                      time=f"{record['duration_s']:.3f}")
    # A failure message a reader sees first: the reason code, or the outcome for a test.
    shown = ET.SubElement(case, "properties")
    for name in ("requirement", "outcome", "reason", "vendor_code"):
        if record.get(name):
            ET.SubElement(shown, "property", name=name, value=xml(str(record[name])))
    text = xml(f"{record['message']}\nfix: {record['remediation']}\n"
               f"evidence: {json.dumps(record['evidence'], default=str)}")
    message = xml(f"{record['reason'] or record['outcome']}: {record['message']}")
    kind = xml(str(record["reason"] or record["outcome"]))
    if record["outcome"] == "failed" or (record["outcome"] == "warning"
                                         and info.fail_on == "warning"):
        ET.SubElement(case, "failure", message=message, type=kind).text = text
    elif record["outcome"] == "error":
        ET.SubElement(case, "error", message=message, type=kind).text = text
    elif record["outcome"] in ("skipped", NOT_RUN):
        ET.SubElement(case, "skipped", message=message)
    elif record["outcome"] == "warning":
        ET.SubElement(case, "system-out").text = f"WARNING {text}"
    return case


def write_text(path: Path, text: str | Iterable[str]) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename, so
    a reader never sees half a report. The text may come in pieces, written as they come."""
    staged = Staged()
    try:
        staged.add(path, text)
        staged.commit()
    except BaseException:
        staged.discard()
        raise


READABLE = 0o644  # a report is read by others: a CI's artifact upload, a web server


class Staged:
    """A run's files written as one set: each into a temporary file beside its place, and
    only when every one of them is whole (the disk had room for all), renamed into place
    together, under a lock on each folder, so that two runs writing into one folder never
    leave files of both side by side. A failure before the renames leaves every earlier file
    as it was. The renames go JSON last: a reader that sees this run's JSON sees its set.
    A reader that must never see a set in the making takes the same lock (``flock`` on the
    folder, shared)."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []  # (temporary, final)
        self.written: list[Path] = []

    def add(self, path: Path, text: str | Iterable[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
        self._files.append((Path(temporary), path))
        os.fchmod(handle, READABLE)  # as any report: mkstemp makes it the owner's alone
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            if isinstance(text, str):
                file.write(text)
            else:
                file.writelines(text)
            file.flush()
            os.fsync(file.fileno())

    def commit(self) -> None:
        """Rename every file into place; OSError before any rename when one cannot be."""
        for _, path in self._files:
            if path.is_dir():
                raise IsADirectoryError(21, f"{path.name} is a folder", str(path))
        order = sorted(self._files, key=lambda pair: pair[1].suffix == ".json")
        with _locked({path.parent for _, path in order}):
            for temporary, path in order:
                os.replace(temporary, path)
                self.written.append(path)
        self._files = []

    def discard(self) -> None:
        for temporary, _ in self._files:
            temporary.unlink(missing_ok=True)
        self._files = []


@contextlib.contextmanager
def _locked(folders: Iterable[Path]) -> Iterator[None]:
    """An exclusive flock on each folder (in a fixed order), for as long as the renames take."""
    handles = []
    try:
        for folder in sorted(folders):
            handle = os.open(folder, os.O_RDONLY)
            handles.append(handle)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            os.close(handle)  # closing releases the lock


def files(folder: Path, connector: str, subfolder: str = "") -> list[Path]:
    """A run's three reports: REPORT_DIR/CONNECTOR.*, or a fleet target's in
    REPORT_DIR/TARGET/CONNECTOR.*"""
    where = folder / subfolder if subfolder else folder
    return [where / f"{connector}.{kind}" for kind in ("html", "junit.xml", "json")]


def json_lines(document: Mapping[str, Any]) -> Iterator[str]:
    """The JSON report's text: indented, except that each check and each probe takes one
    line. A large run has thousands of them: a line each keeps the file readable with grep,
    its writing in the C encoder (indenting everything is not) and its text never whole."""
    last = len(document) - 1
    yield "{\n"
    for n, (key, value) in enumerate(document.items()):
        comma = ",\n" if n < last else "\n"
        if key in ("checks", "probes") and value:
            yield f"  {json_line(key)}: [\n"
            yield from (f"    {json_line(item)},\n" for item in value[:-1])
            yield f"    {json_line(value[-1])}\n  ]{comma}"
        else:
            rendered = json.dumps(value, indent=2, default=str, ensure_ascii=False)
            yield f"  {json_line(key)}: {rendered.replace(chr(10), chr(10) + '  ')}{comma}"
    yield "}\n"


def write_all(staged: Staged, folder: Path, document: Mapping[str, Any], info: RunInfo,
              subfolder: str = "") -> list[Path]:
    """The three reports of one connector, all rendered from the same JSON document, which
    has passed the redactor (output.document), staged to be committed with the run's set."""
    html_path, junit_path, json_path = files(folder, info.connector, subfolder)
    staged.add(json_path, json_lines(document))
    staged.add(junit_path, junit(info, document["checks"]))
    staged.add(html_path, html_page.render(document))
    return [html_path, junit_path, json_path]


def failure_text(check: Check) -> str:
    """What a failed or warned check says: requirement, what was seen, the fix, the source."""
    verdict = check.verdict
    lines = [f"{check.id}: {check.requirement.title}",
             f"  {verdict.outcome.value.upper()} ({verdict.reason}): {verdict.message}",
             f"  fix: {verdict.remediation}",
             f"  required by: {check.requirement.seed}"]
    lines += [f"  {one_line(str(key))}: {_short(value)}"
              for key, value in verdict.evidence.items()]
    return "\n".join(lines)


LIST_ALL_UP_TO = 40  # larger runs list what did not pass, and count the passes


def summary_lines(records: Iterable[Mapping[str, Any]], every: bool) -> list[str]:
    """The terminal summary: a line per check (with its fix when it failed or warned), or,
    for a large run, a line per check that did not pass and a count of passes by requirement."""
    lines: list[str] = []
    passes: dict[str, int] = {}
    for record in records:
        outcome = record["outcome"]
        if outcome == "passed" and not every:
            key = record["requirement"] or "your tests"
            passes[key] = passes.get(key, 0) + 1
            continue
        # Each line on the terminal is one line, whatever a server said (no escape sequence,
        # no carriage return, no line that starts a workflow command).
        lines.append(one_line(f"{outcome.upper():8} {record['id']}  {record['message']}"))
        if outcome in ("failed", "warning") and record["remediation"]:
            lines.append(one_line(f"{'':8} fix: {record['remediation']}"))
    lines += [one_line(f"PASSED   {requirement}: {n} check{'s' * (n > 1)} (-v lists them)")
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
    return one_line(text if len(text) <= limit else text[:limit] + "…")


def count(records: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in tally(records).items() if n)
