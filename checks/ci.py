"""What a CI system shows of a run: GitHub Actions workflow commands for each root cause, and
a Markdown job summary. Made from the JSON report, which has passed the redactor.

https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks import gate
from checks.findings import fix_first, groups
from checks.model.text import one_line

EXIT_CODES = (
    (0, "ready: every selected check passed or only warned (with --fail-on warning: passed)"),
    (1, "not ready: a requirement failed (or, with --fail-on warning, warned)"),
    (2, "interrupted (Ctrl-C): the reports say what was checked, marked interrupted"),
    (3, "internal error, or the reports could not be written"),
    (4, "usage error: one line says which option, variable or file is wrong"),
    (5, "no checks: every check was deselected (-k, -m, --lf)"),
)


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF would end or change the command (GitHub's
    own escapes); any other character that ends a line or moves the cursor is shown as its
    escape (checks.model.text), so the command stays one line whatever a server said."""
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A workflow command's property (title=...): also : and , which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(document: Mapping[str, Any]) -> list[str]:
    """An ::error (failed, broke) or ::warning per root cause, with its fix."""
    commands = []
    under = gate.of(document)["gate"]
    for line in fix_first(document["checks"]):
        level = "error" if gate.gated(line["outcome"], under) else "warning"
        title = f"connector-checks {label(document)}: {line['title']}"
        message = line["message"] + (f" Fix: {line['fix']}" if line["fix"] else "")
        commands.append(f"::{level} title={escape_property(title)}::{escape_data(message)}")
    return commands


def label(document: Mapping[str, Any]) -> str:
    """A report's run as CI names it: the connector, or a fleet's target and its connector."""
    name, connector = document.get("name") or document["connector"], document["connector"]
    return connector if name == connector else f"{name} ({connector})"


def fleet_summary(fleet: Mapping[str, Any]) -> str:
    """A fleet's job summary: its verdict, then a row per target with the first requirement
    that did not pass and its fix."""
    verdict = fleet["verdict"]
    lines = [f"## connector-checks fleet {_cell(fleet['fleet'])}: {verdict['words']}", "",
             f"{len(fleet['targets'])} targets · " + ", ".join(
                 f"{n} {gate.VERDICTS[code][0]}" for code, n in fleet["tally"].items()), "",
             "| target | connector | verdict | first requirement that did not pass | fix |",
             "|---|---|---|---|---|"]
    for row in fleet["targets"]:
        first = row["first_failure"]
        said = (f"`{_cell(first['id'])}` {first['reason'] or first['outcome']}"
                + (f" (vendor code {_cell(first['vendor_code'])})" if first.get("vendor_code")
                   else "") + f": {_cell(first['message'])}") if first else ""
        lines.append(f"| {_cell(row['name'])} | {row['connector']} | {row['verdict']['words']} "
                     f"| {said} | {_cell(first['remediation']) if first else ''} |")
    return "\n".join(lines) + "\n\n"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def step_summary(document: Mapping[str, Any]) -> str:
    """The job summary in Markdown: verdict, fix first, counts, a table per layer."""
    decided = gate.of(document)
    words = decided["words"] + (" (--fail-on warning)" if decided["gate"] == "warning" else "")
    counts = ", ".join(f"{n} {name.replace('_', ' ')}"
                       for name, n in document["summary"].items() if n)
    mode = (f"offline scenario {document['scenario']}" if document["mode"] == "offline"
            else "live")
    lines = [f"## connector-checks {label(document)}: {words}", "",
             f"`{document['target']}` ({mode}) · {counts} · run {document['run_id']}", ""]
    causes = fix_first(document["checks"])
    if causes:
        lines += ["### Fix first", ""]
        lines += [f"{n}. **{_cell(c['title'])}**: {_cell(c['message'])}"
                  + (f" Fix: {_cell(c['fix'])}" if c["fix"] else "")
                  for n, c in enumerate(causes, 1)]
        lines.append("")
    lines += ["| layer | check | outcome | reason | message |", "|---|---|---|---|---|"]
    for group in groups(document["checks"], document.get("layers")):
        for record in group["records"]:
            lines.append(f"| {group['name']} | `{_cell(record['id'])}` | {record['outcome']} | "
                         f"{record['reason'] or ''} | {_cell(record['message'])} |")
        for skip in group["skips"]:
            lines.append(f"| {group['name']} | {skip['count']} checks | skipped | "
                         f"prerequisite.failed | {_cell(skip['message'])} |")
        if group["folded"]:
            lines.append(f"| {group['name']} | {len(group['folded'])} more | passed | | |")
    return "\n".join(lines) + "\n\n"
