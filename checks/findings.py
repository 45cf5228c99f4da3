"""What a reader of a report looks for first, from its records: the root causes to fix (related
ones combined), and the checks grouped by layer. The HTML page, the CI annotations and the
step summary all say the same thing, from here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

# Requirement categories every connector shares, by layer in the order a connection is made;
# a platform adds its own (Platform.layers), written into each report ("layers").
LAYERS = (("dns", "DNS"), ("tcp", "Network"), ("proxy", "Network"), ("tls", "TLS"),
          ("api", "API"), ("auth", "Credentials"), ("scopes", "Scopes and permissions"))
FOLD_PASSES_OVER = 8  # a group shows its passes one by one up to this many, else folds them
FOLD_SKIPS_FROM = 3  # skips of one root cause in a group: one line from this many


def layers(platform: Mapping[str, str] | None = None) -> dict[str, str]:
    """Category -> layer: the shared ones, then a platform's (in the order it lists them)."""
    return {**dict(LAYERS), **(platform or {})}


def groups(records: Sequence[Mapping[str, Any]], named: Mapping[str, str] | None = None
           ) -> list[dict[str, Any]]:
    """Records grouped by layer (``named``: a report's "layers"), in the order a connection
    is made; user tests last. Each group: its name, the records to show, and the passes
    folded away."""
    names = dict(named or layers())
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        # The requirement's category, as the pytest marker has it (a report written before
        # records carried it: the id's first part).
        category = str(record.get("layer") or str(record.get("requirement") or "")
                       .split(".")[0])
        name = names.get(category, "Your tests" if record.get("kind") == "test" else "Other")
        grouped.setdefault(name, []).append(record)
    order = [*dict.fromkeys(names.values()), "Other", "Your tests"]
    shown = []
    for name in (n for n in order if n in grouped):
        members = grouped[name]
        passes = [r for r in members if r["outcome"] == "passed"]
        fold = len(passes) > FOLD_PASSES_OVER
        by_cause: dict[str, list[Mapping[str, Any]]] = {}
        for record in members:
            cause = (record.get("evidence") or {}).get("blocked_by")
            if record["outcome"] == "skipped" and isinstance(cause, str):
                by_cause.setdefault(cause, []).append(record)
        skips = {cause: same for cause, same in by_cause.items() if len(same) >= FOLD_SKIPS_FROM}
        folded_skips = {id(r) for same in skips.values() for r in same}
        shown.append({
            "name": name,
            "records": [r for r in members if id(r) not in folded_skips
                        and (not fold or r["outcome"] != "passed")],
            "folded": passes if fold else [], "counts": _counts(members),
            "skips": [{"count": len(same), "cause": cause, "message": same[0]["message"],
                       "ids": [r["id"] for r in same]} for cause, same in skips.items()]})
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
