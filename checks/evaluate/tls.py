"""TLS evaluators: the handshake, the chain's trust, and the certificate's names."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    ObjectIdentifier,
    SignatureAlgorithmOID,
)
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from checks import reasons
from checks.evaluate.interception import interceptor
from checks.model.observations import HttpExchange, TlsHandshake
from checks.model.trust import Trust
from checks.model.verdict import Verdict, passed

OLD_PROTOCOLS = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}
WEAK_HASHES = (hashes.SHA1, hashes.MD5)
MIN_RSA_BITS = 2048


def handshake(observed: TlsHandshake) -> Verdict:
    where = f"{observed.host}:{observed.port}"
    evidence: dict[str, Any] = {"connected_to": f"{observed.address}:{observed.connect_port}",
                "detail": observed.detail, "elapsed_s": observed.elapsed_s}
    if observed.error == "timeout":
        return reasons.TLS_HANDSHAKE_TIMEOUT(
            f"{where} accepted the TCP connection but no TLS handshake completed: "
            f"{observed.detail}", **evidence)
    if observed.error == "not_tls":
        return reasons.TLS_NOT_TLS(f"{where} does not speak TLS: {observed.detail}; something "
                                   f"else (often plain HTTP) answers on this port", **evidence)
    if observed.error == "protocol":
        return reasons.TLS_PROTOCOL_TOO_OLD(
            f"{where} offers no TLS version this client accepts: {observed.detail}", **evidence)
    if observed.client_certificate_requested:
        evidence.update(client_certificate="requested by the server",
                        client_ca_names=list(observed.client_ca_names))
    if observed.error and observed.client_certificate_requested:
        return reasons.TLS_CLIENT_CERTIFICATE_REQUIRED(
            f"{where} asked for a client certificate (mutual TLS) and refused the handshake "
            f"without one ({observed.detail}); {accepted_cas(observed.client_ca_names)}",
            **evidence)
    if observed.error:
        return reasons.TLS_HANDSHAKE_FAILED(f"TLS with {where} failed: {observed.detail}",
                                            **evidence)
    evidence.update(version=observed.version, cipher=observed.cipher)
    if observed.version in OLD_PROTOCOLS:
        return reasons.TLS_PROTOCOL_TOO_OLD(
            f"{where} negotiated {observed.version}; TLS 1.2 or newer is required", **evidence)
    asked = (f"; it asked for a client certificate ({accepted_cas(observed.client_ca_names)}) "
             f"and completed the handshake without one: with TLS 1.3 a server that requires "
             f"one refuses on the first request, which the API checks show"
             if observed.client_certificate_requested else "")
    return passed(f"{where} completed a {observed.version} handshake ({observed.cipher}){asked}",
                  **evidence)


def accepted_cas(names: Sequence[str]) -> str:
    """The CA names a server listed in its CertificateRequest, in words."""
    if not names:
        return "it named no CA it accepts"
    shown = "; ".join(names[:5]) + (f"; and {len(names) - 5} more" if len(names) > 5 else "")
    return f"it accepts certificates issued by: {shown}"


def public_ca(observed: TlsHandshake, trust: Trust, now: datetime,
              fetched: HttpExchange | None = None) -> Verdict:
    """:func:`_public_ca`'s verdict, saying (as a field the run decides by) whether the HTTP
    client trusts the chain, as its evidence tells the reader."""
    verdict = _public_ca(observed, trust, now, fetched)
    return replace(verdict, trusted_by_http_client=verdict.evidence.get(
        "trusted_by_http_client") is True)


def _public_ca(observed: TlsHandshake, trust: Trust, now: datetime,
               fetched: HttpExchange | None = None) -> Verdict:
    """Two judges, both offline from the recorded chain at the time it was seen. OpenSSL's own
    chain verification (what Python, curl, Ruby and the vendor's client run) decides: when it
    refuses, the check fails with the cause our walk of the chain names. When it accepts, our
    own stated rules (a weak key, a SHA-1 signature, the wrong purpose) can still fail it, and
    cryptography's strict Web PKI verifier, when it alone refuses, makes it a warning
    (tls.nonconformant) that names the rule. The name is tls.hostname's to judge, not this
    check's. ``fetched``: the missing intermediate, fetched from the leaf's AIA URL."""
    chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in observed.chain_pem]
    evidence: dict[str, Any] = {"chain": [describe(cert) for cert in chain],
                                "public_roots": trust.public_label}
    if not chain:
        return reasons.TLS_HANDSHAKE_FAILED("the server presented no certificate", **evidence)
    accepted = openssl_refusal(chain, trust.public_roots, now)
    strict = verify(chain, trust.public_roots, now, _name_to_verify(observed.host, chain[0]))
    if strict is not None and _about_names(strict):
        strict = None  # a name the leaf lacks is tls.hostname's verdict, not the chain's
    evidence["openssl"] = accepted or "accepted"
    evidence["verifier"] = strict or "accepted"
    path, anchor, anchor_kind = _build_path(chain, trust)
    evidence["path"] = [_name(cert.subject) for cert in path]
    if anchor is not None:
        evidence["anchor"] = f"{_name(anchor.subject)} ({anchor_kind})"
    problems = _problems(chain, path, anchor, anchor_kind, trust, now)
    # What the HTTP client will do (OpenSSL over the public roots and --ca-bundle; a weak
    # signature or key it refuses at its security level): the API checks run when it trusts
    # the chain, whatever tls.public_ca says about the vendor (checks.connectors.network).
    weak = {reasons.TLS_WEAK_SIGNATURE, reasons.TLS_WEAK_KEY}
    client_refusal = (openssl_refusal(chain, (*trust.public_roots, *trust.private_cas), now)
                      if trust.private_cas else accepted)
    evidence["trusted_by_http_client"] = (client_refusal is None
                                          and not any(reason in weak for reason, _ in problems))
    if accepted is not None and not problems:
        problems = [_openssl_reason(accepted)]
    if problems and problems[0][0] is reasons.TLS_INCOMPLETE_CHAIN:
        problems[0] = (problems[0][0], problems[0][1] + _fetched(fetched, chain, trust, now,
                                                                 evidence))
    evidence["problems"] = [f"{reason.code}: {text}" for reason, text in problems]
    if problems:
        reason, text = problems[0]
        more = len(problems) - 1
        return reason(text + (f" (and {more} more problem{'s' * (more > 1)}: see evidence)"
                              if more else ""), **evidence)
    leaf = chain[0]
    expiring = expiring_soon(leaf, now)
    if expiring is not None:
        return reasons.TLS_EXPIRING_SOON(expiring, **evidence)
    assert anchor is not None  # OpenSSL accepted and the walk reached a root
    if strict is not None:
        rule, where = _broken_rule(strict)
        return reasons.TLS_NONCONFORMANT(
            f"OpenSSL-based clients (Python, curl, Ruby, Java, the vendor's) accept the chain to "
            f"{_name(anchor.subject)}, but a strict Web PKI verifier refuses it: {rule}"
            + (f" on {where}" if where else ""), **evidence)
    return passed(f"the chain validates to the public root {_name(anchor.subject)}; the "
                  f"certificate is valid until {leaf.not_valid_after_utc:%Y-%m-%d}", **evidence)


def expiring_soon(leaf: x509.Certificate, now: datetime) -> str | None:
    """Why the certificate counts as expiring, judged against its own lifetime: less than a
    third of it left (where ACME clients renew, so a renewal failed), never with half or more
    ahead. None when it is not."""
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    left = leaf.not_valid_after_utc - now
    if lifetime <= timedelta(0) or left * 3 >= lifetime:
        return None
    return (f"the certificate for {_name(leaf.subject)} expires on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d} ({_days(left)} left of its "
            f"{_days(lifetime)} lifetime): it should have been renewed with a third left")


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 2 else f"{span.total_seconds() / 3600:.0f} hours"


def openssl_refusal(chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate],
                    now: datetime) -> str | None:
    """OpenSSL's own verdict on the chain (X509_verify_cert, through pyOpenSSL), at ``now``,
    over exactly ``roots``: None when it accepts, else its reason and the certificate it
    stopped at."""
    if not roots:
        return "no trust anchors"
    from OpenSSL import crypto

    store = crypto.X509Store()
    for root in roots:
        store.add_cert(crypto.X509.from_cryptography(root))
    store.set_time(now)
    context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(chain[0]),
                                      [crypto.X509.from_cryptography(c) for c in chain[1:]])
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as error:
        code, _, said = error.errors if len(error.errors) == 3 else (0, 0, str(error))
        where = _name(error.certificate.to_cryptography().subject) if error.certificate else ""
        return f"{said} (OpenSSL error {code}{f', at {where}' if where else ''})"
    if not _fit_for_tls_server(chain[0]):
        # A TLS client verifies for the purpose "SSL server" (pyOpenSSL's store sets none):
        # the leaf's extended key usage and key usage must allow it.
        return f"unsuitable certificate purpose (OpenSSL error 26, at {_name(chain[0].subject)})"
    return None


def _usage_refused(leaf: x509.Certificate) -> x509.ExtendedKeyUsage | None:
    """The leaf's extended key usage when it is present and allows no TLS server."""
    usages = _extension(leaf, x509.ExtendedKeyUsage)
    if usages is not None and not {ExtendedKeyUsageOID.SERVER_AUTH,
                                   ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} & set(usages):
        return usages
    return None


def _key_usage_refused(leaf: x509.Certificate) -> bool:
    """The leaf's key usage is present and allows neither a signature nor key exchange."""
    key_usage = _extension(leaf, x509.KeyUsage)
    return key_usage is not None and not (key_usage.digital_signature
                                          or key_usage.key_encipherment
                                          or key_usage.key_agreement)


def _fit_for_tls_server(leaf: x509.Certificate) -> bool:
    """OpenSSL's purpose check for a TLS server's certificate (check_purpose_ssl_server)."""
    return _usage_refused(leaf) is None and not _key_usage_refused(leaf)


# OpenSSL's verify error codes (x509_vfy.h) and what each means here.
_OPENSSL_CODES: dict[int, reasons.Reason] = {
    9: reasons.TLS_NOT_YET_VALID, 10: reasons.TLS_EXPIRED, 18: reasons.TLS_SELF_SIGNED,
    19: reasons.TLS_UNTRUSTED_ROOT, 20: reasons.TLS_UNKNOWN_ISSUER,
    21: reasons.TLS_INCOMPLETE_CHAIN, 24: reasons.TLS_NOT_A_CA, 26: reasons.TLS_WRONG_PURPOSE,
}


def _openssl_reason(refusal: str) -> tuple[reasons.Reason, str]:
    """What OpenSSL's refusal means, when our walk found no cause of its own."""
    code = re.search(r"OpenSSL error (\d+)", refusal)
    reason = _OPENSSL_CODES.get(int(code.group(1)) if code else 0, reasons.TLS_INVALID_CHAIN)
    return reason, f"OpenSSL (as the vendor's client runs it) refuses the chain: {refusal}"


def _about_names(refusal: str) -> bool:
    return "subjectAltName" in refusal or "2.5.29.17" in refusal or "SAN" in refusal


# The extensions a strict verifier names by number, by the names RFC 5280 gives them.
_EXTENSION_NAMES = {"2.5.29.19": "basicConstraints", "2.5.29.35": "authorityKeyIdentifier",
                    "2.5.29.14": "subjectKeyIdentifier", "2.5.29.15": "keyUsage",
                    "2.5.29.37": "extendedKeyUsage", "2.5.29.17": "subjectAltName",
                    "2.5.29.30": "nameConstraints", "2.5.29.32": "certificatePolicies",
                    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess"}


def _broken_rule(refusal: str) -> tuple[str, str]:
    """The rule a strict verifier's message names (with its extension's name) and the
    certificate it was processing."""
    where = re.search(r"subject=<Name\((.*?)\)>", refusal)
    rule = refusal.split(" (encountered processing")[0].removeprefix("validation failed: ")
    for oid, name in _EXTENSION_NAMES.items():
        rule = rule.replace(f"{oid}:", f"{name} ({oid}):")
    return rule, where.group(1) if where else ""


def missing_issuer_url(observed: TlsHandshake, trust: Trust) -> str | None:
    """The http:// URL (AIA caIssuers) of the intermediate a server leaves out of its chain,
    when it leaves one out and the certificate says where it is published; None otherwise.
    Only http:// (as CAs publish them): fetching it over TLS would need that very chain."""
    if not observed.chain_pem:
        return None
    chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in observed.chain_pem]
    path, anchor, _ = _build_path(chain, trust)
    top = path[-1]
    url = _issuer_url(top) if anchor is None and not _is_ca(top) else None
    return url if url is not None and url.lower().startswith("http://") else None


def _fetched(fetched: HttpExchange | None, chain: Sequence[x509.Certificate], trust: Trust,
             now: datetime, evidence: dict[str, Any]) -> str:
    """What the missing intermediate, fetched from its AIA URL, says: which certificate it
    is, whether it completes the chain to a public root; a failed fetch is evidence."""
    if fetched is None:
        return ""
    fetch: dict[str, Any] = {"url": fetched.url, "status": fetched.status,
                             "error": f"{fetched.error}: {fetched.detail}" if fetched.error
                             else None}
    evidence["aia_fetch"] = fetch
    if fetched.error or fetched.status != 200:
        return (f". It could not be fetched from there ({fetch['error'] or fetched.status}), so "
                f"which intermediate is missing is not known from here")
    found = _certificates(fetched.body.encode("latin-1", "replace"))
    issuer = next((c for c in found if _issued_by(chain[-1], c)), None)
    if issuer is None:
        return (f". What is published there ({len(found)} certificate"
                f"{'s' * (len(found) != 1)}) is not the issuer of {_name(chain[-1].subject)}")
    evidence["missing_intermediate"] = describe(issuer)
    completed = [*chain, issuer]
    public = openssl_refusal(completed, trust.public_roots, now) is None
    leads = ("and with it the chain leads to a public root" if public else
             "but even with it the chain does not lead to a public root")
    return (f". The missing certificate is {_name(issuer.subject)} (fetched from there), {leads}: "
            f"browsers, which fetch missing intermediates, will connect; curl, Python, Java and "
            f"the vendor's client do not fetch them, and will not")


def _certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates published at an AIA URL: DER (as most CAs publish), PEM, or PKCS #7."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    loaders: list[Callable[[bytes], list[x509.Certificate]]] = [
        lambda der: [x509.load_der_x509_certificate(der)], x509.load_pem_x509_certificates,
        pkcs7.load_der_pkcs7_certificates, pkcs7.load_pem_pkcs7_certificates]
    for load in loaders:
        try:
            return list(load(data))
        except ValueError:
            continue
    return []


def verify(chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate],
           now: datetime, name: x509.DNSName | x509.IPAddress) -> str | None:
    """cryptography's strict Web PKI verdict on the chain for a server named ``name``: None
    when it accepts, else its message (with the certificate it was processing)."""
    if not roots:
        return "no trust anchors"
    verifier = (PolicyBuilder().store(Store(list(roots))).time(now)
                .build_server_verifier(name))
    try:
        verifier.verify(chain[0], list(chain[1:]))
    except VerificationError as error:
        return str(error)
    return None


def _name_to_verify(host: str, leaf: x509.Certificate) -> x509.DNSName | x509.IPAddress:
    """The chain is judged here, the name by tls.hostname: verify for a name the leaf holds."""
    dns_names, ips = subject_alt_names(leaf)
    if not _matches(host, dns_names, ips):
        if ips:
            return x509.IPAddress(ipaddress.ip_address(ips[0]))
        concrete = [n.replace("*", "wildcard", 1) for n in dns_names if n.count("*") <= 1]
        if concrete:
            host = concrete[0]
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def hostname(observed: TlsHandshake, trust: Trust | None = None,
             now: datetime | None = None) -> Verdict:
    """RFC 6125 matching; where the verifier can build the chain (over the public roots and
    --ca-bundle), its name rules must agree too."""
    chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in observed.chain_pem]
    leaf = chain[0]
    dns_names, ips = subject_alt_names(leaf)
    evidence: dict[str, Any] = {"name": observed.host, "subject_alt_names": dns_names + ips,
                                "subject": _name(leaf.subject)}
    listed = ", ".join(dns_names + ips) or "none"
    if not _matches(observed.host, dns_names, ips):
        return reasons.TLS_HOSTNAME_MISMATCH(
            f"the certificate does not name {observed.host}; its subjectAltNames are: {listed}"
            + ("" if dns_names or ips else " (a common name alone is not accepted)"), **evidence)
    if trust is not None and now is not None:
        roots = (*trust.public_roots, *trust.private_cas)
        wanted = _name_to_verify(observed.host, leaf)
        refusal = verify(chain, roots, now, wanted)
        if refusal is not None and "subjectAltName" in refusal:
            return reasons.TLS_HOSTNAME_MISMATCH(
                f"a strict TLS client finds no subjectAltName for {observed.host} "
                f"({refusal}); the certificate lists: {listed}", verifier=refusal, **evidence)
        evidence["verifier"] = refusal or "accepted"
    return passed(f"the certificate names {observed.host}", **evidence)


# -- chain analysis ------------------------------------------------------------------------

def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, UnsupportedAlgorithm):
        # verify_directly_issued_by refuses SHA-1 and MD5; check those signatures by hand so
        # the chain is still followed and the weak signature named.
        return _weak_signature_verifies(cert, issuer)
    except (InvalidSignature, TypeError):
        return False
    return True


def _weak_signature_verifies(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    algorithm, key = _hash(cert), issuer.public_key()
    if not isinstance(algorithm, WEAK_HASHES):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _build_path(
    chain: Sequence[x509.Certificate], trust: Trust
) -> tuple[list[x509.Certificate], x509.Certificate | None, str]:
    """Follow the presented chain from the leaf to a known root, as far as it goes."""
    path = [chain[0]]
    while True:
        current = path[-1]
        for root in trust.public_roots:
            if _issued_by(current, root):
                return path, root, "public root"
        for ca in trust.private_cas:
            if _issued_by(current, ca):
                return path, ca, f"private CA from {trust.private_label}"
        if _issued_by(current, current):
            return path, current, "self-signed, sent by the server"
        following = [c for c in chain[1:] if c not in path and _issued_by(current, c)]
        if not following:
            return path, None, ""
        path.append(following[0])


def _problems(
    chain: Sequence[x509.Certificate], path: list[x509.Certificate],
    anchor: x509.Certificate | None, anchor_kind: str, trust: Trust, now: datetime,
) -> list[tuple[reasons.Reason, str]]:
    found: list[tuple[reasons.Reason, str]] = []
    leaf, top = chain[0], path[-1]
    intercepted = interceptor(chain) if not anchor_kind.startswith("public") else None
    if intercepted is not None:
        product, ca = intercepted
        found.append((reasons.TLS_INTERCEPTED,
                      f"the chain is issued by {ca}, the CA of {product.product} (a "
                      f"{product.kind} that intercepts TLS): this network re-signs the "
                      f"server's certificate, so the server's own certificate cannot be seen "
                      f"from here"))
    if anchor is top and anchor_kind.startswith("self-signed"):
        if top is leaf:
            found.append((reasons.TLS_SELF_SIGNED,
                          f"the server presents a self-signed certificate for {_name(leaf.subject)}"))
        else:
            found.append((reasons.TLS_UNTRUSTED_ROOT,
                          f"the chain ends at {_name(top.subject)}, a self-signed root that is "
                          f"not among the public roots ({trust.public_label})"))
    elif anchor is None:
        found.append(_missing_issuer(top, trust))
    elif anchor_kind.startswith("private"):
        found.append((reasons.TLS_UNTRUSTED_ROOT,
                      f"the chain leads to {_name(anchor.subject)}, a private CA ({anchor_kind}) "
                      f"that is not a public root: the vendor will not trust it"))
    found += _purpose(leaf, path, anchor)
    for cert in path:
        if now > cert.not_valid_after_utc:
            found.append((reasons.TLS_EXPIRED,
                          f"{_name(cert.subject)} expired on {cert.not_valid_after_utc:%Y-%m-%d}"))
        elif now < cert.not_valid_before_utc:
            found.append((reasons.TLS_NOT_YET_VALID,
                          f"{_name(cert.subject)} is valid only from "
                          f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"))
    for cert in path:
        if cert is anchor and anchor is not leaf:
            continue  # a root's self-signature is not relied on
        algorithm = _hash(cert)
        if isinstance(algorithm, WEAK_HASHES):
            found.append((reasons.TLS_WEAK_SIGNATURE,
                          f"{_name(cert.subject)} is signed with {algorithm.name.upper()}"))
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
            found.append((reasons.TLS_WEAK_KEY,
                          f"{_name(cert.subject)} has a {key.key_size}-bit RSA key"))
    return sorted(found, key=lambda item: _PRECEDENCE.index(item[0]))


def _missing_issuer(top: x509.Certificate, trust: Trust) -> tuple[reasons.Reason, str]:
    """The chain stops at ``top``, whose issuer is neither sent nor known: say what is known."""
    issuer = _name(top.issuer)
    if _is_ca(top):
        return (reasons.TLS_UNTRUSTED_ROOT,
                f"the chain's top certificate {_name(top.subject)} is issued by {issuer}, which "
                f"the server does not send and which is not a public root "
                f"({trust.public_label}): a private or unknown root")
    published = _issuer_url(top)
    if published is not None:
        return (reasons.TLS_INCOMPLETE_CHAIN,
                f"the server sends {_name(top.subject)} without its issuer {issuer}, whose "
                f"certificate the CA publishes at {published} (its Authority Information "
                f"Access): the intermediate is missing from the server's chain")
    return (reasons.TLS_UNKNOWN_ISSUER,
            f"the server sends {_name(top.subject)}, issued by {issuer}, without that "
            f"issuer's certificate; the issuer is not a public CA this machine knows, and the "
            f"certificate does not say where its issuer is published: either a public CA's "
            f"intermediate is missing from the server's chain, or {issuer} is a private CA. "
            f"Ask who issued it, or compare with `openssl s_client -showcerts`")


E = TypeVar("E", bound=x509.ExtensionType)


def _extension(cert: x509.Certificate, kind: type[E]) -> E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = _extension(cert, x509.BasicConstraints)
    return constraints is not None and constraints.ca


def _issuer_url(cert: x509.Certificate) -> str | None:
    """Where the issuer's certificate is published (AIA caIssuers), read, never fetched."""
    for description in _extension(cert, x509.AuthorityInformationAccess) or ():
        if (description.access_method == AuthorityInformationAccessOID.CA_ISSUERS
                and isinstance(description.access_location, x509.UniformResourceIdentifier)):
            return str(description.access_location.value)
    return None


_USAGE_NAMES = {ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
                ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
                ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
                ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
                ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
                ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning"}


def _purpose(leaf: x509.Certificate, path: Sequence[x509.Certificate],
             anchor: x509.Certificate | None) -> list[tuple[reasons.Reason, str]]:
    """Certificates doing a job they were not made for: a signer that is not a CA, a server
    certificate not made for TLS servers."""
    found = []
    for cert in path[1:]:
        if not _is_ca(cert):
            found.append((reasons.TLS_NOT_A_CA,
                          f"{_name(cert.subject)} signed the certificate below it but is not a "
                          f"CA (basic constraints): no TLS client accepts what it signs"))
    if _is_ca(leaf) and anchor is not leaf:
        found.append((reasons.TLS_WRONG_PURPOSE,
                      f"the server presents {_name(leaf.subject)}, a CA certificate, as its own "
                      f"certificate"))
    usages = _usage_refused(leaf)
    if usages is not None:
        allowed = ", ".join(_USAGE_NAMES.get(u, u.dotted_string) for u in usages) or "nothing"
        found.append((reasons.TLS_WRONG_PURPOSE,
                      f"{_name(leaf.subject)} is made for {allowed}, not TLS server "
                      f"authentication (extended key usage)"))
    if _key_usage_refused(leaf):
        found.append((reasons.TLS_WRONG_PURPOSE,
                      f"{_name(leaf.subject)}'s key usage allows neither digital signatures "
                      f"nor key exchange, which a TLS server needs"))
    return found


# Root causes first: a renewal does not fix a self-signed or private certificate, and from
# behind an interception proxy nothing about the server can be seen.
_PRECEDENCE = [reasons.TLS_INTERCEPTED, reasons.TLS_SELF_SIGNED, reasons.TLS_UNTRUSTED_ROOT,
               reasons.TLS_INCOMPLETE_CHAIN, reasons.TLS_UNKNOWN_ISSUER, reasons.TLS_NOT_A_CA,
               reasons.TLS_WRONG_PURPOSE, reasons.TLS_EXPIRED, reasons.TLS_NOT_YET_VALID,
               reasons.TLS_WEAK_SIGNATURE, reasons.TLS_WEAK_KEY, reasons.TLS_INVALID_CHAIN]


def _hash(cert: x509.Certificate) -> hashes.HashAlgorithm | None:
    try:
        return cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None


# -- names -----------------------------------------------------------------------------------

def subject_alt_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return [], []
    assert isinstance(san, x509.SubjectAlternativeName)
    return (san.get_values_for_type(x509.DNSName),
            [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])


def _matches(host: str, dns_names: list[str], ips: list[str]) -> bool:
    """RFC 6125: no common-name fallback; a wildcard is a whole leftmost label matching one label."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return any(ipaddress.ip_address(other) == ip for other in ips)
    wanted = host.lower().rstrip(".").split(".")
    for name in dns_names:
        labels = name.lower().rstrip(".").split(".")
        if len(labels) != len(wanted):
            continue
        if labels == wanted:
            return True
        if labels[0] == "*" and len(labels) > 2 and labels[1:] == wanted[1:]:
            return True
    return False


def _name(name: x509.Name) -> str:
    return name.rfc4514_string() or "(empty name)"


name_of = _name


def _key(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return type(key).__name__.removesuffix("PublicKey")
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return type(key).__name__


_SIGNATURE_NAMES: dict[ObjectIdentifier, str] = {
    getattr(SignatureAlgorithmOID, name): name.lower().replace("_", "-")
    for name in dir(SignatureAlgorithmOID) if name.isupper()
}


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """One certificate as the evidence shows it."""
    dns_names, ips = subject_alt_names(cert)
    oid = cert.signature_algorithm_oid
    return {
        "subject": _name(cert.subject),
        "issuer": _name(cert.issuer),
        "subject_alt_names": dns_names + ips,
        "not_before": f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ}",
        "not_after": f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}",
        "key": _key(cert),
        "signature_algorithm": _SIGNATURE_NAMES.get(oid, oid.dotted_string),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper(),
    }
