"""The connector catalogue: each connector declares its requirements as data and joins the
registry by calling :func:`register` when its module is imported."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from checks.verdict import Verdict

if TYPE_CHECKING:
    from checks.run import RunContext


@dataclass(frozen=True)
class Requirement:
    id: str  # "tls.public_ca"
    title: str
    category: str  # dns, tcp, tls, api, auth, scopes, org, oauth
    needs: str  # what the vendor needs, in a sentence
    remediation: str  # how to meet it
    seed: str  # where the vendor's guide asks for it


@dataclass(frozen=True)
class Check:
    """One requirement checked for one parameter: a future pytest item."""

    requirement: Requirement
    parameter: str
    verdict: Verdict
    duration_s: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.requirement.id}[{self.parameter}]"


@dataclass(frozen=True)
class Secrets:
    """Environment variables a connector reads its credentials from."""

    token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    private_key: str | None = None

    def names(self) -> tuple[str, ...]:
        return tuple(name for name in (self.token, self.oauth_client_id,
                                       self.oauth_client_secret, self.private_key) if name)


@dataclass(frozen=True)
class Connector:
    name: str
    title: str
    seed: str
    requirements: tuple[Requirement, ...]
    secrets: Secrets
    run: Callable[[RunContext], Awaitable[list[Check]]]
    default_target: str | None = None
    # Environment variables that are not secret but required, with what they hold.
    required_env: tuple[tuple[str, str], ...] = ()

    def requirement(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)


_REGISTRY: dict[str, Connector] = {}
CONNECTORS: Mapping[str, Connector] = MappingProxyType(_REGISTRY)


def register(connector: Connector) -> Connector:
    existing = _REGISTRY.get(connector.name)
    # A module imported again (as pytester does between in-process runs) registers again.
    if existing is not None and existing.run.__module__ != connector.run.__module__:
        raise ValueError(f"connector {connector.name!r} is registered by both "
                         f"{existing.run.__module__} and {connector.run.__module__}")
    _REGISTRY[connector.name] = connector
    return connector


def _load_builtin() -> None:
    # Importing a connector module registers it.
    import checks.connectors  # noqa: F401


def connector_names() -> tuple[str, ...]:
    _load_builtin()
    return tuple(sorted(CONNECTORS))


def get_connector(name: str) -> Connector:
    _load_builtin()
    return CONNECTORS[name]
