"""The endpoints a profile says its vendor calls, checked one check each: the request made as
the vendor makes it, its answer judged by the connector's own evaluator."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from checks import reasons
from checks.model.observations import HttpExchange
from checks.model.requirement import Requirement, passed_or_warned
from checks.model.verdict import Verdict
from checks.plan import Plan
from checks.profiles import Endpoint

# judge(exchange, "GET /path", expected status) -> the verdict
Judge = Callable[[HttpExchange, str, int], Verdict]
# fetch(method, path under the API's root) -> the answer
Fetch = Callable[[str, str], Awaitable[HttpExchange]]


def parameter(endpoint: Endpoint, repo: str | None) -> str:
    """``OWNER/NAME:deployments`` for a repository's endpoint, the endpoint's name otherwise."""
    return f"{repo}:{endpoint.name}" if "{repo}" in endpoint.path and repo else endpoint.name


def expected(requirement: Requirement, endpoints: Sequence[Endpoint], repo: str | None
             ) -> list[tuple[Requirement, str]]:
    return [(requirement, parameter(e, repo)) for e in endpoints
            if repo or "{repo}" not in e.path]


async def check(plan: Plan, requirement: Requirement, endpoints: Sequence[Endpoint],
                values: Mapping[str, str | None], shown: Mapping[str, str], fetch: Fetch,
                judge: Judge) -> None:
    """Every endpoint: those that stand alone concurrently, then each whose path takes an
    {id} from an earlier one's first item (after that one; not applicable when it listed
    none). ``values`` fill the path as sent (encoded as the API wants), ``shown`` as read."""
    repo = shown.get("repo")
    for endpoint in endpoints:  # each that takes an {id} waits for the one it takes it from
        if endpoint.id_from is not None:
            source = next(e for e in endpoints if e.name == endpoint.id_from)
            plan.expect(requirement, parameter(endpoint, repo),
                        after=[requirement.at(parameter(source, repo))])

    def missing(endpoint: Endpoint) -> str | None:
        for name in re.findall(r"\{(repo|org)\}", endpoint.path):
            if not values.get(name):
                return (f"the profile's endpoint {endpoint.path} needs --{name}: pass it to "
                        f"check this endpoint")
        return None

    # Each endpoint's verdict (or why it does not apply), added in the profile's order
    # whatever order the answers came in: a report reads the same run after run.
    decided: dict[str, tuple[Verdict, HttpExchange | None]] = {}

    async def one(endpoint: Endpoint, item_id: str = "") -> None:
        why = missing(endpoint)
        if why is not None:
            decided[endpoint.name] = (reasons.NOT_APPLICABLE(why), None)
            return
        path, label = endpoint.path, endpoint.path
        for key, value in values.items():
            path = path.replace(f"{{{key}}}", value or "")
            label = label.replace(f"{{{key}}}", shown.get(key, value or ""))
        path, label = path.replace("{id}", item_id), label.replace("{id}", item_id)
        exchange = await fetch(endpoint.method, path)
        decided[endpoint.name] = (judge(exchange, f"{endpoint.method} {label}", endpoint.status),
                                  exchange)

    await asyncio.gather(*(one(e) for e in endpoints if e.id_from is None))
    for dependent in endpoints:
        if dependent.id_from is None or dependent.id_from not in decided:
            continue
        verdict, answer = decided[dependent.id_from]
        if answer is None or not passed_or_warned(verdict):
            continue  # skipped by the plan, after the check it takes its {id} from
        found = answer.json()
        first = found[0] if isinstance(found, list) and found else None
        if isinstance(first, dict) and isinstance(first.get("id"), int | str):
            await one(dependent, str(first["id"]))
        else:
            decided[dependent.name] = (reasons.NOT_APPLICABLE(
                f"{dependent.id_from} listed nothing whose id could be read"), None)
    for endpoint in endpoints:
        if endpoint.name in decided:
            verdict, answer = decided[endpoint.name]
            plan.add(requirement, parameter(endpoint, repo), verdict,
                     answer.elapsed_s if answer is not None else 0.0)
