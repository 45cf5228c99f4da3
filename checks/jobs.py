"""The run's types: a :class:`Job` (one connector to check, all decided before probing) and
its :class:`Result`: what the engine hands the session and the reports."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from checks.catalogue import Connector
from checks.model.endpoints import HttpRequest, Nameserver, Route, Target
from checks.model.requirement import Check, Requirement
from checks.model.secret import Secret
from checks.model.trust import PemBundle, Trust
from checks.model.vantage import Vantage
from checks.profiles import Profile
from checks.run import Observed
from checks.scenario import Scenario


@dataclass(frozen=True)
class Job:
    """One connector to check, with everything decided before any probe runs."""

    connector: Connector
    profile: Profile  # what the vendor asks of the connector
    target: Target
    org: str | None
    scenario: Scenario | None
    secrets: Mapping[str, Secret | None]
    trust: Trust
    env: Mapping[str, str] = field(default_factory=dict)
    repo: str | None = None
    # As given, or as the scenario was recorded with (a replay repeats the recorded run).
    routes: Mapping[tuple[str, int], Route] = field(default_factory=dict)
    public_resolvers: tuple[Nameserver, ...] = ()
    require_scopes: tuple[str, ...] = ()
    max_pages: int = 100  # as given, or as the scenario was recorded with
    max_installations: int = 200
    run_timeout: float = 120.0
    options: Mapping[str, Any] = field(default_factory=dict)  # the connector's own, by flag
    # A fleet's target: its name (its items are NAME::check, its reports in REPORT_DIR/NAME/);
    # outside a fleet, the connector's name and the report folder itself.
    name: str = ""
    folder: str = ""
    resolvers: tuple[Nameserver, ...] = ()
    # A fleet's target: where the fleet file says each secret comes from (name -> words).
    secret_sources: Mapping[str, str] = field(default_factory=dict)
    # The CA bundles as given (--public-roots, --ca-bundle, or a fleet target's): recorded.
    given_trust: tuple[PemBundle | None, PemBundle | None] = (None, None)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.connector.name)

    @property
    def mode(self) -> str:
        return "offline" if self.scenario else "live"

    @cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        """The connector's requirements as the profile asks for them and cites them."""
        return self.connector.requirements(self.profile)


@dataclass
class Result:
    job: Job
    checks: list[Check]
    started_at: datetime
    duration_s: float
    proxy: str
    probes: list[dict[str, Any]] = field(default_factory=list)
    observed: tuple[Observed, ...] = ()  # every observation, as it arrived
    vantage: Vantage = field(default_factory=lambda: Vantage(socket.gethostname()))
    replay_of: dict[str, Any] | None = None  # when and where a replayed recording was made
    observed_at: datetime | None = None  # the moment the observations describe
    unanswered: tuple[HttpRequest, ...] = ()  # in flight when the run's deadline came
    proxies: dict[str, str] = field(default_factory=dict)  # HOST:PORT -> the proxy used
