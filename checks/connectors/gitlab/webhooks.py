"""The other direction on GitLab: the vendor's webhook on a project (--repo) or a group
(--org; group webhooks are a Premium feature), whether it is set up to work, and its recent
events as GitLab recorded them; with --ping-webhooks, a test event and its record.

GitLab's REST API ("Project webhooks API", "Group webhooks API"): GET /projects/:id/hooks
(the Maintainer role), a hook's alert_status ("executable", "temporarily_disabled",
"disabled") and disabled_until, enable_ssl_verification and its *_events triggers; GET
.../hooks/:hook_id/events (GitLab 17.3 and later: the past 7 days, response_status "200" or
what went wrong); POST .../hooks/:hook_id/test/:trigger. GitLab never shows whether a hook
has a secret token, so that is not judged here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from checks.api import (
    HttpExchange,
    HttpRequest,
    Plan,
    Reason,
    Requirement,
    RunContext,
    Secret,
    Verdict,
    passed,
    reasons,
)
from checks.api import webhooks as shared
from checks.connectors.gitlab import api as gitlab

RECENT = 20  # events read: GitLab's default page
SHOWN_HOOKS = 20
TEST_TRIGGER = "push_events"
OWN = "GitLab's documentation \"Webhooks\" (the vendor's webhook URL as given)"


# GitLab's way to each fix: appended to the reason's platform-neutral remediation.
_RECENT = ("The hook's Recent events: Settings > Webhooks > Edit > Recent events (Resend "
           "request there).")
FIXES = {
    "webhook.hooks_hidden": "On GitLab: a token with api (or read_api) and the Maintainer "
                            "role; group webhooks need GitLab Premium.",
    "webhook.missing": "The URL looked for: --gitlab-webhook-url, else the profile's.",
    "webhook.inactive": "GitLab disables a webhook that keeps failing: fix the cause, then "
                        "re-enable it (Settings > Webhooks > Edit, or a test that succeeds).",
    "webhook.tls_unverified": "On GitLab: Enable SSL verification on the webhook; add CAs to "
                              "GitLab's trusted certificates.",
    "webhook.delivery_timeout": "On self-managed GitLab, check its outbound requests and proxy "
                                "settings. " + _RECENT,
    "webhook.delivery_unreachable": "On self-managed GitLab, check its DNS and outbound "
                                    "requests settings. " + _RECENT,
    "webhook.delivery_refused": _RECENT,
    "webhook.delivery_untrusted_certificate": "On self-managed GitLab, add the CA to its "
                                              "trusted certificates. " + _RECENT,
    "webhook.delivery_proxy_refused": _RECENT,
    "webhook.delivery_vendor_error": _RECENT,
    "webhook.delivery_rejected": _RECENT,
    "webhook.delivery_failed": _RECENT,
    "webhook.deliveries_intermittent": _RECENT,
}


def _say(reason: Reason, message: str, **evidence: Any) -> Verdict:
    """A webhook verdict, its fix in GitLab's terms."""
    return shared.say(FIXES, reason, message, **evidence)


def requirements(after: tuple[Requirement, ...]) -> tuple[Requirement, ...]:
    present = Requirement(
        "webhook.present", "The vendor's webhook is installed", "webhook",
        "The project's (or group's) webhooks include one that delivers to the vendor's URL.",
        "Let the vendor create its webhook, or add it as the vendor documents (Settings > "
        "Webhooks).", after=after, cites="webhook", own=OWN)
    config = Requirement(
        "webhook.config", "The vendor's webhook is set up to work", "webhook",
        "The hook is not disabled, triggers on the events the vendor needs, and verifies TLS.",
        "Edit the webhook (Settings > Webhooks > Edit) as the message says.", after=(present,),
        cites="webhook", own=OWN)
    deliveries = Requirement(
        "webhook.deliveries", "Recent deliveries reach the vendor", "webhook",
        "The hook's recent events, as GitLab recorded them, were answered 2xx by the vendor.",
        "Fix what the message names on GitLab's side (its outbound network, proxy, trusted "
        "certificates), then resend a failed event.", after=(present,), cites="webhook",
        own=OWN)
    ping = Requirement(
        "webhook.ping", "A test event reaches the vendor now", "webhook",
        "A test event sent now (--ping-webhooks) is delivered and answered 2xx.",
        "Fix what the message names, then test again.", after=(present,), cites="webhook",
        own=OWN)
    return present, config, deliveries, ping


def places(context: RunContext, flag: str) -> list[tuple[str, str]]:
    if not shared.vendor_url(context, flag):
        return []
    return [*([("group", context.org)] if context.org else []),
            *([("project", context.repo)] if context.repo else [])]


def vendor_hooks(exchange: HttpExchange, vendor: str) -> list[dict[str, Any]]:
    return [h for h in shared.listed(exchange) if shared.matches(str(h.get("url") or ""), vendor)]


def _events_of(hook: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in hook.items() if k.endswith("_events") and v is True)


def _shown(hook: dict[str, Any]) -> dict[str, Any]:
    return {"id": hook.get("id"), "url": shared.shown_url(str(hook.get("url") or ""))[:300],
            "alert_status": hook.get("alert_status"),
            "disabled_until": hook.get("disabled_until"), "events": _events_of(hook)[:30],
            "enable_ssl_verification": hook.get("enable_ssl_verification"),
            "secret": "not shown by GitLab"}


def presence(pages: Sequence[HttpExchange], where: str, vendor: str, kind: str) -> Verdict:
    """GET /projects/:id/hooks or /groups/:id/hooks (page by page): a hook delivers to the
    vendor."""
    exchange = pages[-1]
    early = gitlab.failure(exchange)
    if early is not None:
        return early
    evidence = gitlab.summary(exchange)
    if exchange.status in (403, 404):
        premium = " (group webhooks need GitLab Premium)" if kind == "group" else ""
        return _say(
            reasons.WEBHOOK_HOOKS_HIDDEN,
            f"GitLab refuses to list the webhooks of the {kind} {where} ({exchange.status}: "
            f"{gitlab.message_of(exchange) or 'Not Found'}): listing them takes the "
            f"Maintainer role{premium}", **evidence)
    if exchange.status != 200 or not isinstance(exchange.json(), list):
        return gitlab.unexpected(exchange, "a list of webhooks")
    hooks = [h for page in pages for h in shared.listed(page)]
    found = [h for h in hooks if shared.matches(str(h.get("url") or ""), vendor)]
    evidence["vendor_url"] = shared.shown_url(vendor)
    evidence["hooks"] = [_shown(h) for h in hooks[:SHOWN_HOOKS]]
    if found:
        noun = "hooks" if len(found) > 1 else "hook"
        return passed(f"the {kind} {where} has the vendor's webhook ({noun} "
                      f"{', '.join(str(h.get('id')) for h in found)}, delivering to "
                      f"{shared.shown_url(str(found[0].get('url')))[:200]})", **evidence)
    others = ", ".join(shared.shown_url(str(h.get("url") or ""))[:120] for h in hooks[:5]) or "none"
    return _say(
        reasons.WEBHOOK_MISSING,
        f"none of the {len(hooks)} webhooks of the {kind} {where} delivers to the vendor "
        f"({shared.shown_url(vendor)}); its hooks deliver to: {others}", **evidence)


def configuration(hook: dict[str, Any], where: str, needed: Sequence[str]) -> Verdict:
    """Not disabled (alert_status), the events the vendor needs, TLS verification on."""
    problems: list[tuple[Reason, str]] = []
    status = hook.get("alert_status") or "executable"
    if status != "executable":
        until = f" until {hook.get('disabled_until')}" if hook.get("disabled_until") else ""
        problems.append((reasons.WEBHOOK_INACTIVE,
                         f"GitLab has disabled the vendor's webhook {where} ({status}{until}) "
                         f"after it kept failing: it sends the vendor nothing"))
    have = _events_of(hook)
    wanted = [e if e.endswith("_events") else f"{e}_events" for e in needed]
    missing = [e for e in wanted if e not in have]
    if missing:
        problems.append((reasons.WEBHOOK_EVENTS_MISSING,
                         f"the vendor's webhook {where} does not trigger on "
                         f"{', '.join(missing)} (it triggers on {', '.join(have) or 'nothing'})"))
    if hook.get("enable_ssl_verification") is False:
        problems.append((reasons.WEBHOOK_TLS_UNVERIFIED,
                         f"the vendor's webhook {where} has SSL verification disabled: GitLab "
                         f"delivers to whoever answers for the vendor's host"))
    return shared.worst(problems, FIXES, f"the vendor's webhook {where} is enabled, triggers "
                        f"on {', '.join(have) or 'its events'} and verifies TLS (GitLab does "
                        f"not show whether it has a secret token)", hook=_shown(hook),
                        events_needed=wanted)


def _kind(event: dict[str, Any]) -> str:
    """What a recorded event's response_status (a status code, or what went wrong) and body
    say happened."""
    status = str(event.get("response_status") or "")
    body = str(event.get("response_body") or "").lower()
    if status.isdigit():
        code = int(status)
        if 200 <= code < 300:
            return "ok"
        if code == 407:
            return "proxy"
        return "vendor_error" if code >= 500 else "rejected"
    text = f"{status.lower()} {body}"
    if "timeout" in text or "execution expired" in text or "timed out" in text:
        return "timeout"
    if "certificate" in text or "ssl" in text:
        return "certificate"
    if "refused" in text:
        return "refused"
    if "getaddrinfo" in text or "name or service" in text or "failed to open tcp" in text \
            or "no route" in text:
        return "unreachable"
    return "failed"


_FAILURES: dict[str, tuple[Reason, str]] = {
    "timeout": (reasons.WEBHOOK_DELIVERY_TIMEOUT, "GitLab got no answer in time"),
    "unreachable": (reasons.WEBHOOK_DELIVERY_UNREACHABLE,
                    "GitLab could not resolve or reach the vendor's host"),
    "refused": (reasons.WEBHOOK_DELIVERY_REFUSED, "the connection to the vendor was refused"),
    "certificate": (reasons.WEBHOOK_DELIVERY_UNTRUSTED,
                    "GitLab does not trust the certificate it was shown for the vendor's host"),
    "proxy": (reasons.WEBHOOK_DELIVERY_PROXY, "an HTTP proxy on the way refused the event "
                                              "(407)"),
    "vendor_error": (reasons.WEBHOOK_DELIVERY_VENDOR_ERROR,
                     "the vendor's endpoint answered with a server error"),
    "rejected": (reasons.WEBHOOK_DELIVERY_REJECTED,
                 "the vendor's endpoint rejected the event (a 4xx)"),
    "failed": (reasons.WEBHOOK_DELIVERY_FAILED, "the event failed"),
}


def _timeline(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"at": f"event {e.get('id')}", "event": str(e.get("trigger", ""))[:60],
             "status": str(e.get("response_status", ""))[:120],
             "status_code": None, "duration_s": e.get("execution_duration"),
             "outcome": _kind(e)} for e in found[:RECENT]]


def _newest_first(exchange: HttpExchange) -> list[dict[str, Any]]:
    data = exchange.json()
    found = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    return sorted(found, key=_id, reverse=True)


def _id(event: dict[str, Any]) -> int:
    value = event.get("id")
    return value if isinstance(value, int) else 0


def deliveries(exchange: HttpExchange, where: str) -> Verdict:
    """GET .../hooks/:hook_id/events: the newest failed, named for its cause; an older one,
    a warning with the share."""
    early = gitlab.failure(exchange)
    if early is not None:
        return early
    evidence = gitlab.summary(exchange)
    if exchange.status == 404:
        return reasons.NOT_APPLICABLE(
            f"this GitLab has no webhook events API for {where} (404: it came with GitLab "
            f"17.3): see the hook's Recent events (Settings > Webhooks > Edit)", **evidence)
    if exchange.status != 200 or not isinstance(exchange.json(), list):
        return gitlab.unexpected(exchange, "a list of webhook events")
    found = _newest_first(exchange)
    evidence["deliveries"] = _timeline(found)
    if not found:
        return _say(
            reasons.WEBHOOK_NO_DELIVERIES,
            f"GitLab recorded no event of the vendor's webhook {where} in the past 7 days "
            f"(a push, or --ping-webhooks, makes one)", **evidence)
    kinds = [_kind(e) for e in found]
    failed = [e for e, k in zip(found, kinds, strict=True) if k != "ok"]
    share = f"{len(failed)} of the {len(found)} recent events failed"
    evidence["failed"] = len(failed)
    if not failed:
        return passed(f"the {len(found)} recent events of the vendor's webhook {where} were "
                      f"all answered 2xx", **evidence)
    cause = failed[0]
    made, means = _FAILURES[_kind(cause)]
    said = str(cause.get("response_status") or "failed")
    detail = str(cause.get("response_body") or "")[:200]
    said += f" ({detail})" if detail and not said.isdigit() else ""
    if kinds[0] != "ok":
        return _say(made, f"the newest event of the vendor's webhook {where} failed: {said}: "
                    f"{means}; {share}", **evidence)
    return _say(
        reasons.WEBHOOK_DELIVERIES_INTERMITTENT,
        f"{share} for the vendor's webhook {where}; the newest succeeded; the last failure "
        f"was {said}: {means}", **evidence)


def ping(sent: HttpExchange, before: Sequence[HttpExchange], reads: Sequence[HttpExchange],
         where: str) -> Verdict:
    """POST .../test/push_events (201), then the events read until a new one shows."""
    early = gitlab.failure(sent)
    if early is not None:
        return early
    evidence = gitlab.summary(sent)
    if sent.status not in (200, 201):
        return gitlab.unexpected(sent, "201 (the test event was sent)")
    event = tested(before, reads)
    if event is None:
        return _say(
            reasons.WEBHOOK_PING_UNSEEN,
            f"the test event was sent to the vendor's webhook {where}, but its record did not "
            f"show within {len(reads)} reads, a second apart", **evidence)
    evidence["delivery"] = _timeline([event])[0]
    if _kind(event) == "ok":
        return passed(f"the test event sent to the vendor's webhook {where} was answered "
                      f"{event.get('response_status')}", **evidence)
    made, means = _FAILURES[_kind(event)]
    return _say(made, f"the test event sent to the vendor's webhook {where} failed: "
                f"{event.get('response_status')}: {means}", **evidence)


def tested(before: Sequence[HttpExchange], reads: Sequence[HttpExchange]
           ) -> dict[str, Any] | None:
    """The newest event recorded after the test was sent (an id above every earlier one)."""
    seen = max((_id(e) for b in before for e in _newest_first(b)), default=0)
    for read in reversed(reads):
        if read.status == 200:
            new = [e for e in _newest_first(read) if _id(e) > seen]
            if new:
                return new[0]
    return None


async def run(plan: Plan, context: RunContext, api: str, token: Secret | None,
              checks: tuple[Requirement, ...], flag: str, waits: Sequence[str]) -> None:
    present, config, delivered, pinged = checks
    vendor = shared.vendor_url(context, flag)
    looked = places(context, flag)
    if not looked or token is None:
        return
    for _, where in looked:
        plan.expect(present, where, after=waits)
    requests = {}
    for kind, where in looked:
        if plan.ready(present, where):
            base = f"{api}/{'groups' if kind == 'group' else 'projects'}/{quote(where, safe='')}"
            requests[(kind, where, base)] = HttpRequest(
                "GET", f"{base}/hooks?per_page=100", token=token, scheme="Bearer")
    def holds_vendors(page: HttpExchange) -> bool:
        return bool(vendor_hooks(page, vendor))

    found = await asyncio.gather(*(shared.pages(context, r, holds_vendors)
                                   for r in requests.values()))
    hooks: list[tuple[str, str, str, dict[str, Any]]] = []
    for (kind, where, base), pages in zip(requests, found, strict=True):
        plan.add(present, where, presence(pages, where, vendor, kind),
                 sum(p.elapsed_s for p in pages))
        if pages[-1].status == 200:
            hooks += [(kind, f"{where}/hooks/{h.get('id')}", f"{base}/hooks/{h.get('id')}", h)
                      for h in vendor_hooks(pages[-1], vendor)[:SHOWN_HOOKS]]
    read = await asyncio.gather(*(_read_hook(context, token, url) for _, _, url, _ in hooks))
    needed = context.profile.webhook.events if context.profile.webhook is not None else ()
    for (_, where, _, hook), (log, tested_answers) in zip(hooks, read, strict=True):
        after = [present.at(where.rsplit("/hooks/", 1)[0])]
        for requirement in (config, delivered):
            plan.expect(requirement, where, after=after)
        plan.add(config, where, configuration(hook, where, needed))
        plan.add(delivered, where, deliveries(log, where), log.elapsed_s)
        if tested_answers is not None:
            sent, reads = tested_answers
            plan.expect(pinged, where, after=after)
            plan.add(pinged, where, ping(sent, [log], reads, where))


async def _read_hook(context: RunContext, token: Secret, base: str
                     ) -> tuple[HttpExchange, tuple[HttpExchange, list[HttpExchange]] | None]:
    log = await context.facts.http(HttpRequest(
        "GET", f"{base}/events?per_page={RECENT}", token=token, scheme="Bearer"))
    if not context.ping_webhooks:
        return log, None
    sent = await context.facts.http(HttpRequest(
        "POST", f"{base}/test/{TEST_TRIGGER}", token=token, scheme="Bearer"))

    def read(n: int) -> HttpRequest:  # a distinct page size for each read
        return HttpRequest("GET", f"{base}/events?per_page={RECENT + 1 + n}", token=token,
                           scheme="Bearer")

    reads = await shared.poll(context, read, lambda found: tested([log], found) is not None) \
        if sent.status in (200, 201) else []
    return log, (sent, reads)
