"""TLS evaluators on real certificates made in the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
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


def test_a_certificate_expiring_within_thirty_days_is_a_warning(pki: Pki) -> None:
    chain = pki.public_chain(HOST, not_after=NOW + timedelta(days=29))
    verdict = tls.public_ca(seen(chain), trust(pki), NOW)
    assert (verdict.outcome, verdict.reason) == ("warning", "tls.expiring_soon")
    chain = pki.public_chain(HOST, not_after=NOW + timedelta(days=31))
    assert tls.public_ca(seen(chain), trust(pki), NOW).outcome == "passed"


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
        # RFC 5280 requires the Authority Key Identifier; no specific code names its absence.
        "refused for a reason no code names": (
            Chain(bare := issue(HOST, pki.public_intermediate, sans=(HOST,),
                                authority_key_id=False), (bare, pki.public_intermediate)),
            False, "tls.invalid_chain"),
    }


@pytest.mark.parametrize("case", ["private intermediate sent, private root not",
                                  "leaf alone, issuer unknown",
                                  "signed by a certificate that is not a CA",
                                  "a leaf made for client authentication only",
                                  "a CA certificate presented as the server's",
                                  "refused for a reason no code names"])
def test_each_new_chain_problem_is_named(pki: Pki, case: str) -> None:
    chain, private, reason = _new_cases(pki)[case]
    verdict = tls.public_ca(seen(chain), trust(pki, private), NOW)
    assert (verdict.outcome, verdict.reason) == ("failed", reason), verdict.message
    assert verdict.evidence["verifier"] != "accepted"


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


def test_public_ca_never_passes_a_chain_the_verifier_refuses(pki: Pki) -> None:
    placed = {"refused for a reason no code names"}
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
        refused = verdict.evidence["verifier"] != "accepted"
        assert not (refused and verdict.outcome == "passed"), name
        if refused and name not in placed:
            assert verdict.reason != "tls.invalid_chain", (name, verdict.evidence["verifier"])
