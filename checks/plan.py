"""The plan of one connector's run: the checks it expects, the verdicts it decides, and the
skips that follow from the requirement graph, all settled here and nowhere else.

A connector declares what it expects to check before probing (every check whose parameter is
known without probing), probes, and adds verdicts. :meth:`Plan.ready` tells it whether a check
may run; :meth:`Plan.checks` settles every expected check that was not decided: skipped when a
prerequisite did not let it through, naming the root cause (the first check that failed,
never another skip).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from checks import reasons
from checks.model.requirement import Check, Requirement
from checks.model.text import one_line
from checks.model.verdict import Outcome, Verdict


@dataclass(frozen=True)
class _Expected:
    requirement: Requirement
    parameter: str
    after: tuple[str, ...]  # ids of particular checks this one also waits for

    @property
    def id(self) -> str:
        return self.requirement.at(self.parameter)


class Plan:
    def __init__(self, requirements: Sequence[Requirement],
                 vendor_codes: Mapping[str, str] | None = None) -> None:
        # reason code -> the vendor's own code for it (the profile's), carried by verdicts
        self._vendor_codes = dict(vendor_codes or {})
        self._declared = {requirement.id: requirement for requirement in requirements}
        self._order = {requirement.id: n for n, requirement in enumerate(requirements)}
        self._expected: dict[str, _Expected] = {}
        self._decided: list[Check] = []
        self._by_id: dict[str, Check] = {}
        # By requirement id: the checks decided and expected (looked up at every ready()).
        self._decided_of: dict[str, list[Check]] = {}
        self._expected_of: dict[str, list[_Expected]] = {}
        # The same, by requirement and parameter: a thousand installations each wait for
        # their own app.installation_active[...], found without scanning the others.
        self._decided_at: dict[tuple[str, str], list[Check]] = {}
        self._expected_at: dict[tuple[str, str], list[_Expected]] = {}

    def requirement(self, requirement: Requirement) -> Requirement:
        """The connector's own declaration of a requirement (with its seed reference)."""
        try:
            return self._declared[requirement.id]
        except KeyError:
            raise KeyError(f"{requirement.id} is not declared by this connector") from None

    def expect(self, requirement: Requirement, parameter: str,
               after: Iterable[Check | str] = ()) -> None:
        """A check to decide; ``after``: particular checks (or their ids) it also waits for."""
        parameter = one_line(parameter)
        expected = _Expected(self.requirement(requirement), parameter,
                             tuple(c if isinstance(c, str) else c.id for c in after))
        earlier = self._expected.get(expected.id)
        if earlier is not None:
            # Listed before probing (a --repo's endpoints), then told what it waits for: the
            # two are one check, waiting for everything either said.
            waits = earlier.after + tuple(a for a in expected.after if a not in earlier.after)
            if waits == earlier.after:
                return
            expected = replace(earlier, after=waits)
            for listing in (self._expected_of[requirement.id],
                            self._expected_at[(requirement.id, parameter)]):
                listing[listing.index(earlier)] = expected
        else:
            self._expected_of.setdefault(requirement.id, []).append(expected)
            self._expected_at.setdefault((requirement.id, parameter), []).append(expected)
        self._expected[expected.id] = expected

    def expect_all(self, checks: Iterable[tuple[Requirement, str]]) -> None:
        for requirement, parameter in checks:
            self.expect(requirement, parameter)

    def add(self, requirement: Requirement, parameter: str, verdict: Verdict,
            duration_s: float = 0.0) -> Check:
        # A parameter may name what a server sent (an account's login): one line, so it
        # cannot begin a line of the terminal or break a node id.
        parameter = one_line(parameter)
        vendor_code = self._vendor_codes.get(verdict.reason or "")
        if vendor_code is not None and verdict.vendor_code is None:
            verdict = replace(verdict, vendor_code=vendor_code)
        check = Check(self.requirement(requirement), parameter, verdict, duration_s)
        self._decided.append(check)
        self._decided_of.setdefault(requirement.id, []).append(check)
        self._decided_at.setdefault((requirement.id, parameter), []).append(check)
        self._by_id.setdefault(check.id, check)
        return check

    def not_applicable(self, requirement: Requirement, parameter: str, why: str) -> Check:
        return self.add(requirement, parameter, reasons.NOT_APPLICABLE(why))

    def ready(self, requirement: Requirement, parameter: str) -> bool:
        """Every prerequisite of this check let it through: it may be probed and decided."""
        blocked, _ = self._blocker(self._expectation(requirement, parameter))
        return not blocked

    def checks(self) -> list[Check]:
        """Every check of the run, in the order of the connector's requirements: the decided
        ones, and each expected one settled by the graph."""
        for expected in self._pending():
            self.add(expected.requirement, expected.parameter, self._settle(expected))
        return sorted(self._decided, key=lambda check: self._order[check.requirement.id])

    def abandon(self, cause: Check) -> list[Check]:
        """Every check of a run that broke: what was decided stands, the rest names the cause."""
        return self.settle_pending(self._blocked_by(cause))

    def settle_pending(self, verdict: Verdict) -> list[Check]:
        """Every check of a run cut short (its deadline passed, or it was interrupted): what
        was decided stands, every expected check not yet decided gets ``verdict``."""
        for expected in self._pending():
            self.add(expected.requirement, expected.parameter, verdict)
        return self.checks()

    def _pending(self) -> list[_Expected]:
        return sorted((e for e in self._expected.values() if e.id not in self._by_id),
                      key=lambda e: self._order[e.requirement.id])

    def _expectation(self, requirement: Requirement, parameter: str) -> _Expected:
        parameter = one_line(parameter)
        key = requirement.at(parameter)
        return self._expected.get(key) or _Expected(self.requirement(requirement), parameter, ())

    def _blocker(self, expected: _Expected) -> tuple[bool, Check | None]:
        """Whether the check is blocked, and by which decided check (None: by a prerequisite
        no verdict was given for)."""
        for pre in expected.requirement.after:
            declared = self.requirement(pre)
            candidates = self._instances(pre.id, expected.parameter)
            if not candidates and declared.optional:
                continue  # a check this run does not have (no proxy applies)
            decided = [c for c in candidates if c.id in self._by_id]
            lets_through = (_passed if pre.id in expected.requirement.needs_passed
                            else declared.lets_through)
            if any(lets_through(self._by_id[c.id].verdict) for c in decided):
                continue
            return True, self._by_id[decided[0].id] if decided else None
        for check_id in expected.after:
            check = self._by_id.get(check_id)
            if check is None or not (
                    _passed if check.requirement.id in expected.requirement.needs_passed
                    else check.requirement.lets_through)(check.verdict):
                return True, check
        return False, None

    def _instances(self, requirement_id: str, parameter: str) -> list[_Expected | Check]:
        """The checks of a prerequisite that one check waits for: those with its parameter
        when there are any (app.repositories[acme] after app.installation_active[acme]),
        else all of them (tls.handshake[HOST:443] after any tcp.reachable[ADDR:443])."""
        key = (requirement_id, parameter)
        exact: list[_Expected | Check] = list(self._decided_at.get(key, []))
        exact += [e for e in self._expected_at.get(key, []) if e.id not in self._by_id]
        if exact:
            return exact
        every: list[_Expected | Check] = list(self._decided_of.get(requirement_id, []))
        every += [e for e in self._expected_of.get(requirement_id, []) if e.id not in self._by_id]
        return every

    def _settle(self, expected: _Expected) -> Verdict:
        blocked, cause = self._blocker(expected)
        if not blocked or cause is None:
            return reasons.HARNESS_ERROR(
                f"connector-checks decided nothing for {expected.id}"
                + (" although its prerequisites passed" if not blocked else ""))
        return self._blocked_by(self.root_cause(cause))

    def _blocked_by(self, root: Check) -> Verdict:
        return replace(reasons.PREREQUISITE_FAILED(
            f"not checked: {root.id} {_what_happened(root.verdict)}",
            blocked_by=root.id, cause=root.verdict.reason), blocked_by=root.id)

    def root_cause(self, check: Check) -> Check:
        """The first check that failed, following skips back to it."""
        while check.verdict.blocked_by is not None:
            check = self._by_id[check.verdict.blocked_by]
        return check


def _passed(verdict: Verdict) -> bool:
    return verdict.outcome is Outcome.PASSED


def _what_happened(verdict: Verdict) -> str:
    if verdict.outcome is Outcome.SKIPPED:
        return f"was not checked ({verdict.reason})"
    if verdict.outcome is Outcome.ERROR:
        return f"could not be checked ({verdict.reason})"
    if verdict.outcome is Outcome.WARNING:
        return f"warned ({verdict.reason})"
    return f"failed ({verdict.reason})"
