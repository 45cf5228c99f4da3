"""The http-health connector: DNS, TCP, TLS (the shared network layer), then the health
endpoint, with the token from CONNECTOR_HTTP_HEALTH_TOKEN when one is set."""

from __future__ import annotations

from pathlib import Path

from checks.api import (
    AFTER_TLS,
    NETWORK,
    Connector,
    Http,
    HttpExchange,
    HttpRequest,
    Outcome,
    Plan,
    Platform,
    Profile,
    Requirement,
    RunContext,
    Secrets,
    Verdict,
    expected_network,
    network_checks,
    passed,
    reasons_of,
    register_token_shapes,
)
from http_health.options import OPTIONS

TOKEN = "CONNECTOR_HTTP_HEALTH_TOKEN"
PLATFORM = Platform(name="HTTP health", token_prefixes=("hh_",),
                    token_patterns=(r"h(?<!\wh)h_[A-Za-z0-9]{16,}",))
register_token_shapes(PLATFORM.token_prefixes, PLATFORM.token_patterns, PLATFORM.name)
HTTP = Http("the service", headers=frozenset({"x-health-version"}))

reason = reasons_of("http-health")  # every code this connector registers: http-health.*
UNHEALTHY = reason(
    "http-health.unhealthy", Outcome.FAILED,
    "The health endpoint answers, but not {\"status\": \"ok\"}.",
    "Look at the service's own health report (the answer is in the evidence).")

HEALTHY = Requirement(
    "health.endpoint", "The health endpoint says ok", "api",
    "GET PATH answers 200 with {\"status\": \"ok\"}.",
    "Start the service, or give its health path with --http-health-path.", after=AFTER_TLS,
    cites="endpoints")


def declare(profile: Profile) -> tuple[Requirement, ...]:
    return (*NETWORK, HEALTHY)


def _url(context: RunContext) -> str:
    return f"{context.target.url}{context.option('--http-health-path') or '/healthz'}"


def expected(context: RunContext) -> list[tuple[Requirement, str]]:
    target = context.target
    return [*expected_network(context, target.host, target.port), (HEALTHY, _url(context))]


def health(exchange: HttpExchange) -> Verdict:
    """The evaluator: a pure function of the answer."""
    early = HTTP.failure(exchange)
    if early is not None:
        return early
    data = exchange.json()
    if exchange.status == 200 and isinstance(data, dict) and data.get("status") == "ok":
        return passed(f"{exchange.url} says ok", **HTTP.summary(exchange))
    return UNHEALTHY(f"{exchange.url} answered {exchange.status}: "
                     f"{HTTP.message_of(exchange) or exchange.body[:120]!r}",
                     **HTTP.summary(exchange))


async def run(context: RunContext, plan: Plan) -> None:
    target = context.target
    await network_checks(plan, context, target.host, target.port)
    url = _url(context)
    if not plan.ready(HEALTHY, url):
        return  # the plan skips it, naming the network check that failed
    answer = await context.facts.http(HttpRequest("GET", url, token=context.secret(TOKEN),
                                                  scheme="Bearer"))
    plan.add(HEALTHY, url, health(answer), answer.elapsed_s)


CONNECTOR = Connector(
    name="http-health", title="An HTTPS service's health endpoint", platform=PLATFORM,
    declare=declare, secrets=Secrets(token=TOKEN), expected=expected, run=run,
    home=Path(__file__).parent, default_profile="http-health", grants="none",
    credentials=("token",), options=OPTIONS,
)
