"""The connector catalogue's types: what a connector declares. The registry of built-in
connectors is :mod:`checks.connectors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from checks.model.requirement import Requirement
from checks.plan import Plan
from checks.run import RunContext


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
    """A connector: its requirements (in report order, each after its prerequisites), the
    checks it expects before probing, and ``run``, which probes and decides them."""

    name: str
    title: str
    seed: str
    requirements: tuple[Requirement, ...]
    secrets: Secrets
    # Every check whose parameter is known without probing; listed in every run, and by --co.
    expected: Callable[[RunContext], list[tuple[Requirement, str]]]
    run: Callable[[RunContext, Plan], Awaitable[None]]
    default_target: str | None = None
    # Environment variables that are not secret but required, with what they hold.
    required_env: tuple[tuple[str, str], ...] = ()
