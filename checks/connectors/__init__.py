"""The built-in connectors, by name. A connector is one module declaring a
:class:`~checks.catalogue.Connector` as ``CONNECTOR``; naming it here makes it available.
A module is imported when its connector is asked for, not before: a pytest run without
--connector imports none of them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.catalogue import Connector

_MODULES = {"ghes": "ghes", "github": "github", "github-app": "github_app", "gitlab": "gitlab"}


def connector_names() -> tuple[str, ...]:
    return tuple(sorted(_MODULES))


def get_connector(name: str) -> Connector:
    connector: Connector = importlib.import_module(f"checks.connectors.{_MODULES[name]}").CONNECTOR
    return connector
