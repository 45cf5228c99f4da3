"""Writes the generated reference pages (run: python -m tools.docs)."""

from __future__ import annotations

from pathlib import Path

from checks.connectors import connector_names, get_connector
from checks.reasons import reference_page

DOCS = Path(__file__).resolve().parent.parent / "docs"


def requirements_page() -> str:
    lines = ["# Requirements by connector", "",
             "Each requirement is one check per parameter (`requirement[parameter]`).",
             "Generated from the connector catalogue; do not edit by hand.", ""]
    for name in connector_names():
        connector = get_connector(name)
        secrets = ", ".join(f"`{s}`" for s in connector.secrets.names())
        lines += [f"## `{name}`: {connector.title}", "",
                  f"Source: {connector.seed}. Secrets (environment only): {secrets}.", "",
                  "| requirement | title | needs | fix | required by |", "|---|---|---|---|---|"]
        lines += [f"| `{r.id}` | {r.title} | {r.needs} | {r.remediation} | {r.seed} |"
                  for r in connector.requirements]
        lines.append("")
    return "\n".join(lines)


PAGES = {"reasons.md": reference_page, "requirements.md": requirements_page}


def main() -> None:
    for name, page in PAGES.items():
        (DOCS / name).write_text(page(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
