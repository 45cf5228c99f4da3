"""bitbucket-dc's own options (read by pytest --help before any connector loads)."""

from __future__ import annotations

import re

from checks.options import Option


def _project(text: str) -> str:
    if not re.fullmatch(r"~?[A-Za-z][A-Za-z0-9_]{0,127}", text):
        raise ValueError(f"{text[:60]!r} is not a Bitbucket project key (letters, digits and "
                         f"_, starting with a letter; ~USER for a personal project)")
    return text


def _repository(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", text):
        raise ValueError(f"{text[:60]!r} is not a Bitbucket repository slug")
    return text


OPTIONS = (
    Option("--bitbucket-dc-project", "the project key the vendor reads (its permissions are "
           "checked on it)", metavar="KEY", parse=_project),
    Option("--bitbucket-dc-repository", "a repository slug in that project (its permissions "
           "are checked on it)", metavar="SLUG", parse=_repository),
)
