"""Writes the generated reference pages (run: python -m tools.docs)."""

from __future__ import annotations

import sys
from pathlib import Path

from checks.catalogue import Connector
from checks.connectors import bundled_profile_names, connectors, load_profile
from checks.reasons import reference_page

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EVERY = "--all" in sys.argv[1:]  # the connectors of other packages installed here too


def _ours(connector: Connector) -> bool:
    """A connector of this repository (the pages list only those, unless --all)."""
    return EVERY or connector.home.is_relative_to(ROOT / "checks")


def _shown() -> list[Connector]:
    return [connector for connector in connectors() if _ours(connector)]


def requirements_page() -> str:
    lines = ["# Requirements by connector", "",
             "Each requirement is one check per parameter (`requirement[parameter]`), as the",
             "connector's default profile asks for it and cites it (docs/profiles.md lists the",
             "profiles). Generated from the connector catalogue; do not edit by hand.", ""]
    for connector in _shown():
        _, profile = load_profile(connector.default_profile)
        secrets = ", ".join(f"`{s}`" for s in connector.secrets.names())
        lines += [f"## `{connector.name}`: {connector.title}", "",
                  f"Default profile: `{profile.name}` ({profile.guide.vendor}'s guide "
                  f"\"{profile.guide.title}\"). Secrets (environment only): {secrets}.", "",
                  "| requirement | title | needs | fix | required by |", "|---|---|---|---|---|"]
        lines += [f"| `{r.id}` | {r.title} | {r.needs} | {r.remediation} | {r.seed} |"
                  for r in connector.requirements(profile)]
        lines.append("")
    return "\n".join(lines)


def profiles_page() -> str:
    """The bundled profiles, and how to write one (the text around them is docs/profiles.in.md)."""
    rows = ["| profile | connector | vendor's guide | asks for | vendor codes |",
            "|---|---|---|---|---|"]
    for name in bundled_profile_names():
        connector, profile = load_profile(name)
        if not _ours(connector):
            continue
        asks = (", ".join(profile.scopes) if profile.scopes else
                ", ".join(f"{k}: {v}" for k, v in profile.permissions.items()))
        if profile.org_role:
            asks += f"; organization {profile.org_role}"
        if profile.endpoints:
            asks += f"; endpoints {', '.join(e.name for e in profile.endpoints)}"
        default = " (default)" if connector.default_profile == name else ""
        guide = (f"[{profile.guide.title}]({profile.guide.url})" if profile.guide.url
                 else profile.guide.title)
        codes = ", ".join(sorted(set(profile.vendor_codes.values()))) or "none"
        rows.append(f"| `{name}` | `{connector.name}`{default} | {profile.guide.vendor}: "
                    f"{guide} | {asks} | {codes} |")
    template = (DOCS / "profiles.in.md").read_text(encoding="utf-8")
    return template.replace("{{ bundled }}", "\n".join(rows))


def reasons_page() -> str:
    others = tuple(c.name for c in connectors() if not _ours(c))  # loading registers reasons
    return reference_page(leave_out=others)


PAGES = {"reasons.md": reasons_page, "requirements.md": requirements_page,
         "profiles.md": profiles_page}


def main() -> None:
    for name, page in PAGES.items():
        (DOCS / name).write_text(page(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
