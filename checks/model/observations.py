"""Observations: plain, serializable records of what the probes saw.

Live probes produce them; offline scenarios load them; evaluators read them. Every field is
JSON-shaped so an observation can be written to a report and replayed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from checks.model.addresses import host_port


@dataclass(frozen=True)
class RecordSet:
    """The answer to one DNS question (one name, one record type)."""

    rdtype: str  # "A" | "AAAA"
    addresses: tuple[str, ...] = ()
    error: str | None = None  # nxdomain | no_answer | servfail | timeout | no_resolver | error
    detail: str = ""
    cnames: tuple[str, ...] = ()  # the aliases followed, in order: each CNAME's target


@dataclass(frozen=True)
class DnsLookup:
    name: str
    servers: str  # "system" or "127.0.0.1:5353, ..."
    a: RecordSet
    aaaa: RecordSet
    elapsed_s: float = 0.0

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.a.addresses + self.aaaa.addresses

    @property
    def cnames(self) -> tuple[str, ...]:
        """The alias chain from the name, as either question followed it."""
        return self.a.cnames or self.aaaa.cnames


@dataclass(frozen=True)
class TcpConnect:
    address: str
    port: int
    error: str | None = None  # refused | timeout | unreachable | local_limit | error
    detail: str = ""
    elapsed_s: float = 0.0
    local_address: str = ""  # this machine's address the connection left from

    @property
    def endpoint(self) -> str:
        return host_port(self.address, self.port)


@dataclass(frozen=True)
class TlsHandshake:
    host: str  # the name sent as SNI and checked against the certificate
    port: int
    address: str  # where the connection went
    connect_port: int
    error: str | None = None  # timeout | not_tls | protocol | failed | refused | ...
    detail: str = ""
    version: str | None = None  # "TLSv1.3"
    cipher: str | None = None
    chain_pem: tuple[str, ...] = ()  # as presented by the server, leaf first
    elapsed_s: float = 0.0
    # The server sent a CertificateRequest (mutual TLS), and the CA names it listed in it
    # (as RFC 4514 strings; none when it listed none).
    client_certificate_requested: bool = False
    client_ca_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProxyTunnel:
    """A CONNECT through a forward proxy, and the TLS handshake seen through the tunnel."""

    proxy: str  # the proxy's URL, credentials hidden
    address: str  # where the proxy was reached
    port: int
    target: str  # host:port asked for
    status: int | None = None  # the proxy's answer to CONNECT
    reason: str = ""  # its reason phrase
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    body: str = ""  # the first bytes of a refusal page
    credentials_given: bool = False  # whether Proxy-Authorization was sent (never its value)
    error: str | None = None  # timeout | connect | protocol | tls | ...
    detail: str = ""
    version: str | None = None  # TLS through the tunnel
    chain_pem: tuple[str, ...] = ()  # as presented through the tunnel, leaf first
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class HttpExchange:
    method: str
    url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # response, names lower-cased
    body: str = ""  # first 64 KiB of the response body
    error: str | None = None  # timeout | connect | tls | protocol | error
    detail: str = ""
    elapsed_s: float = 0.0
    received_at: str = ""  # this machine's clock when the answer arrived (ISO 8601, UTC)
    # The TLS handshake with this host asked for a client certificate (mutual TLS), and the
    # CA names it listed: told by the run from its own TLS observation, never recorded.
    client_certificate_requested: bool = False
    client_ca_names: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def whole_number(self, name: str, digits: int = 11) -> int | None:
        """A header holding a whole number (seconds, a Unix time), ASCII digits only and not
        absurdly long; None for anything else ("²", "1e9", 99999999999999999)."""
        text = (self.header(name) or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON when the server said it is JSON and it nests no deeper than
        :data:`JSON_DEPTH`, else None (what no API answers is an unexpected response)."""
        if "json" not in self.content_type:
            return None
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return value if _shallow(self.body) else None


JSON_DEPTH = 64  # GitHub's and GitLab's answers nest a handful of levels
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def _shallow(text: str) -> bool:
    """Whether valid JSON ``text`` nests at most JSON_DEPTH deep: with strings and everything
    but brackets taken out, each pass removes the innermost pairs (C speed, a pass per level);
    cheap for the common case, where the brackets are few."""
    if text.count("[") + text.count("{") <= JSON_DEPTH:
        return True
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(JSON_DEPTH):
        brackets, removed = _INNERMOST.subn("", brackets)
        if not brackets:
            return True
        if not removed:
            return False
    return not brackets


def as_data(observation: object) -> dict[str, Any]:
    """An observation as JSON-shaped data (for reports)."""
    data = asdict(observation)  # type: ignore[call-overload]
    assert isinstance(data, dict)
    return data
