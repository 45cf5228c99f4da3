"""What every connector's webhook checks share: the vendor's webhook URL (the connector's
option, else the profile's), whether a hook's URL is the vendor's, a hook URL as reports
show it, and a listing read page by page until the vendor's hook shows. Exported to
connectors as ``checks.api.webhooks``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from checks.model.endpoints import HttpRequest
from checks.model.observations import HttpExchange
from checks.model.verdict import Outcome, Verdict, passed
from checks.probes.http import page_links
from checks.reasons import Reason
from checks.run import RunContext


def vendor_url(context: RunContext, flag: str) -> str:
    """The vendor's webhook URL (or its start): the option ``flag``, else the profile's."""
    given = context.option(flag)
    if given:
        return str(given)
    hook = context.profile.webhook
    return hook.url if hook is not None else ""


def shown_url(url: str) -> str:
    """A hook's URL as reports show it: a user name, password or query (where a token may
    ride) hidden."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "****@" + netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}{'?****' if parts.query else ''}" \
        if parts.scheme else url[:40]


def matches(url: str, vendor: str) -> bool:
    """Whether a hook's URL is the vendor's: it starts with the vendor's URL (scheme and host
    in any case)."""
    def normal(text: str) -> str:
        parts = urlsplit(text.strip())
        return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}" \
               f"{':' + str(parts.port) if parts.port else ''}{parts.path}"

    try:
        return bool(vendor) and normal(url).startswith(normal(vendor).rstrip("/"))
    except ValueError:
        return False


def listed(exchange: HttpExchange) -> list[dict[str, Any]]:
    """The objects of a JSON list answer (anything else: none)."""
    data = exchange.json()
    return [h for h in data if isinstance(h, dict)] if isinstance(data, list) else []


async def pages(context: RunContext, first: HttpRequest,
                found: Callable[[HttpExchange], bool]) -> list[HttpExchange]:
    """A listing's pages, following its Link rel=next (on the same host) until ``found``
    says a page holds what is looked for, at most --max-pages."""
    read = [await context.facts.http(first)]
    while read[-1].status == 200 and not found(read[-1]) and len(read) < context.max_pages:
        following = page_links(read[-1]).get("next")
        if not following or urlsplit(following).hostname != urlsplit(first.url).hostname:
            break
        read.append(await context.facts.http(replace(first, url=following)))
    return read


POLLS = 5  # reads after a ping, a second apart


def say(fixes: Mapping[str, str], reason: Reason, message: str, **evidence: Any) -> Verdict:
    """A webhook verdict, the platform's way to the fix (``fixes``, by reason code) after the
    reason's platform-neutral remediation."""
    extra = fixes.get(reason.code)
    return reason(message, f"{reason.remediation} {extra}" if extra else None, **evidence)


def worst(problems: Sequence[tuple[Reason, str]], fixes: Mapping[str, str], fine: str,
          **evidence: Any) -> Verdict:
    """A hook's settings judged: ``fine`` when nothing is wrong, else its worst problem (a
    failure before a warning, in the order found), every problem in the evidence."""
    evidence["problems"] = [f"{r.code}: {said}" for r, said in problems]
    if not problems:
        return passed(fine, **evidence)
    first, said = sorted(problems, key=lambda p: 0 if p[0].outcome is Outcome.FAILED else 1)[0]
    more = f" (and {len(problems) - 1} more: see problems)" if len(problems) > 1 else ""
    return say(fixes, first, said + more, **evidence)


async def poll(context: RunContext, read: Callable[[int], HttpRequest],
               seen: Callable[[list[HttpExchange]], bool]) -> list[HttpExchange]:
    """The reads after a ping, a second apart (at once in a replay), until ``seen`` finds its
    delivery or a read fails. Each read is its own request (``read(n)`` makes the n-th), so a
    recording holds every one of them."""
    reads: list[HttpExchange] = []
    for n in range(POLLS):
        if not context.facts.replay:
            await asyncio.sleep(1.0)
        reads.append(await context.facts.http(read(n)))
        if reads[-1].status != 200 or seen(reads):
            break
    return reads
