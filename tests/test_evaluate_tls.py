"""TLS evaluators on real certificates made in the test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checks.evaluate import tls
from checks.model.observations import TlsHandshake
from checks.model.trust import Trust
from tests.pki import NOW, Chain, Pki, issue

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


