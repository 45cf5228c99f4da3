"""The HTML report: one self-contained page rendered from the JSON report with a Jinja2
template. Inline CSS and SVG, no script, no external URL: it reads the same with JavaScript
off, in a ticket tool's preview, and printed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from itertools import groupby
from typing import Any

import jinja2

LAYERS = (("dns", "DNS"), ("tcp", "Network"), ("tls", "TLS"), ("api", "API"),
          ("github", "API"), ("auth", "Credentials"), ("oauth", "Credentials"),
          ("scopes", "Scopes and permissions"), ("app", "GitHub App"),
          ("org", "Organization"))
FOLD_PASSES_OVER = 8  # a group shows its passes one by one up to this many, else folds them
WATERFALL_ROWS = 60


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("checks", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("report.html.j2")


def verdict(summary: Mapping[str, int], interrupted: bool) -> tuple[str, str]:
    """The run's verdict in words, and its colour class."""
    if interrupted or summary.get("not_run"):
        return "incomplete", "notrun"
    if summary.get("failed") or summary.get("error"):
        return "not ready", "failed"
    if summary.get("warning"):
        return "ready with warnings", "warning"
    return "ready", "passed"


def groups(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records grouped by layer, in the order a connection is made; user tests last. Each
    group: its name, the records to show, and the passes folded away."""
    names = dict(LAYERS)
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        category = str(record.get("requirement") or "").split(".")[0]
        name = names.get(category, "Your tests" if record.get("kind") == "test" else "Other")
        grouped.setdefault(name, []).append(record)
    order = [*dict.fromkeys(name for _, name in LAYERS), "Other", "Your tests"]
    shown = []
    for name in (n for n in order if n in grouped):
        members = grouped[name]
        passes = [r for r in members if r["outcome"] == "passed"]
        fold = len(passes) > FOLD_PASSES_OVER
        shown.append({"name": name, "records": [r for r in members if not fold
                                                or r["outcome"] != "passed"],
                      "folded": passes if fold else [], "counts": _counts(members)})
    return shown


def _counts(records: Sequence[Mapping[str, Any]]) -> str:
    tally: dict[str, int] = {}
    for record in records:
        tally[record["outcome"]] = tally.get(record["outcome"], 0) + 1
    return ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in tally.items())


def fix_first(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The root causes, in the order a connection is made (the report's order): checks that
    failed, broke or warned on their own account, never a skip. Causes of one requirement
    with one reason are one line: five missing scopes are one instruction."""
    causes = [r for r in records if r["outcome"] in ("failed", "error", "warning")]
    lines = []
    for (requirement, reason), same in groupby(causes, key=lambda r: (r["requirement"],
                                                                      r["reason"])):
        members = list(same)
        first = members[0]
        if len(members) == 1:
            lines.append({"outcome": first["outcome"], "title": first["id"],
                          "message": first["message"], "fix": first["remediation"]})
            continue
        lines.append({"outcome": first["outcome"],
                      "title": f"{len(members)} × {requirement} ({reason})",
                      "message": f"{first['title']}: not met for "
                                 f"{', '.join(str(r['parameter']) for r in members)}",
                      "fix": first.get("requirement_fix") or first["remediation"]})
    return lines


def chains(records: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The certificate chain of each TLS check that saw one, laid out to be drawn: each
    certificate's validity as a bar against the run's time, and where the chain breaks."""
    drawn = []
    for record in records:
        chain = record.get("evidence", {}).get("chain")
        if record.get("requirement") != "tls.public_ca" or not chain:
            continue
        starts = [_time(c["not_before"]) for c in chain]
        ends = [_time(c["not_after"]) for c in chain]
        low, high = min([*starts, now]), max([*ends, now])
        span = (high - low).total_seconds() or 1.0

        def x(moment: datetime, low: datetime = low, span: float = span) -> float:
            return round(40 + 560 * (moment - low).total_seconds() / span, 1)

        boxes = []
        for n, (cert, start, end) in enumerate(zip(chain, starts, ends, strict=True)):
            current = start <= now <= end
            boxes.append({"y": 10 + n * 74, "subject": cert["subject"], "issuer": cert["issuer"],
                          "key": cert["key"], "x1": x(start), "x2": x(end), "current": current,
                          "dates": f"{cert['not_before'][:10]} → {cert['not_after'][:10]}"})
        breaks = None if record["outcome"] == "passed" else f"{record['reason']}"
        drawn.append({"id": record["id"], "boxes": boxes, "today": x(now),
                      "height": 20 + len(chain) * 74 + (36 if breaks else 0), "breaks": breaks,
                      "anchor": record.get("evidence", {}).get("anchor", "no trusted root")})
    return drawn


def waterfall(probes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run's probes as bars on one time axis, from their real start and duration."""
    timed = [p for p in probes if "started_s" in p]
    end = max((p["started_s"] + p["elapsed_s"] for p in timed), default=0.0) or 1.0
    rows = []
    for n, probe in enumerate(timed[:WATERFALL_ROWS]):
        rows.append({"y": 8 + n * 18, "label": f"{probe['kind']} {probe['target']}"[:70],
                     "x": round(300 + 380 * probe["started_s"] / end, 1),
                     "width": max(1.5, round(380 * probe["elapsed_s"] / end, 1)),
                     "kind": probe["kind"], "result": probe["result"],
                     "ms": round(probe["elapsed_s"] * 1000)})
    return {"rows": rows, "height": 30 + len(rows) * 18, "end_ms": round(end * 1000),
            "more": max(0, len(timed) - WATERFALL_ROWS)}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def render(document: Mapping[str, Any]) -> str:
    records = list(document["checks"])
    words, tone = verdict(document["summary"], document.get("interrupted", False))
    now = _time(document.get("observed_at") or document["started_at"])
    return _template().render(doc=document, verdict=words, tone=tone, groups=groups(records),
                              fix_first=fix_first(records), chains=chains(records, now),
                              waterfall=waterfall(document.get("probes", [])))
