"""What every connector's webhook checks share: the vendor's webhook URL (the connector's
option, else the profile's), whether a hook's URL is the vendor's, a hook URL as reports
show it, and a listing read page by page until the vendor's hook shows. Exported to
connectors as ``checks.api.webhooks``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from checks.model.endpoints import HttpRequest
from checks.model.observations import HttpExchange
from checks.probes.http import page_links
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
