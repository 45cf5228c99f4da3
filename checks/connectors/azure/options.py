"""azure-devops's own options (read by pytest --help before any connector loads)."""

from __future__ import annotations

import re

from checks.options import Option


def _project(text: str) -> str:
    if not re.fullmatch(r"[^\\/:*?\"<>;#$*{},+=\[\]|\x00-\x1f]{1,64}", text) or \
            text.startswith((".", "_")) or text.endswith("."):
        raise ValueError(f"{text[:60]!r} is not an Azure DevOps project name")
    return text


OPTIONS = (Option("--azure-devops-project", "the project the vendor reads (each scope is "
                  "proven by a request in it)", metavar="NAME", parse=_project),)
