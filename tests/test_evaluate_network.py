"""DNS and TCP evaluators, as tables."""

from __future__ import annotations

import pytest

from checks.evaluate import network
from checks.model.addresses import special_range
from checks.model.observations import DnsLookup, RecordSet, TcpConnect


def lookup(a: RecordSet | list[str], aaaa: RecordSet | list[str] | None = None,
           name: str = "git.example.com") -> DnsLookup:
    def records(rdtype: str, value: RecordSet | list[str] | None) -> RecordSet:
        if isinstance(value, RecordSet):
            return value
        return RecordSet(rdtype, tuple(value or ())) if value else RecordSet(rdtype, error="no_answer")

    return DnsLookup(name, "127.0.0.1:53", records("A", a), records("AAAA", aaaa))


def failing(rdtype: str, error: str) -> RecordSet:
    return RecordSet(rdtype, error=error, detail=error)


@pytest.mark.parametrize(("observed", "outcome", "reason"), [
    (lookup(["93.184.215.14"]), "passed", None),
    (lookup(failing("A", "no_answer"), ["2606:2800:21f::1"]), "passed", None),
    (lookup(failing("A", "nxdomain"), failing("AAAA", "nxdomain")), "failed", "dns.nxdomain"),
    (lookup(failing("A", "no_answer"), failing("AAAA", "no_answer")), "failed", "dns.no_answer"),
    (lookup(failing("A", "servfail"), failing("AAAA", "servfail")), "failed", "dns.servfail"),
    (lookup(failing("A", "timeout"), failing("AAAA", "timeout")), "failed", "dns.timeout"),
    (lookup(failing("A", "timeout"), failing("AAAA", "no_answer")), "failed", "dns.timeout"),
])
def test_resolution_is_judged_on_both_record_types(observed: DnsLookup, outcome: str,
                                                   reason: str | None) -> None:
    verdict = network.resolves(observed)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


@pytest.mark.parametrize(("address", "named"), [
    ("10.0.0.5", "private-use"), ("172.20.1.1", "private-use"), ("192.168.1.1", "private-use"),
    ("127.0.0.1", "loopback"), ("169.254.1.1", "link-local"),
    ("100.64.0.1", "shared address space (carrier-grade NAT)"),
    ("192.0.2.10", "documentation (TEST-NET-1)"), ("203.0.113.5", "documentation (TEST-NET-3)"),
    ("fd12:3456::1", "unique local (ULA)"), ("fe80::1", "link-local"), ("::1", "loopback"),
    ("2001:db8::1", "documentation"), ("::ffff:10.0.0.1", "private-use"),
])
def test_special_purpose_addresses_are_named_with_their_range(address: str, named: str) -> None:
    row = special_range(address)
    assert row is not None and row.name == named
    verdict = network.public(lookup([address] if "." in address and ":" not in address else [],
                                    [address] if ":" in address else None), None)
    assert verdict.reason == "dns.private_address" and address in verdict.message


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.4.4", "2606:4700::1111", "1.0.0.1"])
def test_public_addresses_are_public(address: str) -> None:
    assert special_range(address) is None


def test_public_resolvers_that_disagree_give_a_split_horizon_warning() -> None:
    internal, public = lookup(["93.184.215.14"]), lookup(["93.184.215.99"])
    verdict = network.public(internal, public)
    assert (verdict.outcome, verdict.reason) == ("warning", "dns.split_horizon")
    assert "93.184.215.99" in verdict.message


def test_public_resolvers_that_agree_pass() -> None:
    assert network.public(lookup(["93.184.215.14"]), lookup(["93.184.215.14"])).outcome == "passed"


@pytest.mark.parametrize(("error", "reason", "says"), [
    ("refused", "tcp.refused", "REJECT"),
    ("timeout", "tcp.timeout", "filtered"),
    ("unreachable", "tcp.unreachable", "cannot be reached"),
    (None, None, "accepts TCP connections"),
])
def test_tcp_outcomes_name_their_likely_cause(error: str | None, reason: str | None,
                                              says: str) -> None:
    verdict = network.reachable(TcpConnect("93.184.215.14", 443, error, "detail"))
    assert verdict.reason == reason and says in verdict.message
    assert verdict.evidence["endpoint"] == "93.184.215.14:443"


def test_ipv6_endpoints_are_bracketed() -> None:
    verdict = network.reachable(TcpConnect("2001:db8::1", 443))
    assert verdict.evidence["endpoint"] == "[2001:db8::1]:443"
