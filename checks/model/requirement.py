"""Requirements and checks: the requirement graph as data.

A :class:`Requirement` names the requirements it comes after. A check of it runs only when,
for each of them, a check of that requirement let it through (by default: passed or warned);
otherwise it is skipped, naming the first check that failed (see :mod:`checks.plan`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from checks.model.verdict import Outcome, Verdict


def passed_or_warned(verdict: Verdict) -> bool:
    return verdict.outcome in (Outcome.PASSED, Outcome.WARNING)


@dataclass(frozen=True)
class Requirement:
    id: str  # "tls.public_ca"
    title: str
    category: str  # dns, tcp, tls, api, auth, scopes, org, oauth, app
    needs: str  # what the vendor needs, in a sentence
    remediation: str  # how to meet it
    after: tuple[Requirement, ...] = ()  # prerequisites, matched by id
    seed: str = ""  # where the vendor's guide asks for it (set from the profile with `cited`)
    # The profile's section whose words cite it when the profile has none for its id.
    cites: str = ""
    # Whether a verdict of this requirement lets the checks after it run.
    lets_through: Callable[[Verdict], bool] = field(default=passed_or_warned, compare=False)
    # A prerequisite that blocks only when the run has a check of it (the proxy's, when a
    # proxy applies): with none, the checks after it run.
    optional: bool = False
    # What requires it when no guide does (a check of this machine's own path, the proxy's):
    # shown as "required by" unless the profile quotes the guide for its id.
    own: str = ""
    # Prerequisites (by id) whose check must have passed: a warning of theirs blocks this one
    # (webhook checks wait for an owner; a member is a warning elsewhere, a skip here).
    needs_passed: frozenset[str] = frozenset()

    def at(self, parameter: str) -> str:
        """The id of its check for ``parameter`` (``tls.handshake[host:443]``): built here
        only, for the listing, the run and the checks that wait for it alike."""
        return f"{self.id}[{parameter}]"

    def cited(self, seed: str) -> Requirement:
        """This requirement as one connector's vendor guide asks for it."""
        return replace(self, seed=seed)


@dataclass(frozen=True)
class Check:
    """One requirement checked for one parameter: one pytest item."""

    requirement: Requirement
    parameter: str
    verdict: Verdict
    duration_s: float = 0.0

    @property
    def id(self) -> str:
        return self.requirement.at(self.parameter)


def ok(check: Check) -> bool:
    """The check passed or warned."""
    return passed_or_warned(check.verdict)
