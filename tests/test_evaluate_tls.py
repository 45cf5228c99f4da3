"""TLS evaluators on real certificates made in the test."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from checks.evaluate import tls
from checks.evaluate.interception import INTERCEPTORS, interceptor
from checks.model.observations import TlsHandshake
from checks.model.trust import Trust
from checks.scenario import bundled_names, load
from tests.pki import NOW, PUBLIC_ISSUER_URL, Chain, Pki, issue

HOST = "git.example.com"


def seen(chain: Chain | tuple[str, ...], **fields: object) -> TlsHandshake:
    pems = chain.pems if isinstance(chain, Chain) else chain
    return TlsHandshake(HOST, 443, "93.184.215.14", 443, chain_pem=pems,
                        version=fields.pop("version", "TLSv1.3"), **fields)  # type: ignore[arg-type]


def trust(pki: Pki, private: bool = False) -> Trust:
    return Trust((pki.public_root.cert,), "test roots",
                     (pki.private_root.cert,) if private else (), "test bundle")


@pytest.mark.parametrize(("error", "version", "reason"), [
    (None, "TLSv1.3", None), (None, "TLSv1.2", None),
    (None, "TLSv1.1", "tls.protocol_too_old"), (None, "TLSv1", "tls.protocol_too_old"),
    ("timeout", None, "tls.handshake_timeout"), ("not_tls", None, "tls.not_tls"),
    ("protocol", None, "tls.protocol_too_old"), ("failed", None, "tls.handshake_failed"),
])
def test_handshake_outcomes(error: str | None, version: str | None, reason: str | None) -> None:
    assert tls.handshake(seen((), error=error, version=version)).reason == reason


def test_a_complete_public_chain_passes_with_the_chain_as_evidence(pki: Pki) -> None:
    verdict = tls.public_ca(seen(pki.public_chain(HOST)), trust(pki), NOW)
    assert verdict.outcome == "passed"
    leaf = verdict.evidence["chain"][0]
    assert set(leaf) == {"subject", "issuer", "subject_alt_names", "not_before", "not_after",
                         "key", "signature_algorithm", "sha256"}
    assert leaf["key"] == "EC secp256r1" and leaf["signature_algorithm"] == "ecdsa-with-sha256"
    assert len(leaf["sha256"].split(":")) == 32


def _cases(pki: Pki) -> dict[str, tuple[Chain, bool, str]]:
    start, end = NOW - timedelta(days=400), NOW - timedelta(days=1)
    private_leaf = issue(HOST, pki.private_root, sans=(HOST,))
    return {
        "expired": (pki.public_chain(HOST, not_before=start, not_after=end), False, "tls.expired"),
        "not yet valid": (pki.public_chain(HOST, not_before=NOW + timedelta(hours=2)), False,
                          "tls.not_yet_valid"),
        "self-signed": (pki.self_signed(HOST), False, "tls.self_signed"),
        "private ca in the bundle": (Chain(private_leaf, (private_leaf,)), True,
                                     "tls.untrusted_root"),
        "private root sent along": (Chain(private_leaf, (private_leaf, pki.private_root)), False,
                                    "tls.untrusted_root"),
        "leaf alone": (Chain(leaf := pki.public_chain(HOST).leaf, (leaf,)), False,
                       "tls.incomplete_chain"),
        "weak key": (pki.public_chain(HOST, rsa_bits=1024), False, "tls.weak_key"),
        "self-signed and expired": (Chain(s := issue(HOST, sans=(HOST,), not_before=start,
                                                     not_after=end), (s,)), False,
                                    "tls.self_signed"),
    }


@pytest.mark.parametrize("case", ["expired", "not yet valid", "self-signed",
                                  "private ca in the bundle", "private root sent along",
                                  "leaf alone", "weak key", "self-signed and expired"])
def test_each_chain_problem_is_named(pki: Pki, case: str) -> None:
    chain, private, reason = _cases(pki)[case]
    verdict = tls.public_ca(seen(chain), trust(pki, private), NOW)
    assert (verdict.outcome, verdict.reason) == ("failed", reason), verdict.message


def test_a_private_ca_is_never_a_pass_even_when_this_network_trusts_it(pki: Pki) -> None:
    leaf = issue(HOST, pki.private_root, sans=(HOST,))
    verdict = tls.public_ca(seen(Chain(leaf, (leaf,))), trust(pki, private=True), NOW)
    assert verdict.reason == "tls.untrusted_root" and "private CA" in verdict.message


@pytest.mark.parametrize(("lifetime_days", "left_days", "outcome"), [
    (6, 6, "passed"), (29, 29, "passed"), (47, 47, "passed"), (90, 90, "passed"),
    (6, 3, "passed"), (90, 45, "passed"), (90, 31, "passed"), (398, 200, "passed"),
    (90, 29, "warning"), (90, 2, "warning"), (6, 1, "warning"), (47, 15, "warning"),
    (398, 100, "warning"),
])
def test_expiry_is_judged_against_the_certificates_own_lifetime(
    pki: Pki, lifetime_days: int, left_days: int, outcome: str
) -> None:
    """Fresh short-lived certificates (Let's Encrypt's 6 days, 47 days by 2029) pass; a third
    of the lifetime left is where ACME clients renew: less means a renewal failed."""
    issued = NOW - timedelta(days=lifetime_days - left_days)
    chain = pki.public_chain(HOST, not_before=issued,
                             not_after=issued + timedelta(days=lifetime_days))
    verdict = tls.public_ca(seen(chain), trust(pki), NOW)
    assert verdict.outcome == outcome, verdict.message
    if outcome == "warning":
        assert verdict.reason == "tls.expiring_soon"
        assert f"{lifetime_days} days lifetime" in verdict.message


def test_several_problems_are_all_in_the_evidence(pki: Pki) -> None:
    chain = Chain(leaf := issue(HOST, sans=(HOST,), rsa_bits=1024,
                                not_after=NOW - timedelta(days=1)), (leaf,))
    verdict = tls.public_ca(seen(chain), trust(pki), NOW)
    assert [p.split(":")[0] for p in verdict.evidence["problems"]] == [
        "tls.self_signed", "tls.expired", "tls.weak_key"]


@pytest.mark.parametrize(("sans", "host", "matches"), [
    (("git.example.com",), "git.example.com", True),
    (("GIT.Example.com",), "git.example.com", True),
    (("*.example.com",), "git.example.com", True),
    (("*.example.com",), "a.git.example.com", False),
    (("*.example.com",), "example.com", False),
    (("*.com",), "example.com", False),
    (("other.example.com",), "git.example.com", False),
    (("93.184.215.14",), "93.184.215.14", True),
    (("git.example.com",), "93.184.215.14", False),
])
def test_hostname_matching_follows_rfc_6125(pki: Pki, sans: tuple[str, ...], host: str,
                                            matches: bool) -> None:
    leaf = issue(sans[0].replace("*", "wild"), pki.public_intermediate, sans=sans)
    observed = TlsHandshake(host, 443, host, 443, chain_pem=(leaf.pem,))
    verdict = tls.hostname(observed)
    assert (verdict.outcome == "passed") is matches
    if not matches:
        assert verdict.reason == "tls.hostname_mismatch" and sans[0] in verdict.message


def test_a_common_name_without_subject_alt_names_does_not_match(pki: Pki) -> None:
    leaf = issue(HOST, pki.public_intermediate)  # CN only
    verdict = tls.hostname(TlsHandshake(HOST, 443, HOST, 443, chain_pem=(leaf.pem,)))
    assert verdict.reason == "tls.hostname_mismatch" and "common name" in verdict.message


def test_chains_are_judged_at_the_observation_time(pki: Pki) -> None:
    chain = pki.public_chain(HOST, not_after=NOW + timedelta(days=200))
    assert tls.public_ca(seen(chain), trust(pki), NOW + timedelta(days=201)).reason == "tls.expired"




# -- decided by cryptography's verifier, named by our walk ---------------------------------

def _new_cases(pki: Pki) -> dict[str, tuple[Chain, bool, str]]:
    private_ca = issue("Acme Issuing CA 2", pki.private_root, ca=True)
    behind_private = issue(HOST, private_ca, sans=(HOST,))
    not_a_ca = issue("Build Server", pki.public_intermediate, sans=("build.example.com",))
    signed_by_leaf = issue(HOST, not_a_ca, sans=(HOST,))
    client_only = issue(HOST, pki.public_intermediate, sans=(HOST,),
                        usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    ca_as_leaf = issue(HOST, pki.public_intermediate, ca=True, sans=(HOST,))
    private_alone = issue(HOST, pki.private_root, sans=(HOST,))
    return {
        "private intermediate sent, private root not": (
            Chain(behind_private, (behind_private, private_ca)), False, "tls.untrusted_root"),
        "leaf alone, issuer unknown": (Chain(private_alone, (private_alone,)), False,
                                       "tls.unknown_issuer"),
        "signed by a certificate that is not a CA": (
            Chain(signed_by_leaf, (signed_by_leaf, not_a_ca, pki.public_intermediate)), False,
            "tls.not_a_ca"),
        "a leaf made for client authentication only": (
            Chain(client_only, (client_only, pki.public_intermediate)), False,
            "tls.wrong_purpose"),
        "a CA certificate presented as the server's": (
            Chain(ca_as_leaf, (ca_as_leaf, pki.public_intermediate)), False, "tls.wrong_purpose"),
    }


@pytest.mark.parametrize("case", ["private intermediate sent, private root not",
                                  "leaf alone, issuer unknown",
                                  "signed by a certificate that is not a CA",
                                  "a leaf made for client authentication only",
                                  "a CA certificate presented as the server's"])
def test_each_new_chain_problem_is_named(pki: Pki, case: str) -> None:
    chain, private, reason = _new_cases(pki)[case]
    verdict = tls.public_ca(seen(chain), trust(pki, private), NOW)
    assert (verdict.outcome, verdict.reason) == ("failed", reason), verdict.message
    assert "accepted" not in (verdict.evidence["verifier"], verdict.evidence["openssl"]) or \
        "CA certificate" in verdict.message  # OpenSSL lets a CA serve: our rule does not


def test_a_private_root_not_sent_is_named_as_a_private_or_unknown_root(pki: Pki) -> None:
    chain, _, _ = _new_cases(pki)["private intermediate sent, private root not"]
    verdict = tls.public_ca(seen(chain), trust(pki), NOW)
    assert "Acme Corp Internal Root CA" in verdict.message
    assert "a private or unknown root" in verdict.message
    assert "full chain" not in verdict.remediation


def test_an_unknown_issuer_says_both_possibilities_and_how_to_tell(pki: Pki) -> None:
    chain, _, _ = _new_cases(pki)["leaf alone, issuer unknown"]
    verdict = tls.public_ca(seen(chain), trust(pki), NOW)
    assert "either a public CA's intermediate is missing" in verdict.message
    assert "is a private CA" in verdict.message and "Ask who issued it" in verdict.message


def test_an_incomplete_chain_names_where_the_issuer_is_published(pki: Pki) -> None:
    leaf = pki.public_chain(HOST).leaf
    verdict = tls.public_ca(seen(Chain(leaf, (leaf,))), trust(pki), NOW)
    assert verdict.reason == "tls.incomplete_chain" and PUBLIC_ISSUER_URL in verdict.message


def test_a_weak_key_the_verifier_accepts_still_fails_our_stricter_rule(pki: Pki) -> None:
    verdict = tls.public_ca(seen(pki.public_chain(HOST, rsa_bits=1024)), trust(pki), NOW)
    assert verdict.evidence["verifier"] == "accepted"
    assert verdict.reason == "tls.weak_key"


def _interception_chain(common_name: str) -> Chain:
    root = issue(common_name, ca=True)
    leaf = issue(HOST, root, sans=(HOST,))
    return Chain(leaf, (leaf, root))


@pytest.mark.parametrize(("kind", "ca", "product"), [
    ("gateway", "Zscaler Intermediate Root CA", "Zscaler"),
    ("firewall", "FortiGate CA", "Fortinet"),
    ("endpoint", "Kaspersky Anti-Virus Personal Root Certificate", "Kaspersky"),
    ("debugging proxy", "mitmproxy", "mitmproxy"),
    ("known bad root", "eDellRoot", "eDellRoot"),
])
def test_an_interception_ca_is_named_and_the_server_not_blamed(
    pki: Pki, kind: str, ca: str, product: str
) -> None:
    verdict = tls.public_ca(seen(_interception_chain(ca)), trust(pki), NOW)
    assert (verdict.outcome, verdict.reason) == ("failed", "tls.intercepted")
    assert product in verdict.message and kind in verdict.message
    assert "cannot be seen from here" in verdict.message
    assert "--ca-bundle" in verdict.remediation


def test_every_interception_entry_has_a_kind_and_matches_its_own_name() -> None:
    kinds = {entry.kind for entry in INTERCEPTORS}
    assert kinds == {"gateway", "firewall", "endpoint", "debugging proxy", "known bad root"}
    for entry in INTERCEPTORS:
        chain = _interception_chain(f"{entry.names[0]} root").pems
        found = interceptor([x509.load_pem_x509_certificate(p.encode()) for p in chain])
        assert found is not None and found[0] == entry


def test_a_public_chain_is_never_taken_for_interception(pki: Pki) -> None:
    chain = pki.public_chain(HOST)
    assert interceptor([c.cert for c in chain.presented]) is None


def test_an_interception_ca_named_with_ca_bundle_is_still_named_but_lets_the_api_run(
    pki: Pki
) -> None:
    chain = _interception_chain("Zscaler Root CA")
    bundle = Trust((pki.public_root.cert,), "test roots", (chain.presented[1].cert,), "bundle")
    verdict = tls.public_ca(seen(chain), bundle, NOW)
    assert verdict.reason == "tls.intercepted"
    assert verdict.evidence["trusted_by_http_client"] is True


def _every_chain_in_the_suite(pki: Pki) -> list[tuple[str, tuple[str, ...], bool]]:
    chains = [(name, chain.pems, private) for name, (chain, private, _) in
              {**_cases(pki), **_new_cases(pki)}.items()]
    chains.append(("public", pki.public_chain(HOST).pems, False))
    chains += [(f"{c}:{n}", tuple(entry["chain"]), False)
               for c in ("ghes", "github", "gitlab", "github-app") for n in bundled_names(c)
               for entry in load(c, n).data.get("tls", {}).values() if entry.get("chain")]
    return chains


def test_public_ca_never_passes_a_chain_either_judge_refuses(pki: Pki) -> None:
    for name, pems, private in _every_chain_in_the_suite(pki):
        roots: tuple[x509.Certificate, ...] = (pki.public_root.cert,)
        scenario = name.split(":")
        if len(scenario) == 2:
            bundle = load(*scenario).trust("public_roots")
            roots = bundle.certificates if bundle else roots
        verdict = tls.public_ca(TlsHandshake(HOST, 443, HOST, 443, chain_pem=pems),
                                Trust(roots, "roots", (pki.private_root.cert,) if private else (),
                                      "bundle"), NOW if len(scenario) == 1 else load(
                                          *scenario).recorded_at)
        refused = verdict.evidence["openssl"] != "accepted"
        strict = verdict.evidence["verifier"] != "accepted"
        assert not ((refused or strict) and verdict.outcome == "passed"), name
        if refused:
            assert verdict.outcome == "failed", name
            assert verdict.reason != "tls.invalid_chain", (name, verdict.evidence["openssl"])


# -- two judges: OpenSSL decides, the strict Web PKI rules warn --------------------------------

def _home_made(root_critical: bool = False, aki: bool = False, eku: bool = False,
               sans: tuple[str, ...] = (HOST,)) -> tuple[x509.Certificate, Chain]:
    """A CA made the way `openssl` makes one from a typical guide's extension file:
    basicConstraints CA:TRUE without the critical flag, no authorityKeyIdentifier, no EKU on
    the leaf."""
    root = issue("Home Made Root CA", ca=True, critical_constraints=root_critical)
    intermediate = issue("Home Made Issuing CA", root, ca=True,
                         critical_constraints=root_critical, authority_key_id=aki)
    leaf = issue(HOST, intermediate, sans=sans, authority_key_id=aki,
                 usages=(ExtendedKeyUsageOID.SERVER_AUTH,) if eku else None)
    return root.cert, Chain(leaf, (leaf, intermediate))


def _leaf_alone() -> tuple[x509.Certificate, Chain]:
    root, chain = _home_made()
    return root, Chain(chain.leaf, (chain.leaf,))


def _client_only() -> tuple[x509.Certificate, Chain]:
    root = issue("Home Made Root CA", ca=True)
    leaf = issue(HOST, root, sans=(HOST,), usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    return root.cert, Chain(leaf, (leaf,))


Maker = Callable[[], tuple[x509.Certificate, Chain]]
QUIRKS: dict[str, tuple[Maker, bool, bool, str, str | None]] = {
    # quirk: (chain maker, OpenSSL accepts, strict accepts, outcome, reason)
    "a conformant chain": (lambda: _home_made(True, True, True), True, True, "passed", None),
    "non-critical basicConstraints on the CAs": (
        lambda: _home_made(False, True, True), True, False, "warning", "tls.nonconformant"),
    "no authorityKeyIdentifier": (
        lambda: _home_made(True, False, True), True, False, "warning", "tls.nonconformant"),
    "as openssl makes it from a guide": (
        lambda: _home_made(), True, False, "warning", "tls.nonconformant"),
    "a leaf without subjectAltName": (
        lambda: _home_made(True, True, True, sans=()), True, True, "passed", None),
    "the leaf alone": (_leaf_alone, False, False, "failed", "tls.unknown_issuer"),
    "a leaf made for client authentication": (_client_only, False, False, "failed",
                                              "tls.wrong_purpose"),
}


@pytest.mark.parametrize("quirk", QUIRKS, ids=QUIRKS.keys())
def test_each_chain_quirk_is_judged_by_openssl_first_and_warned_by_the_strict_verifier(
    quirk: str
) -> None:
    make, openssl_accepts, strict_accepts, outcome, reason = QUIRKS[quirk]
    root, chain = make()
    verdict = tls.public_ca(seen(chain), Trust((root,), "home roots"), NOW)
    assert (verdict.evidence["openssl"] == "accepted") is openssl_accepts
    assert (verdict.evidence["verifier"] == "accepted") is strict_accepts, verdict.evidence
    assert (verdict.outcome, verdict.reason) == (outcome, reason), verdict.message
    if reason == "tls.nonconformant":
        assert "OpenSSL-based clients" in verdict.message
        assert "Home Made" in verdict.message or HOST in verdict.message  # the certificate
        assert verdict.evidence["trusted_by_http_client"] is True


def test_the_strict_verifier_names_the_rule_by_its_extension_name() -> None:
    root, chain = _home_made(False, True, True)
    verdict = tls.public_ca(seen(chain), Trust((root,), "home roots"), NOW)
    assert "basicConstraints (2.5.29.19)" in verdict.message
    assert "criticality" in verdict.message


def test_a_leaf_without_subject_alt_name_fails_the_hostname_only() -> None:
    root, chain = _home_made(True, True, True, sans=())
    trusted = Trust((root,), "home roots")
    assert tls.public_ca(seen(chain), trusted, NOW).outcome == "passed"
    assert tls.hostname(seen(chain), trusted, NOW).reason == "tls.hostname_mismatch"


def test_a_private_ca_openssl_accepts_lets_the_api_checks_through(pki: Pki) -> None:
    root, chain = _home_made()
    bundle = Trust((pki.public_root.cert,), "test roots", (root,), "corporate bundle")
    verdict = tls.public_ca(seen(chain), bundle, NOW)
    assert (verdict.outcome, verdict.reason) == ("failed", "tls.unknown_issuer") or \
        verdict.reason == "tls.untrusted_root"
    assert verdict.evidence["trusted_by_http_client"] is True


OPENSSL = shutil.which("openssl")


@pytest.mark.skipif(OPENSSL is None, reason="the openssl command line is the reference here")
@pytest.mark.parametrize("quirk", QUIRKS, ids=QUIRKS.keys())
def test_openssls_own_verify_command_agrees_with_the_acceptance_judge(
    quirk: str, tmp_path: Path
) -> None:
    make = QUIRKS[quirk][0]
    root, chain = make()
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_text(chain.pems[0])
    (tmp_path / "untrusted.pem").write_text("".join(chain.pems[1:]) or chain.pems[0])
    command = [str(OPENSSL), "verify", "-purpose", "sslserver", "-attime",
               str(int(NOW.timestamp())), "-CAfile", str(tmp_path / "root.pem")]
    if len(chain.pems) > 1:
        command += ["-untrusted", str(tmp_path / "untrusted.pem")]
    answer = subprocess.run([*command, str(tmp_path / "leaf.pem")], capture_output=True,
                            text=True)
    judged = tls.openssl_refusal([c.cert for c in chain.presented], [root], NOW)
    assert (answer.returncode == 0) is (judged is None), (answer.stdout, answer.stderr, judged)
