"""Writes the generated reference pages (run: python -m tools.docs)."""

from __future__ import annotations

from pathlib import Path

from checks.connectors import bundled_profile_names, connectors, load_profile
from checks.reasons import reference_page

DOCS = Path(__file__).resolve().parent.parent / "docs"


def requirements_page() -> str:
    lines = ["# Requirements by connector", "",
             "Each requirement is one check per parameter (`requirement[parameter]`), as the",
             "connector's default profile asks for it and cites it (docs/profiles.md lists the",
             "profiles). Generated from the connector catalogue; do not edit by hand.", ""]
    for connector in connectors():
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
    connectors()  # every connector's reasons are registered as it is loaded
    return reference_page()


PAGES = {"reasons.md": reasons_page, "requirements.md": requirements_page,
         "profiles.md": profiles_page}


def main() -> None:
    for name, page in PAGES.items():
        (DOCS / name).write_text(page(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
