"""The built-in connectors, by name. A connector is one module declaring a
:class:`~checks.catalogue.Connector`; listing it here makes it available."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from checks.catalogue import Connector
from checks.connectors import ghes, github, github_app, gitlab

CONNECTORS: Mapping[str, Connector] = MappingProxyType({
    connector.name: connector
    for connector in (ghes.CONNECTOR, github.CONNECTOR, github_app.CONNECTOR, gitlab.CONNECTOR)
})


def connector_names() -> tuple[str, ...]:
    return tuple(sorted(CONNECTORS))


def get_connector(name: str) -> Connector:
    return CONNECTORS[name]
