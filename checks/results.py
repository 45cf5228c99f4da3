"""A read-only view of a run's results, for users' own tests (the ``connector_results``
fixture): the verdict of every check and every observation the probes made.

    def test_our_proxy_lets_the_api_through(connector_results):
        ghes = connector_results["ghes"]
        assert ghes.verdict("api.reachable[https://github.example.com/api/v3]").outcome == "passed"
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from checks.jobs import Result
from checks.model.requirement import Check
from checks.model.verdict import Verdict


@dataclass(frozen=True)
class ConnectorResult:
    name: str
    target: str
    mode: str  # "live" | "offline"
    checks: tuple[Check, ...]
    # (kind, observation) as the probes made them: kind is dns, public_dns, tcp, tls or http.
    observations: tuple[tuple[str, Any], ...]

    def verdict(self, check_id: str) -> Verdict:
        """The verdict of a check by its id, e.g. ``tls.public_ca[github.example.com:443]``."""
        for check in self.checks:
            if check.id == check_id:
                return check.verdict
        raise KeyError(f"no check {check_id} in the {self.name} run: "
                       f"{', '.join(c.id for c in self.checks)}")

    def of_kind(self, kind: str) -> tuple[Any, ...]:
        return tuple(observation for k, observation in self.observations if k == kind)


@dataclass(frozen=True)
class ConnectorResults(Mapping[str, ConnectorResult]):
    _by_name: Mapping[str, ConnectorResult]

    @classmethod
    def of(cls, results: Iterable[Result]) -> ConnectorResults:
        # By the run's name: the connector's, or a fleet's target's.
        return cls(MappingProxyType({r.job.name: ConnectorResult(
            r.job.name, r.job.target.url, r.job.mode, tuple(r.checks),
            tuple((o.kind, o.observation) for o in r.observed)) for r in results}))

    def __getitem__(self, name: str) -> ConnectorResult:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
