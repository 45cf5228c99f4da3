"""What a run leaves behind besides its reports: the recording (--record) and the bundle to
attach to a ticket (--bundle). Plain code; the plugin calls it once the session ends."""

from __future__ import annotations

import io
import json
import shlex
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checks import gate
from checks.compare import changes, comparable
from checks.jobs import Job, Result
from checks.model.secret import Redactor
from checks.report import RunInfo, Staged, build, tally
from checks.settings import Settings


@dataclass
class Written:
    reports: list[Path] = field(default_factory=list)
    recordings: dict[str, str] = field(default_factory=dict)  # file name -> scenario JSON


def run_info(job: Job, result: Result | None, started: datetime, run_id: str,
             interrupted: bool, fail_on: str = "failed", pinged: bool = False) -> RunInfo:
    """What a report says about its run; a run interrupted while probing has no result."""
    return RunInfo(
        connector=job.connector.name, target=job.target.url, mode=job.mode,
        scenario=job.scenario.name if job.scenario else None,
        started_at=result.started_at if result else started,
        duration_s=result.duration_s if result else 0.0,
        proxy=result.proxy if result else "", probes=result.probes if result else [],
        interrupted=interrupted, run_id=run_id,
        vantage=result.vantage.as_data() if result else None,
        replay_of=result.replay_of if result else None,
        observed_at=result.observed_at if result else None, fail_on=fail_on,
        profile=_profile_summary(job, result), layers=dict(job.connector.platform.layers),
        name=job.name, pinged_webhooks=pinged)


def _profile_summary(job: Job, result: Result | None) -> dict[str, Any]:
    """The profile as the report names it, its hosts with {api} read as the API host this
    run checked (its api.reachable check's URL), or the target's host."""
    summary = job.profile.summary()
    api = next((urlsplit(c.parameter).hostname for c in (result.checks if result else ())
                if c.requirement.id == "api.reachable" and urlsplit(c.parameter).hostname),
               None) or urlsplit(job.target.url).hostname or job.target.url
    summary["hosts"] = [host.replace("{api}", api) for host in summary["hosts"]]
    return summary


def document(info: RunInfo, records: Iterable[dict[str, Any]], tool_version: str,
             previous: Mapping[str, Any] | None, redact: Redactor) -> dict[str, Any]:
    """The JSON report of one connector, redacted; with --compare, what changed since the
    previous run of the same connector. Each record is redacted as its JSON text (secrets
    are known in their JSON-escaped forms too) and read back: one pass over a line, not one
    per string in it, and a large run holds neither its report's whole text nor two copies
    of its records (``records`` may be a generator)."""
    checks = [redact.data(record) for record in records]
    # Everything else in one pass too; the checks go in the place build() keeps for them.
    built: dict[str, Any] = redact.data(build(info, [], tool_version))
    built["checks"], built["summary"] = checks, tally(checks)
    built["verdict"] = gate.decide(built["summary"], info.interrupted, info.fail_on)
    if previous is not None and comparable(previous, built) is None:
        built["comparison"] = changes(previous, built)
    return built


def recording_path(settings: Settings, connector: str, jobs: int) -> Path | None:
    """--record PATH, or PATH-CONNECTOR.json when several connectors ran; a fleet's target's
    DIR/TARGET.json (``connector``: the job's name)."""
    path = settings.record
    if path is None or jobs == 1 and settings.fleet is None:
        return path
    if settings.fleet is not None:
        return path / f"{connector}.json"
    return path.with_name(f"{path.stem}-{connector}{path.suffix}")


def write_recording(staged: Staged, settings: Settings, result: Result, jobs: int,
                    tool_version: str, redact: Redactor) -> dict[str, str]:
    """The live run as a scenario: staged for --record, and kept for --bundle."""
    scenario = result.job.scenario
    if scenario is not None:  # a replay is not recorded again: its bundle holds the scenario
        if settings.bundle is None:
            return {}
        # A fleet's targets may replay scenarios of one name: each is kept under its target's.
        kept = f"{result.job.name}.json" if settings.fleet is not None else \
            f"{scenario.name}.json"
        return {kept: Path(scenario.source).read_text(encoding="utf-8")}
    if settings.record is None and settings.bundle is None:
        return {}
    from checks.recording import record  # only a run that records needs it (and PyJWT)

    connector = result.job.name
    text = json.dumps(record(result, settings, result.vantage, tool_version, redact),
                      indent=2, ensure_ascii=False) + "\n"
    path = recording_path(settings, connector, jobs)
    if path is not None:
        staged.add(path, text)
    return {path.name if path is not None else f"{connector}.json": text}


def write_bundle(path: Path, written: Written, settings: Settings, tool_version: str) -> None:
    """One zip for a ticket: the reports, the recordings, and how to replay them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in written.reports:  # a fleet's targets' in reports/TARGET/
            inside = file.relative_to(settings.report_dir) if file.is_relative_to(
                settings.report_dir) else Path(file.name)
            archive.write(file, f"reports/{inside.as_posix()}")
        for name, text in written.recordings.items():
            archive.writestr(f"recordings/{name}", text)
        archive.writestr("README.txt", _readme(written, tool_version))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(path)


def replay_command(connector: str, recording: str, runner: str = "python3 -m pytest") -> str:
    """The command that replays a recording from the folder it is in (a bundle unzipped, or
    where --record wrote it), touching nothing outside it: its reports go to replayed/, not
    over the bundle's, no pytest cache, no configuration of a folder above; run by a Python
    that has connector-checks installed (``runner``; a bundle's reader has their own), not
    whichever pytest is first on PATH."""
    return (f"{runner} -p no:cacheprovider --rootdir=. --connector {connector} --offline "
            f"{shlex.quote(f'--scenario={recording}')} --report-dir=replayed")


def _readme(written: Written, tool_version: str) -> str:
    lines = [f"connector-checks {tool_version}: a run to attach to a support ticket.", "",
             "reports/    the HTML page (open it in a browser), JUnit XML and JSON reports",
             "recordings/ the run as it was observed (or the scenario an offline run "
             "replayed), secrets removed", "",
             "Replay it from this folder (no network is used; the verdicts are the same;",
             "the replay's reports go to replayed/, beside these):", ""]
    for name, text in written.recordings.items():
        lines.append("    " + replay_command(json.loads(text)["connector"],
                                             f"recordings/{name}"))
    lines += ["", "(with connector-checks installed: pip install connector-checks; the pytest "
                  "plugin registers itself)", ""]
    return "\n".join(lines)
