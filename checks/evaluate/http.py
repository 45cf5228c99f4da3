"""What every API evaluator says first: the request failed, redirected, errored or was limited."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from checks import reasons
from checks.model.observations import HttpExchange
from checks.model.verdict import Verdict, passed

# Headers every platform's answers are shown with; a platform adds its own (Http.headers).
SHOWN_HEADERS = frozenset({"content-type", "location", "retry-after", "date", "server"})


def json_message(data: Any) -> str:
    """The plain reading of an error body: {"message": "..."}."""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


@dataclass(frozen=True)
class Http:
    """How one platform's API answers are judged before their own meaning applies: the core
    speaks no platform. ``name`` is how a message quotes it ("NAME says ..."), ``message``
    reads an error message from a JSON body, ``headers`` are the platform's headers worth
    showing as evidence (rate-limit headers always are)."""

    name: str = "the server"
    message: Callable[[Any], str] = json_message
    headers: frozenset[str] = frozenset()

    def summary(self, exchange: HttpExchange) -> dict[str, Any]:
        """The evidence every HTTP verdict shows: request, status, a few telling headers."""
        shown = {name: value for name, value in exchange.headers.items()
                 if name in SHOWN_HEADERS or name in self.headers
                 or name.startswith(("x-ratelimit", "ratelimit"))}
        data: dict[str, Any] = {"request": f"{exchange.method} {exchange.url}",
                                "elapsed_s": exchange.elapsed_s}
        if exchange.error:
            data["error"] = f"{exchange.error}: {exchange.detail}"
        else:
            data.update(status=exchange.status, headers=shown)
        return data

    def message_of(self, exchange: HttpExchange) -> str:
        return self.message(exchange.json())

    def failure(self, exchange: HttpExchange) -> Verdict | None:
        return failure(exchange, self)

    def rate_limit(self, exchange: HttpExchange) -> Verdict | None:
        return rate_limit(exchange, self)

    def api_answer(self, exchange: HttpExchange, product: str) -> Verdict | None:
        return api_answer(exchange, product, self)

    def unexpected(self, exchange: HttpExchange, wanted: str) -> Verdict:
        return unexpected(exchange, wanted, self)

    def endpoint(self, exchange: HttpExchange, name: str, expected: int,
                 refused: Callable[[HttpExchange, dict[str, Any]], Verdict | None]) -> Verdict:
        return endpoint(exchange, name, expected, refused, self)


PLAIN = Http()


def summary(exchange: HttpExchange, http: Http = PLAIN) -> dict[str, Any]:
    return http.summary(exchange)


# OpenSSL's words for TLS 1.3's alert 116: the server wanted a client certificate.
_CERTIFICATE_REQUIRED = re.compile(r"CERTIFICATE_REQUIRED|alert certificate required",
                                   re.IGNORECASE)

# nginx's answer with ssl_verify_client on, when the client sent no certificate.
_NGINX_NO_CERTIFICATE = "No required SSL certificate was sent"


def failure(exchange: HttpExchange, http: Http = PLAIN) -> Verdict | None:
    """A verdict when the exchange failed before the endpoint's own meaning applies."""
    evidence = http.summary(exchange)
    url = exchange.url
    if exchange.error == "timeout":
        return reasons.HTTP_TIMEOUT(f"{exchange.method} {url} got no answer: {exchange.detail}",
                                    **evidence)
    if exchange.error == "too_large":
        return reasons.HTTP_RESPONSE_TOO_LARGE(
            f"{exchange.method} {url} answered {exchange.status}, but {exchange.detail}: "
            f"reading stopped there", **evidence)
    if exchange.error and (_CERTIFICATE_REQUIRED.search(exchange.detail)
                           or exchange.client_certificate_requested):
        alert = ("TLS alert 116, certificate_required, after the handshake"
                 if _CERTIFICATE_REQUIRED.search(exchange.detail) else
                 "the handshake asked for a client certificate, and the connection broke on "
                 "the first request")
        names = exchange.client_ca_names
        return reasons.TLS_CLIENT_CERTIFICATE_REQUIRED(
            f"{exchange.method} {url}: the server asked for a client certificate (mutual TLS) "
            f"and refused the connection without one ({alert}: {exchange.detail}); "
            + (f"it accepts certificates issued by: {'; '.join(names[:5])}" if names
               else "it named no CA it accepts"), **evidence, client_ca_names=list(names))
    if exchange.status == 400 and _NGINX_NO_CERTIFICATE in exchange.body[:4096]:
        return reasons.TLS_CLIENT_CERTIFICATE_REQUIRED(
            f"{exchange.method} {url}: the server asked for a client certificate (mutual TLS) "
            f"and, without one, answered 400 \"{_NGINX_NO_CERTIFICATE}\" (nginx's "
            f"ssl_verify_client on)", **evidence)
    if exchange.error:
        return reasons.HTTP_CONNECTION_FAILED(
            f"{exchange.method} {url} failed ({exchange.error}): {exchange.detail}", **evidence)
    status = exchange.status or 0
    if 300 <= status < 400:
        where = exchange.header("location") or "(no Location header)"
        return reasons.HTTP_REDIRECTED(f"{url} answers {status} and redirects to {where}",
                                       **evidence)
    limited = rate_limit(exchange, http)
    if limited is not None:
        return limited
    if status >= 500:
        return reasons.HTTP_SERVER_ERROR(f"{url} answered {status}: {_first_bytes(exchange)}",
                                         **evidence)
    return None


def rate_limit(exchange: HttpExchange, http: Http = PLAIN) -> Verdict | None:
    """A rate limit, 403 or 429: the primary kind (x-ratelimit-remaining: 0, with the time it
    resets) or the secondary kind (Retry-After, or a message that says so), as the code
    hosts send them.
    """
    if exchange.status not in (403, 429):
        return None
    remaining = exchange.header("x-ratelimit-remaining")
    retry_after = exchange.header("retry-after")
    message = http.message_of(exchange)
    secondary = "secondary rate limit" in message.lower()
    if not (remaining == "0" or retry_after or secondary or exchange.status == 429):
        return None
    when = ""
    wait, at = exchange.whole_number("retry-after", digits=9), reset_time(exchange)
    if wait is not None:
        when = f"retry after {wait} s"
    elif remaining == "0" and at is not None:
        when = f"the limit resets at {at:%Y-%m-%d %H:%M:%S} UTC"
        now = server_time(exchange)
        if now is not None:
            when += f" (in {max(0, int((at - now).total_seconds()) // 60)} min)"
    elif remaining == "0":
        when = "when the limit resets is unknown (the server sent no usable x-ratelimit-reset)"
    kind = "secondary" if secondary or (retry_after and remaining != "0") else "primary"
    return reasons.HTTP_RATE_LIMITED(
        f"{exchange.url} answered {exchange.status}: {kind} rate limit exceeded; "
        f"{when or 'wait a few minutes before retrying'}"
        + (f" ({http.name} says: {message})" if message else ""), **http.summary(exchange))


def reset_time(exchange: HttpExchange) -> datetime | None:
    """When the rate limit resets (x-ratelimit-reset), if the header holds a usable time."""
    reset = exchange.whole_number("x-ratelimit-reset")
    try:
        return datetime.fromtimestamp(reset, UTC) if reset is not None else None
    except (OverflowError, OSError, ValueError):
        return None


def message_of(exchange: HttpExchange, http: Http = PLAIN) -> str:
    return http.message_of(exchange)


def server_time(exchange: HttpExchange) -> datetime | None:
    date = exchange.header("date")
    if not date:
        return None
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def answered_at(exchange: HttpExchange) -> datetime | None:
    """When the answer came: this machine's clock at receipt, else the server's Date."""
    if exchange.received_at:
        return datetime.fromisoformat(exchange.received_at)
    return server_time(exchange)


def _first_bytes(exchange: HttpExchange, limit: int = 200) -> str:
    text = " ".join(exchange.body[:limit].split())
    return repr(text + ("…" if len(exchange.body) > limit else ""))


def api_answer(exchange: HttpExchange, product: str, http: Http = PLAIN) -> Verdict | None:
    """The verdict on "is this the API?" when the answer alone decides it, or None when a 200
    JSON object is there to read. A JSON refusal (private mode, no token) is still the API."""
    early = failure(exchange, http)
    if early is not None:
        return early
    if not isinstance(exchange.json(), dict):
        return unexpected(exchange, f"{product}'s JSON", http)
    if exchange.status != 200:
        return passed(f"{exchange.url} is the {product} API ({exchange.status}: "
                      f"{http.message_of(exchange) or 'JSON'})", **http.summary(exchange))
    return None


def unexpected(exchange: HttpExchange, wanted: str, http: Http = PLAIN) -> Verdict:
    return reasons.HTTP_UNEXPECTED_RESPONSE(
        f"{exchange.url} answered {exchange.status} with {exchange.content_type or 'no content type'}"
        f", not {wanted}: first bytes {_first_bytes(exchange)}",
        first_bytes=exchange.body[:200], **http.summary(exchange))


def endpoint(exchange: HttpExchange, name: str, expected: int,
             refused: Callable[[HttpExchange, dict[str, Any]], Verdict | None],
             http: Http = PLAIN) -> Verdict:
    """An endpoint a profile lists (``name``: "GET /path"), answering ``expected`` with JSON
    (HEAD: without a body); ``refused`` says, in the platform's words, why it was refused."""
    evidence = http.summary(exchange)
    early = failure(exchange, http)
    if early is not None:
        return early
    said = refused(exchange, evidence)
    if said is not None:
        return said
    if exchange.status != expected or (exchange.method != "HEAD" and exchange.json() is None):
        return unexpected(exchange, f"{expected} with the endpoint's JSON", http)
    return passed(f"{name} answers {expected}", **evidence)
