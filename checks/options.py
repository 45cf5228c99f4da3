"""Options a connector declares for itself: each spelled ``--NAME-...`` (its connector's
name first, so no connector takes another's or the core's), shown under its own heading in
``pytest --help``, settable in the ini file like the core's, recorded with a run and replayed.

A connector lists them twice: in its ``Connector(options=...)`` and in a light module named
by a ``connector_checks.options`` entry point (pytest reads options before any connector is
loaded, and a plain pytest run loads none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    flag: str  # "--bitbucket-dc-project"
    help: str
    metavar: str = "VALUE"
    parse: Callable[[str], Any] = str  # ValueError with a one-line message for a bad value
    repeatable: bool = False

    @property
    def dest(self) -> str:
        """Its name in pytest's options and the ini file: connector_bitbucket_dc_project."""
        return "connector_" + self.flag.lstrip("-").replace("-", "_")

    def belongs_to(self, connector: str) -> bool:
        return self.flag.startswith(f"--{connector}-") and self.flag != f"--{connector}-"
