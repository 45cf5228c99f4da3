"""The HTML report: one self-contained page rendered from the JSON report with a Jinja2
template. Inline CSS, no script, no external URL: it reads the same with JavaScript off, in a
ticket tool's preview, and printed."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

LAYERS = (("dns", "DNS"), ("tcp", "Network"), ("tls", "TLS"), ("api", "API"),
          ("auth", "Credentials"), ("oauth", "Credentials"), ("app", "GitHub App"),
          ("scopes", "Scopes and permissions"), ("org", "Organization"))


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


def groups(records: list[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Records grouped by layer, in the order a connection is made; user tests last."""
    names = dict(LAYERS)
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        category = str(record.get("requirement") or "").split(".")[0]
        grouped.setdefault(names.get(category, "Your tests" if record.get("kind") == "test"
                                     else "Other"), []).append(record)
    order = [*dict.fromkeys(name for _, name in LAYERS), "Other", "Your tests"]
    return [(name, grouped[name]) for name in order if name in grouped]


def fix_first(records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The root causes: checks that failed or warned on their own account (not skips)."""
    return [r for r in records if r["outcome"] in ("failed", "error", "warning")]


def render(document: Mapping[str, Any]) -> str:
    records = list(document["checks"])
    words, tone = verdict(document["summary"], document.get("interrupted", False))
    return _template().render(doc=document, verdict=words, tone=tone, groups=groups(records),
                              fix_first=fix_first(records))
