"""Verdicts: what an evaluator concludes from an observation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from checks.model.text import one_line


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # gates CI
    WARNING = "warning"  # shown, does not gate
    SKIPPED = "skipped"  # not applicable, or blocked by a prerequisite
    ERROR = "error"  # the harness itself broke


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str | None
    message: str
    remediation: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    vendor_code: str | None = None
    # What the run decides by (never read back from the evidence, which is for people):
    # the check whose failure skipped this one, and whether the HTTP client the run uses
    # trusts a chain this verdict judged (a private CA named by --ca-bundle fails
    # tls.public_ca, yet the API checks behind it run).
    blocked_by: str | None = None
    trusted_by_http_client: bool = False

    def __post_init__(self) -> None:
        # A message quotes what servers said: one line, whatever they said (checks.model.text).
        object.__setattr__(self, "message", one_line(self.message))
        object.__setattr__(self, "remediation", one_line(self.remediation))

    def with_evidence(self, **more: Any) -> Verdict:
        return replace(self, evidence={**self.evidence, **more})


def passed(message: str, **evidence: Any) -> Verdict:
    return Verdict(Outcome.PASSED, None, message, "", evidence)
