"""Which scopes a run requires: a connector's defaults, or those given with --require-scope."""

from __future__ import annotations

from checks.model.requirement import Requirement
from checks.plan import Plan
from checks.run import RunContext


def required(context: RunContext, defaults: tuple[str, ...]) -> tuple[str, ...]:
    """--require-scope replaces the defaults."""
    return context.require_scopes or defaults


def expected(requirement: Requirement, context: RunContext, defaults: tuple[str, ...]
             ) -> list[tuple[Requirement, str]]:
    """A check per required scope, and one per default left out (shown as not applicable)."""
    return [(requirement, scope) for scope in dict.fromkeys((*defaults, *required(context,
                                                                                  defaults)))]


def leave_out(plan: Plan, requirement: Requirement, context: RunContext,
              defaults: tuple[str, ...]) -> None:
    chosen = required(context, defaults)
    for scope in defaults:
        if scope not in chosen:
            plan.not_applicable(requirement, scope, f"left out by --require-scope (the default "
                                                    f"list is {', '.join(defaults)})")
