"""The requirement graph settles every expected check: skipped with its root cause when a
prerequisite did not let it through, never naming another skip."""

from __future__ import annotations

import pytest

from checks import reasons
from checks.connectors import bundled_profile_names, load_profile
from checks.model.requirement import Requirement
from checks.model.verdict import Outcome, Verdict, passed
from checks.plan import Plan

A = Requirement("a.first", "A", "dns", "", "")
B = Requirement("b.second", "B", "tcp", "", "", after=(A,))
C = Requirement("c.third", "C", "tls", "", "", after=(B,))
D = Requirement("d.fourth", "D", "api", "", "", after=(C, A))
FAILED = Verdict(Outcome.FAILED, "x.broken", "broken")


def settled(plan: Plan) -> dict[str, tuple[str, str | None, str]]:
    return {c.id: (c.verdict.outcome.value, c.verdict.reason, c.verdict.message)
            for c in plan.checks()}


def test_a_chain_of_skips_names_the_first_failure_not_the_skip_before_it() -> None:
    plan = Plan((A, B, C, D))
    plan.expect_all([(A, "h"), (B, "h"), (C, "h"), (D, "h")])
    plan.add(A, "h", FAILED)
    assert not plan.ready(B, "h")
    cause = "not checked: a.first[h] failed (x.broken)"
    assert settled(plan) == {"a.first[h]": ("failed", "x.broken", "broken"),
                             "b.second[h]": ("skipped", "prerequisite.failed", cause),
                             "c.third[h]": ("skipped", "prerequisite.failed", cause),
                             "d.fourth[h]": ("skipped", "prerequisite.failed", cause)}


def test_a_check_runs_when_any_check_of_a_prerequisite_with_other_parameters_passed() -> None:
    plan = Plan((A, B, C))
    plan.add(A, "h", passed("ok"))
    plan.add(B, "10.0.0.1:443", FAILED)
    plan.add(B, "10.0.0.2:443", passed("open"))
    assert plan.ready(C, "h:443")


def test_a_prerequisite_with_the_same_parameter_is_the_one_waited_for() -> None:
    plan = Plan((A, B))
    plan.add(A, "acme", FAILED)
    plan.add(A, "other", passed("ok"))
    assert not plan.ready(B, "acme") and plan.ready(B, "other")


def test_a_not_applicable_prerequisite_is_named_as_not_checked() -> None:
    plan = Plan((A, B))
    plan.expect(B, "h")
    plan.not_applicable(A, "h", "not configured")
    assert settled(plan)["b.second[h]"][2] == "not checked: a.first[h] was not checked " \
                                             "(not_applicable)"


def test_a_particular_check_can_be_waited_for() -> None:
    plan = Plan((A,))
    listed = plan.add(A, "repo:deployments", FAILED)
    plan.expect(A, "repo:statuses", after=[listed])
    assert settled(plan)["a.first[repo:statuses]"][1] == "prerequisite.failed"


def test_a_requirement_may_let_a_failure_through() -> None:
    lenient = Requirement("a.first", "A", "dns", "", "", lets_through=lambda v: True)
    plan = Plan((lenient, B))
    plan.add(A, "h", FAILED)
    assert plan.ready(B, "h")


def test_an_expected_check_nobody_decided_is_a_harness_error_not_a_pass() -> None:
    plan = Plan((A, B))
    plan.expect(B, "h")
    plan.add(A, "h", passed("ok"))
    outcome, reason, message = settled(plan)["b.second[h]"]
    assert (outcome, reason) == ("error", reasons.HARNESS_ERROR.code)
    assert "decided nothing for b.second[h]" in message


def test_a_requirement_the_connector_did_not_declare_is_refused() -> None:
    with pytest.raises(KeyError, match="not declared"):
        Plan((A,)).add(B, "h", passed("ok"))


@pytest.mark.parametrize("name", bundled_profile_names())
def test_every_bundled_profile_gives_requirements_after_their_prerequisites_each_cited(
        name: str) -> None:
    connector, profile = load_profile(name)
    seen: set[str] = set()
    for requirement in connector.requirements(profile):
        assert {pre.id for pre in requirement.after} <= seen, requirement.id
        assert requirement.seed, requirement.id
        seen.add(requirement.id)


def test_the_run_decides_by_verdict_fields_never_by_what_the_evidence_says() -> None:
    """Evidence is for people: a server's chain judged untrusted stays untrusted whatever a
    key of its evidence holds; the field the evaluator sets is what lets the API through."""
    from dataclasses import replace

    from checks import reasons
    from checks.connectors.network import _usable_for_https

    said = reasons.TLS_UNTRUSTED_ROOT("untrusted", trusted_by_http_client=True)
    assert not _usable_for_https(said)
    assert _usable_for_https(replace(said, trusted_by_http_client=True))
    blocked = reasons.PREREQUISITE_FAILED("not checked", blocked_by="x[1]")
    assert blocked.blocked_by is None  # only the plan, which knows the graph, sets it
