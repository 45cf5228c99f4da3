"""Forward-proxy evaluators: the CONNECT tunnel, and the TLS seen through it against the
server's own (direct) chain."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from checks import reasons
from checks.evaluate import tls
from checks.model.observations import ProxyTunnel, TlsHandshake
from checks.model.trust import Trust
from checks.model.verdict import Verdict, passed

EXCERPT = 300  # characters of a proxy's refusal page quoted


def _evidence(tunnel: ProxyTunnel) -> dict[str, Any]:
    evidence: dict[str, Any] = {"proxy": tunnel.proxy, "target": tunnel.target,
                                "connected_to": f"{tunnel.address}:{tunnel.port}",
                                "elapsed_s": tunnel.elapsed_s,
                                "credentials_given": tunnel.credentials_given}
    if tunnel.status is not None:
        evidence["answer"] = f"{tunnel.status} {tunnel.reason}".strip()
        evidence["headers"] = {name: value for name, value in tunnel.headers.items()
                               if name in ("proxy-authenticate", "server", "via", "content-type",
                                           "x-squid-error", "x-deny-reason")}
    if tunnel.error:
        evidence["error"] = f"{tunnel.error}: {tunnel.detail}"
    return evidence


def schemes(tunnel: ProxyTunnel) -> list[str]:
    """The authentication schemes a 407 offers (Proxy-Authenticate), as named there."""
    offered = tunnel.headers.get("proxy-authenticate", "")
    found = re.findall(r"(?:^|,)\s*([A-Za-z][\w-]*)(?=\s|,|$)", offered)
    return list(dict.fromkeys(found))


def _page(tunnel: ProxyTunnel) -> str:
    """What the proxy's page says, as text: tags dropped, space collapsed, bounded."""
    text = html.unescape(re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", tunnel.body,
                                flags=re.S | re.I))
    text = " ".join(text.split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def tunnel(observed: ProxyTunnel) -> Verdict:
    evidence = _evidence(observed)
    via = f"the proxy {observed.proxy}"
    if observed.error == "connect":
        return reasons.PROXY_UNREACHABLE(f"{via} does not accept connections at "
                                         f"{observed.address}:{observed.port}: {observed.detail}",
                                         **evidence)
    if observed.error == "timeout":
        return reasons.PROXY_TIMEOUT(f"{via}: {observed.detail}", **evidence)
    if observed.error == "protocol":
        page = _page(observed)
        return reasons.PROXY_PROTOCOL(f"{via} did not open a tunnel to {observed.target}: "
                                      f"{observed.detail}" + (f"; its page says: {page!r}"
                                                               if page else ""), **evidence)
    status = observed.status or 0
    if status == 407:
        offered = schemes(observed)
        given = ("the credentials given in the proxy URL were refused" if
                 observed.credentials_given else "no credentials were given (the proxy URL has "
                                                 "no USER:PASSWORD@)")
        basic = any(s.lower() == "basic" for s in offered)
        fix = None if basic or not offered else (
            f"The proxy offers only {', '.join(offered)}, which connector-checks and most "
            f"vendors' clients cannot speak to a proxy: ask for {observed.target.split(':')[0]} "
            f"to be exempted from proxy authentication, or run a local relay that speaks it "
            f"(cntlm, px) and point HTTPS_PROXY at it.")
        return reasons.PROXY_AUTH_REQUIRED(
            f"{via} wants credentials to open a tunnel to {observed.target} (407 "
            f"{observed.reason or 'Proxy Authentication Required'}); it offers "
            f"{', '.join(offered) or 'no scheme it names'}; {given}", fix,
            schemes=offered, **evidence)
    if status != 200:
        page = _page(observed)
        return reasons.PROXY_REFUSED(
            f"{via} refuses a tunnel to {observed.target}: {status} {observed.reason}".rstrip()
            + (f"; its page says: {page!r}" if page else ""), **evidence)
    if observed.error:  # the tunnel opened; the handshake through it is proxy.tls's to judge
        return passed(f"{via} opened a tunnel to {observed.target} ({status})", **evidence)
    return passed(f"{via} opened a tunnel to {observed.target} ({status} "
                  f"{observed.reason})".rstrip(), **evidence)


def _fingerprint(pem: str) -> str:
    return x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256()).hex()


def tls_through(observed: ProxyTunnel, direct: TlsHandshake | None, trust: Trust,
                now: datetime) -> Verdict:
    """:func:`_tls_through`'s verdict, saying (as a field the run decides by) whether the
    HTTP client trusts the chain seen through the proxy."""
    verdict = _tls_through(observed, direct, trust, now)
    return replace(verdict, trusted_by_http_client=verdict.evidence.get(
        "trusted_by_http_client") is True)


def _tls_through(observed: ProxyTunnel, direct: TlsHandshake | None, trust: Trust,
                 now: datetime) -> Verdict:
    """The chain the server presents through the proxy: the server's own (the same leaf as
    directly, or, with no direct handshake from here, a chain to a public root), or one the
    proxy made, whose CA is named."""
    evidence = _evidence(observed)
    host = observed.target.rpartition(":")[0].strip("[]")
    if observed.error == "timeout":
        return reasons.PROXY_TIMEOUT(f"through the proxy {observed.proxy}: {observed.detail}",
                                     **evidence)
    if observed.error or not observed.chain_pem:
        return reasons.PROXY_TLS_FAILED(
            f"the tunnel through the proxy {observed.proxy} opened, but "
            f"{observed.detail or 'no certificate was presented'}", **evidence)
    seen = TlsHandshake(host, int(observed.target.rpartition(":")[2]), observed.address,
                        observed.port, version=observed.version, chain_pem=observed.chain_pem)
    judged = tls.public_ca(seen, trust, now)
    evidence.update(chain=judged.evidence.get("chain", []),
                    trusted_by_http_client=judged.evidence.get("trusted_by_http_client"))
    proxied = [x509.load_pem_x509_certificate(p.encode()) for p in observed.chain_pem]
    issuer = tls.name_of(proxied[-1].issuer if len(proxied) == 1 else proxied[-1].subject)
    if direct is not None and direct.chain_pem:
        evidence["direct_leaf_sha256"] = _fingerprint(direct.chain_pem[0])
        if _fingerprint(direct.chain_pem[0]) == _fingerprint(observed.chain_pem[0]):
            return passed(f"through the proxy {observed.proxy} the server presents its own "
                          f"certificate, the one it presents directly", **evidence)
        own = x509.load_pem_x509_certificate(direct.chain_pem[0].encode())
        return reasons.PROXY_TLS_INSPECTION(
            f"through the proxy {observed.proxy} the server presents a certificate issued by "
            f"{tls.name_of(proxied[0].issuer)} (chain up to {issuer}), not its own, which is "
            f"issued by {tls.name_of(own.issuer)}: the proxy inspects TLS, and the API checks "
            f"of this run go through it", **evidence)
    # No direct handshake from here: the chain through the proxy is judged alone.
    if judged.outcome in ("passed", "warning"):
        return passed(f"through the proxy {observed.proxy} the chain validates to a public "
                      f"root (no direct handshake from here to compare with)", **evidence)
    if judged.reason in ("tls.intercepted", "tls.untrusted_root", "tls.unknown_issuer",
                         "tls.self_signed"):
        return reasons.PROXY_TLS_INSPECTION(
            f"through the proxy {observed.proxy} the server presents a certificate issued by "
            f"{tls.name_of(proxied[0].issuer)} (chain up to {issuer}), which is not a public "
            f"CA: the proxy most likely inspects TLS ({judged.message})", **evidence)
    return Verdict(judged.outcome, judged.reason,
                   f"through the proxy {observed.proxy}: {judged.message}", judged.remediation,
                   {**judged.evidence, **evidence})
