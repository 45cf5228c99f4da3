"""The HTML report: one self-contained page rendered from the JSON report with a Jinja2
template. Inline CSS and SVG, no script, no external URL: it reads the same with JavaScript
off, in a ticket tool's preview, and printed."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from checks import __version__, gate
from checks.findings import fix_first, groups

WATERFALL_ROWS = 60


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("checks", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        bytecode_cache=_compiled())


def _compiled() -> jinja2.BytecodeCache | None:
    """The templates compiled once per machine and version, in the user's cache folder
    (Jinja2 checks each against its source), not on every run; none where that folder cannot
    be written (compiled each run, as before)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "connector-checks" / f"templates-{__version__}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = folder / ".written"
        probe.touch()
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _template() -> jinja2.Template:
    return environment().get_template("report.html.j2")


def fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word (or name part) boundary with an
    ellipsis, never mid-word; the page gives the whole text as the element's title."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    boundary = max(cut.rfind(" "), cut.rfind(","), cut.rfind("/"))
    return (cut[:boundary] if boundary > limit // 2 else cut).rstrip(" ,/") + "…"


CHAIN_TOP = 22  # a band above the boxes for the "checked" label: the line never crosses text


def chains(records: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The certificate chain of each TLS check that saw one, laid out to be drawn: each
    certificate's validity as a bar against the run's time, and where the chain breaks (a
    failure) or what it warns of (a warning, drawn as one)."""
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
            issuer = f"issued by {cert['issuer']} · {cert['key']}"
            boxes.append({"y": CHAIN_TOP + n * 74, "subject": fit(cert["subject"], 80),
                          "subject_full": cert["subject"], "issuer": fit(issuer, 90),
                          "issuer_full": issuer, "x1": x(start), "x2": x(end),
                          "current": current,
                          "dates": f"{cert['not_before'][:10]} → {cert['not_after'][:10]}"})
        outcome = record["outcome"]
        note = None if outcome == "passed" else (
            f"⚠ the chain warns: {record['reason']}" if outcome == "warning"
            else f"✗ the chain breaks here: {record['reason']}")
        anchor = f"anchor: {record.get('evidence', {}).get('anchor', 'no trusted root')}"
        drawn.append({"id": record["id"], "boxes": boxes, "today": x(now),
                      "height": CHAIN_TOP + 10 + len(chain) * 74 + (36 if note else 0),
                      "note": note, "tone": "warning" if outcome == "warning" else "failed",
                      "anchor": fit(anchor, 100), "anchor_full": anchor})
    return drawn


def deliveries(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each webhook check's recent deliveries (its evidence), oldest first, laid out as a
    strip of marks: one per delivery, coloured by its outcome."""
    drawn = []
    for record in records:
        found = (record.get("evidence") or {}).get("deliveries")
        if not isinstance(found, list) or not found:
            continue
        rows = [{"at": str(d.get("at", "")), "event": str(d.get("event", "")),
                 "status": str(d.get("status", "")), "status_code": d.get("status_code"),
                 "ok": d.get("outcome") == "ok"} for d in reversed(found[:40])
                if isinstance(d, dict)]
        step = min(20.0, 600 / max(1, len(rows)))
        for n, row in enumerate(rows):
            row["x"] = round(12 + n * step, 1)
        drawn.append({"id": record["id"], "rows": rows,
                      "failed": sum(1 for r in rows if not r["ok"])})
    return drawn


WATERFALL_BARS = (4, 620)  # the bars' span; their durations have the column to the right
WATERFALL_ROW = 30  # each probe: its label on a line of its own, over the whole width, then its bar
WATERFALL_LABEL = 118  # characters of a label shown (the page's width); the whole in its title


def waterfall(probes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run's probes as bars on one time axis, from their start and duration (a replay's,
    as recorded); each label on a line of its own above its bar, so a long URL is shown
    whole, and each duration in a column of its own, so no label overlaps a bar."""
    timed = [p for p in probes if "started_s" in p]
    end = max((p["started_s"] + p["elapsed_s"] for p in timed), default=0.0) or 1.0
    left, right = WATERFALL_BARS
    width = right - left
    rows = []
    for n, probe in enumerate(timed[:WATERFALL_ROWS]):
        label = f"{probe['kind']} {probe['target']}"
        y = 8 + n * WATERFALL_ROW
        rows.append({"y": y, "bar_y": y + 14, "label": fit(label, WATERFALL_LABEL),
                     "label_full": label,
                     "x": round(left + width * probe["started_s"] / end, 1),
                     "width": max(1.5, round(width * probe["elapsed_s"] / end, 1)),
                     "kind": probe["kind"], "result": probe["result"],
                     "ms": _ms(probe["elapsed_s"]), "label_x": right + 6})
    return {"rows": rows, "height": 16 + len(rows) * WATERFALL_ROW, "end_ms": _ms(end),
            "more": max(0, len(timed) - WATERFALL_ROWS)}


def _ms(seconds: float) -> str:
    """A duration in milliseconds, as precise as it is short: "0.4", "12", "1350"."""
    ms = seconds * 1000
    return f"{ms:.1f}" if 0 < ms < 10 else f"{round(ms)}"


def _gate_note(decided: Mapping[str, Any], summary: Mapping[str, int]) -> str:
    """What the gate did, when --fail-on warning decided or could decide the verdict."""
    if decided.get("gate") != "warning":
        return ""
    warnings = summary.get("warning", 0)
    if decided.get("verdict") == "not_ready" and not summary.get("failed") and \
            not summary.get("error"):
        return (f"made so by --fail-on warning: {warnings} warning{'s' if warnings != 1 else ''} "
                f"fail{'' if warnings != 1 else 's'} the gate; nothing failed")
    return "under --fail-on warning: a warning fails the gate too"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def render(document: Mapping[str, Any]) -> str:
    records = list(document["checks"])
    decided = gate.of(document)
    words, tone = decided["words"], decided["tone"]
    gate_note = _gate_note(decided, document.get("summary", {}))
    now = _time(document.get("observed_at") or document["started_at"])
    return _template().render(doc=document, verdict=words, tone=tone, gate_note=gate_note,
                              groups=groups(records, document.get("layers")),
                              fix_first=fix_first(records), chains=chains(records, now),
                              deliveries=deliveries(records),
                              waterfall=waterfall(document.get("probes", [])))


def render_merge(merged: Mapping[str, Any]) -> str:
    """The page of `connector-checks merge`: a row per check, a column per vantage point."""
    return environment().get_template("merge.html.j2").render(doc=merged)
