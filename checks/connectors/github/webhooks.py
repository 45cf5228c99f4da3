"""The other direction: the webhooks GitHub (github.com or GHES) posts to the vendor. Whether
the vendor's hook is there, set up to work, and whether its recent deliveries reached the
vendor, as GitHub saw them; with --ping-webhooks, a ping and its delivery.

GitHub's REST API: organization webhooks (GET /orgs/ORG/hooks, admin:org_hook, an owner),
repository webhooks (GET /repos/OWNER/REPO/hooks, admin:repo_hook or repo), their deliveries
(.../hooks/ID/deliveries, GHES 3.2 and later) and pings (POST .../hooks/ID/pings). What a
delivery's status means is GitHub's "Troubleshooting webhooks": "failed to connect to host",
"failed to connect to network", "timed out" (10 s on github.com, 30 s on GHES), "Peer
certificate cannot be authenticated with given CA certificates", "invalid HTTP response"
(the receiver's 4xx or 5xx).

Evaluators are pure (an exchange in, a verdict out); :func:`run` asks for what they read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from checks.api import (
    HttpExchange,
    HttpRequest,
    Plan,
    Reason,
    Requirement,
    RunContext,
    Secret,
    Verdict,
    Webhook,
    answered_at,
    page_links,
    passed,
    reasons,
)
from checks.api import webhooks as shared
from checks.connectors.github import api as github

_ACCEPT = (("Accept", "application/vnd.github+json"),)
RECENT = 30  # deliveries read: GitHub's default page, about a month of a quiet hook
SHOWN_HOOKS = 20  # hooks named in a message at most


# What requires the webhook checks when the vendor's guide says nothing of webhooks (they run
# when the vendor's webhook URL is given): GitHub's own documentation.
OWN = "GitHub's documentation \"Troubleshooting webhooks\" (the vendor's webhook URL as given)"


# GitHub's way to each fix: appended to the reason's platform-neutral remediation.
_RECENT = ("The hook's Recent Deliveries: Settings > Webhooks > the hook > Recent Deliveries "
           "(Redeliver there).")
FIXES = {
    "webhook.hooks_hidden": "Give the token admin:org_hook (organization webhooks) or "
                            "admin:repo_hook (repository webhooks), and make the service "
                            "account an organization owner (repository admin).",
    "webhook.missing": "Flow's guide, for one: the webhook is created once the account is an "
                       "organization owner and a repository is imported. The URL looked for: "
                       "--ghes-webhook-url or --github-webhook-url, else the profile's.",
    "webhook.inactive": "Tick Active on the webhook: Settings > Webhooks > the hook.",
    "webhook.tls_unverified": "On GHES, add a CA with ghe-ssl-ca-certificate-install.",
    "webhook.no_secret": "GitHub signs deliveries with it (X-Hub-Signature-256).",
    "webhook.delivery_timeout": "GitHub waits 10 s on github.com, 30 s on GHES. On GHES, the "
                                "outbound proxy is Management Console > Privacy > HTTP Proxy "
                                "Server. " + _RECENT,
    "webhook.delivery_unreachable": "GitHub says \"failed to connect to host\". On GHES, "
                                    "check its DNS servers and Management Console > Privacy "
                                    "> HTTP Proxy Server. " + _RECENT,
    "webhook.delivery_refused": "GitHub says \"failed to connect to network\". " + _RECENT,
    "webhook.delivery_untrusted_certificate": "GitHub says \"Peer certificate cannot be "
                                              "authenticated with given CA certificates\". On "
                                              "GHES, add the CA with "
                                              "ghe-ssl-ca-certificate-install. " + _RECENT,
    "webhook.delivery_proxy_refused": "On GHES: Management Console > Privacy > HTTP Proxy "
                                      "Server, and its exclusions. " + _RECENT,
    "webhook.delivery_vendor_error": _RECENT,
    "webhook.delivery_rejected": _RECENT,
    "webhook.delivery_failed": _RECENT,
    "webhook.deliveries_intermittent": _RECENT,
}


def _say(reason: Reason, message: str, **evidence: Any) -> Verdict:
    """A webhook verdict, its fix in GitHub's terms."""
    return shared.say(FIXES, reason, message, **evidence)


def requirements(after: tuple[Requirement, ...]) -> tuple[Requirement, ...]:
    """The webhook requirements, after the token check ``after`` names (each connector's own);
    cited from the profile's [webhook] quote when it has one."""
    present = Requirement(
        "webhook.present", "The vendor's webhook is installed", "webhook",
        "The organization's (or repository's) webhooks include one that delivers to the "
        "vendor's URL.",
        "Let the vendor create its webhook (its guide: once the account is an organization "
        "owner and a repository is imported), or add it as the vendor documents.",
        after=after, cites="webhook", needs_passed=frozenset({"org.owner"}), own=OWN)
    config = Requirement(
        "webhook.config", "The vendor's webhook is set up to work", "webhook",
        "The hook is active, subscribed to the events the vendor needs, sends the content "
        "type it reads, verifies TLS and signs its deliveries with a secret.",
        "Edit the webhook (Settings > Webhooks) as the message says.", after=(present,),
        cites="webhook", own=OWN)
    deliveries = Requirement(
        "webhook.deliveries", "Recent deliveries reach the vendor", "webhook",
        "The hook's recent deliveries, as GitHub recorded them, were answered 2xx by the "
        "vendor.",
        "Fix what the message names on the code host's side (its outbound firewall, its HTTP "
        "proxy, its trust store), then redeliver a failed delivery.", after=(present,),
        cites="webhook", own=OWN)
    ping = Requirement(
        "webhook.ping", "A ping reaches the vendor now", "webhook",
        "A ping sent now (--ping-webhooks) is delivered and answered 2xx.",
        "Fix what the message names, then ping again.", after=(present,), cites="webhook",
        own=OWN)
    return present, config, deliveries, ping


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _hook_url(hook: dict[str, Any]) -> str:
    config = _table(hook.get("config"))
    return str(config.get("url") or "")


def vendor_hooks(exchange: HttpExchange, vendor: str) -> list[dict[str, Any]]:
    """The hooks of a listing that deliver to the vendor."""
    return [h for h in shared.listed(exchange) if shared.matches(_hook_url(h), vendor)]


def _shown(hook: dict[str, Any]) -> dict[str, Any]:
    """A hook as the evidence shows it: its URL without credentials, never its secret."""
    config = _table(hook.get("config"))
    return {"id": hook.get("id"), "url": shared.shown_url(_hook_url(hook))[:300],
            "active": hook.get("active"), "events": list(hook.get("events") or [])[:50],
            "content_type": config.get("content_type"),
            "insecure_ssl": config.get("insecure_ssl"),
            "secret": "set" if config.get("secret") else "not set"}


def presence(exchange: HttpExchange, where: str, vendor: str, kind: str,
             earlier: Sequence[HttpExchange] = ()) -> Verdict:
    """GET /orgs/ORG/hooks or /repos/OWNER/REPO/hooks (the last page read; ``earlier``, the
    pages before it): a hook delivers to the vendor."""
    early = github.refusal(exchange)
    if early is not None:
        return early
    evidence = github.summary(exchange)
    needs = "admin:org_hook and an organization owner" if kind == "organization" else \
        "admin:repo_hook (or repo) and admin rights on the repository"
    if exchange.status in (403, 404):
        return _say(
            reasons.WEBHOOK_HOOKS_HIDDEN,
            f"GitHub refuses to list the webhooks of the {kind} {where} ({exchange.status}: "
            f"{github.message_of(exchange) or 'Not Found'}): listing them takes {needs}",
            **evidence)
    data = exchange.json()
    if exchange.status != 200 or not isinstance(data, list):
        return github.unexpected(exchange, "a list of webhooks")
    hooks = [h for page in (*earlier, exchange) for h in shared.listed(page)]
    found = [h for h in hooks if shared.matches(_hook_url(h), vendor)]
    evidence["vendor_url"] = shared.shown_url(vendor)
    evidence["hooks"] = [_shown(h) for h in hooks[:SHOWN_HOOKS]]
    if found:
        ids = ", ".join(str(h.get("id")) for h in found)
        noun = "hooks" if len(found) > 1 else "hook"
        return passed(f"the {kind} {where} has the vendor's webhook ({noun} {ids}, delivering "
                      f"to {shared.shown_url(_hook_url(found[0]))[:200]})", **evidence)
    others = ", ".join(shared.shown_url(_hook_url(h))[:120] for h in hooks[:5]) or "none"
    more = page_links(exchange).get("next")
    return _say(
        reasons.WEBHOOK_MISSING,
        f"none of the {len(hooks)}{' first' if more else ''} webhooks of the {kind} {where} "
        f"delivers to the vendor ({shared.shown_url(vendor)}); its hooks deliver to: {others}",
        **evidence)


def configuration(hook: dict[str, Any], where: str, wanted: Webhook | None) -> Verdict:
    """One vendor hook's settings: active, the events and content type the vendor needs,
    TLS verification on, a secret set (whether, never what)."""
    shown = _shown(hook)
    config = _table(hook.get("config"))
    events = [str(e) for e in hook.get("events") or []]
    needed = list(wanted.events) if wanted is not None else []
    missing = [e for e in needed if e not in events and "*" not in events]
    problems: list[tuple[Reason, str]] = []
    if hook.get("active") is not True:
        problems.append((reasons.WEBHOOK_INACTIVE, f"the vendor's webhook {where} is not active: "
                                               f"GitHub sends it nothing"))
    if missing:
        problems.append((reasons.WEBHOOK_EVENTS_MISSING,
                         f"the vendor's webhook {where} is not subscribed to "
                         f"{', '.join(missing)} (it sends {', '.join(events) or 'no events'})"))
    content = str(config.get("content_type") or "form")
    if wanted is not None and wanted.content_type and content != wanted.content_type:
        problems.append((reasons.WEBHOOK_CONTENT_TYPE,
                         f"the vendor's webhook {where} sends {content} payloads; the vendor "
                         f"reads {wanted.content_type}"))
    if str(config.get("insecure_ssl", "0")) != "0":
        problems.append((reasons.WEBHOOK_TLS_UNVERIFIED,
                         f"the vendor's webhook {where} has SSL verification disabled "
                         f"(insecure_ssl {config.get('insecure_ssl')!r}): GitHub delivers to "
                         f"whoever answers for the vendor's host"))
    if not config.get("secret"):
        problems.append((reasons.WEBHOOK_NO_SECRET,
                         f"the vendor's webhook {where} has no secret: the vendor cannot tell "
                         f"its deliveries from forged ones (X-Hub-Signature-256)"))
    return shared.worst(problems, FIXES, f"the vendor's webhook {where} is active, sends "
                        f"{', '.join(events) or 'its events'} as {content}, verifies TLS and "
                        f"signs with a secret", hook=shown, events_needed=needed)


# What a failed delivery's status means, in GitHub's words ("Troubleshooting webhooks").
def _kind(delivery: dict[str, Any]) -> str:
    status = str(delivery.get("status") or "").lower()
    code = delivery.get("status_code")
    code = code if isinstance(code, int) else 0
    if 200 <= code < 300 or status == "ok":
        return "ok"
    if "timed out" in status or "timeout" in status:
        return "timeout"
    if "failed to connect to host" in status or "resolve" in status:
        return "unreachable"
    if "failed to connect to network" in status or "refused" in status:
        return "refused"
    if "certificate" in status or "ssl" in status or "tls" in status:
        return "certificate"
    if code == 407:
        return "proxy"
    if 500 <= code < 600:
        return "vendor_error"
    if 400 <= code < 500:
        return "rejected"
    if "invalid http response" in status:
        return "vendor_error"
    return "failed"


_FAILURES: dict[str, tuple[Reason, str]] = {
    "timeout": (reasons.WEBHOOK_DELIVERY_TIMEOUT,
                "GitHub got no answer within its limit (10 s on github.com, 30 s on GHES)"),
    "unreachable": (reasons.WEBHOOK_DELIVERY_UNREACHABLE,
                    "GitHub could not resolve the vendor's host, or a network restriction "
                    "kept it from connecting (\"failed to connect to host\")"),
    "refused": (reasons.WEBHOOK_DELIVERY_REFUSED,
                "the connection to the vendor was refused (\"failed to connect to network\")"),
    "certificate": (reasons.WEBHOOK_DELIVERY_UNTRUSTED,
                    "the code host does not trust the certificate it was shown for the "
                    "vendor's host (\"Peer certificate cannot be authenticated with given CA "
                    "certificates\")"),
    "proxy": (reasons.WEBHOOK_DELIVERY_PROXY, "an HTTP proxy on the way refused the delivery "
                                          "(407: it wants credentials)"),
    "vendor_error": (reasons.WEBHOOK_DELIVERY_VENDOR_ERROR,
                     "the vendor's endpoint answered with a server error"),
    "rejected": (reasons.WEBHOOK_DELIVERY_REJECTED,
                 "the vendor's endpoint rejected the delivery (a 4xx: a wrong URL, or a "
                 "secret the vendor does not accept)"),
    "failed": (reasons.WEBHOOK_DELIVERY_FAILED, "the delivery failed"),
}


def _timeline(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"at": str(d.get("delivered_at", ""))[:40], "event": str(d.get("event", ""))[:60],
             "status": str(d.get("status", ""))[:120], "status_code": d.get("status_code"),
             "duration_s": d.get("duration"), "outcome": _kind(d)} for d in found[:RECENT]]


def deliveries(exchange: HttpExchange, where: str) -> Verdict:
    """GET .../hooks/ID/deliveries: the recent deliveries, newest first. The newest failed:
    a failure named for its cause; an older one failed: a warning with the share."""
    early = github.refusal(exchange)
    if early is not None:
        return early
    evidence = github.summary(exchange)
    if exchange.status == 404:
        return reasons.NOT_APPLICABLE(
            f"GitHub keeps no delivery log for {where} that this server shows (404: the "
            f"deliveries API came with GitHub Enterprise Server 3.2): see the hook's Recent "
            f"Deliveries tab", **evidence)
    data = exchange.json()
    if exchange.status != 200 or not isinstance(data, list):
        return github.unexpected(exchange, "a list of deliveries")
    found = sorted((d for d in data if isinstance(d, dict)),
                   key=lambda d: str(d.get("delivered_at", "")), reverse=True)
    evidence["deliveries"] = _timeline(found)
    if not found:
        return _say(
            reasons.WEBHOOK_NO_DELIVERIES,
            f"GitHub has no recent delivery of the vendor's webhook {where}: nothing shows "
            f"that its deliveries reach the vendor (an event it is subscribed to, or "
            f"--ping-webhooks, makes one)", **evidence)
    kinds = [_kind(d) for d in found]
    failed = [d for d, k in zip(found, kinds, strict=True) if k != "ok"]
    last_ok = next((d for d, k in zip(found, kinds, strict=True) if k == "ok"), None)
    since = (f"; the last success was at {last_ok.get('delivered_at')}" if last_ok
             else "; none of them succeeded")
    share = f"{len(failed)} of the {len(found)} recent deliveries failed"
    evidence["failed"] = len(failed)
    evidence["last_success"] = last_ok.get("delivered_at") if last_ok else None
    if not failed:
        return passed(f"the {len(found)} recent deliveries of the vendor's webhook {where} "
                      f"were all answered 2xx (the newest at {found[0].get('delivered_at')})",
                      **evidence)
    newest = found[0]
    cause = failed[0]
    made, means = _FAILURES[_kind(cause)]
    said = (f"{cause.get('status') or 'failed'}"
            + (f" ({cause.get('status_code')})" if cause.get("status_code") else ""))
    if _kind(newest) != "ok":
        return _say(made, f"the newest delivery of the vendor's webhook {where} failed: {said}: "
                    f"{means}; {share}{since}", **evidence)
    return _say(
        reasons.WEBHOOK_DELIVERIES_INTERMITTENT,
        f"{share} for the vendor's webhook {where}; the newest succeeded; the last failure "
        f"({cause.get('delivered_at')}) was {said}: {means}", **evidence)


def last_response(hook: dict[str, Any], where: str) -> Verdict:
    """A repository hook's last_response, for a server without the deliveries API."""
    response = _table(hook.get("last_response"))
    code, status, message = response.get("code"), response.get("status"), response.get("message")
    evidence: dict[str, Any] = {"last_response": {"code": code, "status": status, "message":
                                  str(message or "")[:300]}}
    if status == "unused" or code is None:
        return _say(
            reasons.WEBHOOK_NO_DELIVERIES,
            f"the vendor's webhook {where} has not delivered anything yet (last_response "
            f"{status or 'empty'})", **evidence)
    if isinstance(code, int) and 200 <= code < 300:
        return passed(f"the last delivery of the vendor's webhook {where} was answered {code}",
                      **evidence)
    kind = _kind({"status": message or status, "status_code": code})
    made, means = _FAILURES[kind]
    return _say(made, f"the last delivery of the vendor's webhook {where} failed: "
                f"{message or status} ({code}): {means}", **evidence)


def ping_delivery(reads: Sequence[HttpExchange], sent_at: datetime | None
                  ) -> dict[str, Any] | None:
    """The newest ping delivery the reads show, made after the ping was sent."""
    after = (sent_at - timedelta(minutes=2)).isoformat() if sent_at else ""
    for read in reversed(reads):
        data = read.json()
        if read.status != 200 or not isinstance(data, list):
            continue
        pings = sorted((d for d in data if isinstance(d, dict) and d.get("event") == "ping"
                        and _comparable(d.get("delivered_at")) >= after),
                       key=lambda d: str(d.get("delivered_at", "")), reverse=True)
        if pings:
            return pings[0]
    return None


def ping(sent: HttpExchange, reads: Sequence[HttpExchange], where: str,
         sent_at: datetime | None) -> Verdict:
    """POST .../pings (204), then the deliveries read until the ping's shows."""
    early = github.refusal(sent)
    if early is not None:
        return early
    evidence = github.summary(sent)
    if sent.status != 204:
        return github.unexpected(sent, "204 (the ping was sent)")
    delivery = ping_delivery(reads, sent_at)
    if delivery is None:
        return _say(
            reasons.WEBHOOK_PING_UNSEEN,
            f"the ping was sent to the vendor's webhook {where}, but its delivery did not show "
            f"in the hook's log within {len(reads)} reads, a second apart", **evidence)
    evidence["delivery"] = _timeline([delivery])[0]
    if _kind(delivery) == "ok":
        return passed(f"the ping sent to the vendor's webhook {where} was delivered and "
                      f"answered {delivery.get('status_code')}", **evidence)
    made, means = _FAILURES[_kind(delivery)]
    return _say(made, f"the ping sent to the vendor's webhook {where} failed: "
                f"{delivery.get('status')} ({delivery.get('status_code')}): {means}",
                **evidence)


def _comparable(text: Any) -> str:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).isoformat()
    except ValueError:
        return ""


def places(context: RunContext, flag: str) -> list[tuple[str, str]]:
    """Where the webhook checks look: the organization (--org) and the repository (--repo),
    when the vendor's webhook URL is known (the option, or the profile's)."""
    if not shared.vendor_url(context, flag):
        return []
    return [*([("organization", context.org)] if context.org else []),
            *([("repository", context.repo)] if context.repo else [])]


async def run(plan: Plan, context: RunContext, api: str, token: Secret | None,
              checks: tuple[Requirement, ...], flag: str,
              waits: Mapping[str, Sequence[str]]) -> None:
    """The webhook checks of an organization (and a --repo): ``waits``, by kind of place, the
    particular checks (a hook scope's, the organization role's) they wait for besides the
    token."""
    present = checks[0]
    vendor = shared.vendor_url(context, flag)
    looked = places(context, flag)
    if not looked or token is None:
        return
    for kind, where in looked:
        plan.expect(present, where, after=waits.get(kind, ()))
    answers = {}
    for kind, where in looked:
        if plan.ready(present, where):
            path = f"orgs/{where}" if kind == "organization" else f"repos/{where}"
            answers[(kind, where, path)] = HttpRequest(
                "GET", f"{api}/{path}/hooks?per_page=100", token=token, headers=_ACCEPT)
    def holds_vendors(page: HttpExchange) -> bool:
        return bool(vendor_hooks(page, vendor))

    found = await asyncio.gather(*(shared.pages(context, request, holds_vendors)
                                   for request in answers.values()))
    hooks: list[tuple[str, str, dict[str, Any]]] = []
    for (kind, where, path), pages in zip(answers, found, strict=True):
        exchange = pages[-1]
        plan.add(present, where, presence(exchange, where, vendor, kind, pages[:-1]),
                 sum(p.elapsed_s for p in pages))
        if exchange.status == 200:
            hooks += [(kind, f"{where}/hooks/{h.get('id')}", h | {"_path": path})
                      for h in vendor_hooks(exchange, vendor)[:SHOWN_HOOKS]]
    # Each hook's log and ping read concurrently; the verdicts added in the hooks' order, so
    # a replay lists them as the run did.
    found_hooks = await asyncio.gather(*(_read_hook(context, api, token, kind, where, hook)
                                         for kind, where, hook in hooks))
    present, config, delivered, pinged = checks
    for (kind, where, hook), (log, ping_answers) in zip(hooks, found_hooks, strict=True):
        after = [present.at(where.rsplit("/hooks/", 1)[0])]
        for requirement in (config, delivered):
            plan.expect(requirement, where, after=after)
        plan.add(config, where, configuration(hook, where, context.profile.webhook))
        if log.status == 404 and kind == "repository":
            plan.add(delivered, where, last_response(hook, where), log.elapsed_s)
        else:
            plan.add(delivered, where, deliveries(log, where), log.elapsed_s)
        if ping_answers is not None:
            sent, reads = ping_answers
            plan.expect(pinged, where, after=after)
            plan.add(pinged, where, ping(sent, reads, where, answered_at(sent)))


async def _read_hook(context: RunContext, api: str, token: Secret, kind: str, where: str,
                     hook: dict[str, Any]
                     ) -> tuple[HttpExchange, tuple[HttpExchange, list[HttpExchange]] | None]:
    """A hook's recent deliveries; with --ping-webhooks, the ping and the reads after it."""
    base = f"{api}/{hook['_path']}/hooks/{hook.get('id')}"
    log = await context.facts.http(HttpRequest(
        "GET", f"{base}/deliveries?per_page={RECENT}", token=token, headers=_ACCEPT))
    if not context.ping_webhooks:
        return log, None
    sent = await context.facts.http(HttpRequest("POST", f"{base}/pings", token=token,
                                                headers=_ACCEPT))
    sent_at = answered_at(sent)

    def read(n: int) -> HttpRequest:  # a distinct page size for each read
        return HttpRequest("GET", f"{base}/deliveries?per_page={10 + n}", token=token,
                           headers=_ACCEPT)

    reads = await shared.poll(context, read, lambda found: ping_delivery(
        found, sent_at) is not None) if sent.status == 204 else []
    return log, (sent, reads)
