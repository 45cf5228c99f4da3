"""--record: a live run saved as a scenario file (format in docs/scenarios.md), so that
`--offline --scenario PATH` replays it and reaches the same verdicts.

Everything the run observed is kept: DNS answers, TCP connects, TLS handshakes with their
chains, every HTTP exchange. No secret is: credentials are recorded by kind only (a token's
prefix, a key's type), tokens the server handed out are replaced by stand-ins (and the
requests that used them matched by those), no Authorization or cookie header is kept, and
every string passes through the run's redactor.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from checks.jobs import Job, Result
from checks.model.addresses import host_port
from checks.model.keys import load_private_key
from checks.model.observations import (
    DnsLookup,
    HttpExchange,
    ProxyTunnel,
    RecordSet,
    TcpConnect,
    TlsHandshake,
)
from checks.model.secret import Redactor, Secret, token_prefix
from checks.model.vantage import Vantage
from checks.model.verdict import Outcome
from checks.probes.http import BINARY_TYPES, UNANSWERED
from checks.run import Observed
from checks.settings import Settings

SCHEMA = 1
# Response headers a replay must not reuse (the body is recorded decoded) or that are secret.
_DROPPED = {"content-encoding", "content-length", "transfer-encoding", "set-cookie",
            "connection", "keep-alive"}


def record(result: Result, settings: Settings, vantage: Vantage, tool_version: str,
           redact: Redactor) -> dict[str, Any]:
    job = result.job
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "connector": job.connector.name,
        "description": f"recorded live from {vantage} on {result.started_at:%Y-%m-%d %H:%M} UTC",
        "recorded_at": result.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recorded": {"at": result.started_at.isoformat(timespec="seconds"),
                     "vantage": vantage.as_data(), "tool_version": tool_version},
        "target": job.target.url,
        **({"org": job.org} if job.org else {}),
        **({"repo": job.repo} if job.repo else {}),
        **({"options": dict(job.options)} if job.options else {}),
        # The profile the run followed, whole: a replay follows it again without the file.
        "profile": {"name": job.profile.name, "toml": job.profile.text},
        "env": dict(job.env),
        "credentials": _credentials(job),
        "trust": {key: list(bundle.pem_list) for key, bundle in
                  zip(("public_roots", "ca_bundle"), job.given_trust, strict=True)
                  if bundle is not None},
        "connect_to": [f"{host}:{port}:{host_port(route.address, route.port)}"
                       for (host, port), route in job.routes.items()],
        "public_resolvers": [str(server) for server in job.public_resolvers],
        "require_scopes": list(job.require_scopes),
        "max_pages": job.max_pages,
        "max_installations": job.max_installations,
        "run_timeout": job.run_timeout,
        **({"ping_webhooks": True} if settings.ping_webhooks else {}),
        "proxy_for": dict(result.proxies),
        "dns": {}, "public_dns": {}, "tcp": {}, "tls": {}, "proxy": {}, "http": [],
    }
    handed_out = _handed_out(result.observed)  # a token the server gave out -> its stand-in
    for token in handed_out:
        redact.add(Secret(token, "a token the server handed out"), fragments=False)
    for seen in result.observed:
        item = seen.observation
        if isinstance(item, DnsLookup):
            data[seen.kind][item.name] = {"A": _records(item.a), "AAAA": _records(item.aaaa),
                                          "elapsed_s": item.elapsed_s,
                                          **({"CNAME": list(item.cnames)} if item.cnames
                                             else {})}
        elif isinstance(item, TcpConnect):
            data["tcp"][item.endpoint] = _fields(item, "error", "detail", "elapsed_s",
                                                 "local_address")
        elif isinstance(item, TlsHandshake):
            data["tls"][f"{item.host}:{item.port}"] = {
                **_fields(item, "error", "detail", "version", "cipher", "elapsed_s"),
                **({"client_certificate_requested": True,
                    "client_ca_names": list(item.client_ca_names)}
                   if item.client_certificate_requested else {}),
                "chain": list(item.chain_pem)}
        elif isinstance(item, ProxyTunnel):
            data["proxy"][item.target] = {
                "proxy": item.proxy, "address": item.address, "port": item.port,
                **_fields(item, "status", "reason", "body", "credentials_given", "error",
                          "detail", "version", "elapsed_s"),
                "headers": dict(item.headers), "chain": list(item.chain_pem)}
        elif isinstance(item, HttpExchange) and seen.request is not None:
            data["http"].append(_exchange(item, seen.request.token, seen.request.scheme,
                                          handed_out))
    for request in result.unanswered:
        data["http"].append({"request": {"method": request.method, "url": request.url},
                             "response": {"error": UNANSWERED,
                                          "detail": "unanswered when the run's deadline came"}})
    data["expect"] = [{"check": c.id, "outcome": c.verdict.outcome.value,
                       "reason": c.verdict.reason} for c in result.checks
                      if c.verdict.outcome is not Outcome.PASSED]
    # Certificates are public: kept whole even when one was pasted where a key belongs.
    certificates = {"trust": data.pop("trust"),
                    "chains": {where: entry.pop("chain") for where, entry in data["tls"].items()},
                    "proxied": {where: entry.pop("chain")
                                for where, entry in data["proxy"].items()}}
    # One pass over the whole recording: every secret masked, every handed-out token (a
    # secret the run knows) replaced by its stand-in.
    recorded: dict[str, Any] = redact.data(data, instead=handed_out)
    recorded["trust"] = certificates["trust"]
    for where, chain in certificates["chains"].items():
        recorded["tls"][where]["chain"] = chain
    for where, chain in certificates["proxied"].items():
        recorded["proxy"][where]["chain"] = chain
    return recorded


def _credentials(job: Job) -> dict[str, str]:
    """Each credential the run had, by kind only: a token's prefix, a key's algorithm."""
    kinds = {}
    for name, secret in job.secrets.items():
        if secret is None:
            continue
        kinds[name] = (_key_kind(secret) if name == job.connector.secrets.private_key
                       else token_prefix(secret.reveal()))
    return kinds


def _key_kind(secret: Secret) -> str:
    """What the key text was, so that a replay can stand in text of the same kind."""
    loaded = load_private_key(secret.reveal())
    if loaded.key is not None:
        return f"key:rsa-{loaded.key.key_size}"
    kinds = {"certificate": "key:certificate", "public key": "key:public",
             "encrypted private key": "key:encrypted", "Ed25519": "key:ed25519"}
    if loaded.kind.startswith("EC"):
        return "key:ec-p256"
    return kinds.get(loaded.kind, "key:unreadable")


def _records(records: RecordSet) -> list[str] | dict[str, str]:
    if records.error:
        return {"error": records.error, "detail": records.detail}
    return list(records.addresses)


def _fields(item: object, *names: str) -> dict[str, Any]:
    return {name: getattr(item, name) for name in names if getattr(item, name) not in (None, "")}


def _exchange(exchange: HttpExchange, token: Secret | None, scheme: str,
              handed_out: Mapping[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"method": exchange.method, "url": exchange.url}
    if token is not None and token.reveal() in handed_out:
        # The replayed answer hands out the stand-in; the request that uses it is matched by it.
        request["headers"] = {"Authorization": f"{scheme} {handed_out[token.reveal()]}"}
    if exchange.error:
        return {"request": request, "response": {"error": exchange.error,
                                                 "detail": exchange.detail,
                                                 "elapsed_s": exchange.elapsed_s}}
    headers = {name: value for name, value in exchange.headers.items() if name not in _DROPPED}
    if exchange.content_type in BINARY_TYPES:  # bytes held as Latin-1: recorded as base64
        body = {"base64": base64.b64encode(exchange.body.encode("latin-1")).decode()}
    else:
        body = {"text": exchange.body}
    return {"request": request, "response": {"status": exchange.status, "headers": headers,
                                             **body, "elapsed_s": exchange.elapsed_s}}


def _handed_out(observed: Iterable[Observed]) -> dict[str, str]:
    """Every installation token an answer gave out (GitHub's {"token": ...}), in the order
    they were seen, with its stand-in."""
    handed_out: dict[str, str] = {}
    for seen in observed:
        exchange = seen.observation
        if isinstance(exchange, HttpExchange) and seen.request is not None and not exchange.error:
            data = exchange.json()
            token = data.get("token") if isinstance(data, dict) else None
            if isinstance(token, str) and token:
                handed_out.setdefault(token, f"ghs_stand-in.{len(handed_out) + 1}")
    return handed_out
