"""The connector-checks command: reports compared outside a pytest run.

    connector-checks diff A.json B.json        what changed from run A to run B
    connector-checks merge A.json B.json ...   one report with a column per run
    connector-checks merge S1/fleet.json ...    a fleet's shards as one fleet (its page, JSON)

Exit codes: 0 done (diff: nothing newly failing), 1 (diff) a check newly fails (under the
later run's --fail-on), 4 an input cannot be used (unreadable, not a report, reports of
different connectors or targets to diff, one report to merge, the same run twice).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checks import __version__
from checks.compare import DuplicateRun, change_lines, changes, comparable, merge
from checks.html_page import render_merge
from checks.report import write_text

USAGE = 4  # as pytest's usage errors: never 1, which diff gives for "newly failing"


class Unusable(Exception):
    """An input that cannot be used: its message is the one line printed."""


def _report(path_text: str) -> tuple[str, dict[str, Any]]:
    path = Path(path_text)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Unusable(f"{path_text} cannot be read as a JSON report: "
                       f"{getattr(error, 'strerror', None) or error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        raise Unusable(f"{path_text} is not a connector-checks JSON report")
    return str(path), document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="connector-checks", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"connector-checks {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser("diff", help="what changed from run A to run B")
    diff.add_argument("before")
    diff.add_argument("after")
    joined = commands.add_parser("merge", help="one report with a column per vantage point")
    joined.add_argument("reports", nargs="+")
    joined.add_argument("--out", default="merged", help="folder for merged.json and merged.html")
    arguments = parser.parse_args(argv)
    try:
        return _run(arguments)
    except (Unusable, DuplicateRun) as error:
        print(f"connector-checks: {error}", file=sys.stderr)
        return USAGE


def _run(arguments: argparse.Namespace) -> int:
    if arguments.command == "diff":
        (_, before), (_, after) = _report(arguments.before), _report(arguments.after)
        problem = comparable(before, after)
        if problem is not None:
            raise Unusable(problem)
        change = changes(before, after)
        print("\n".join(change_lines(change)))
        return 1 if change["newly_failing"] else 0
    fleets = [_fleet_report(path) for path in arguments.reports]
    if any(f is not None for f in fleets):
        return _merge_fleet(arguments, fleets)
    if len(arguments.reports) < 2:
        raise Unusable("merge needs two reports or more (one per run, e.g. one per vantage "
                       "point); to read one report, open its HTML page")
    documents = [_report(path) for path in arguments.reports]
    merged = merge(documents)
    folder = Path(arguments.out)
    write_text(folder / "merged.json", json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    write_text(folder / "merged.html", render_merge(merged))
    for column in merged["columns"]:
        print(f"{column['label']}: {column['words']} ({column['file']})")
    for check in merged["differs"]:
        print(f"DIFFERS  {check}")
    print(f"{len(merged['differs'])} of {len(merged['rows'])} checks differ between "
          f"{len(merged['columns'])} runs; wrote {folder}/merged.html and merged.json")
    return 0


def _fleet_report(path_text: str) -> tuple[str, dict[str, Any]] | None:
    """A fleet JSON (a shard's), or None for any other file."""
    from checks.fleet import SCHEMA

    try:
        document = json.loads(Path(path_text).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(document, dict) and document.get("schema") == SCHEMA and \
            isinstance(document.get("targets"), list):
        return path_text, document
    return None


def _merge_fleet(arguments: argparse.Namespace,
                 fleets: list[tuple[str, dict[str, Any]] | None]) -> int:
    """The shards of a fleet run as one: the fleet page and JSON of one unsharded run; exit
    code the fleet's verdict's (1 not ready, 2 a shard missing, 0 ready)."""
    from checks.fleet import Unmergeable
    from checks.fleet_outputs import merge_into

    given = [f for f in fleets if f is not None]
    if len(given) != len(fleets):
        other = arguments.reports[fleets.index(None)]
        raise Unusable(f"{other} is not a fleet JSON report: merge fleet.json files of one "
                       f"fleet's shards, or reports of single runs, not both")
    folder = Path(arguments.out)
    try:
        merged = merge_into(folder, given)
    except Unmergeable as error:
        raise Unusable(str(error)) from None
    for row in merged["targets"]:
        print(f"{row['verdict']['words'].upper():<20} {row['name']} ({row['connector']})")
    for name in merged["missing"]:
        print(f"NOT CHECKED          {name} (its shard's fleet.json was not given)")
    verdict = merged["verdict"]
    print(f"fleet verdict: {verdict['words']}; {len(merged['targets'])} targets from "
          f"{len(merged['shards'])} shards; wrote {folder}/fleet.html and fleet.json")
    return int(verdict["exit_code"]) if verdict["exit_code"] in (0, 1, 2) else 1


if __name__ == "__main__":
    sys.exit(main())
