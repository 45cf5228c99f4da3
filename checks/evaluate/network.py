"""DNS and TCP evaluators."""

from __future__ import annotations

from typing import Any

from checks import reasons
from checks.model.addresses import special_range
from checks.model.observations import DnsLookup, RecordSet, TcpConnect
from checks.model.verdict import Verdict, passed


def _answers(lookup: DnsLookup) -> dict[str, Any]:
    def one(records: RecordSet) -> object:
        return list(records.addresses) if not records.error else f"{records.error}: {records.detail}"

    found: dict[str, Any] = {"name": lookup.name, "servers": lookup.servers,
                             "A": one(lookup.a), "AAAA": one(lookup.aaaa),
                             "elapsed_s": lookup.elapsed_s}
    if lookup.cnames:
        found["cname_chain"] = [lookup.name, *lookup.cnames]
    return found


def _via(lookup: DnsLookup) -> str:
    return (f" (an alias: CNAME {' -> '.join(lookup.cnames)})" if lookup.cnames else "")


def resolves(lookup: DnsLookup) -> Verdict:
    evidence = _answers(lookup)
    if lookup.addresses:
        return passed(f"{lookup.name}{_via(lookup)} resolves to {', '.join(lookup.addresses)}",
                      **evidence)
    errors = {lookup.a.error, lookup.aaaa.error}
    asked = f"(asked {lookup.servers})"
    if errors == {"resolver_unreachable"}:
        return reasons.DNS_RESOLVER_UNREACHABLE(
            f"the DNS servers asked for {lookup.name} cannot be reached from this machine "
            f"{asked}: {lookup.a.detail}", **evidence)
    if "nxdomain" in errors and lookup.cnames:
        chain = " -> ".join((lookup.name, *lookup.cnames))
        last = (lookup.name, *lookup.cnames)[-2]
        return reasons.DNS_DANGLING_CNAME(
            f"{lookup.name} is an alias whose target {lookup.cnames[-1]} does not exist "
            f"(NXDOMAIN) {asked}: {chain}; the CNAME record of {last} points nowhere",
            f"Fix the CNAME record of {last} to name the server's public host, or create "
            f"{lookup.cnames[-1]} (an A/AAAA record); `dig {lookup.name}` shows the chain.",
            **evidence)
    if "nxdomain" in errors:
        return reasons.DNS_NXDOMAIN(f"{lookup.name} does not exist in DNS {asked}", **evidence)
    if "servfail" in errors:
        return reasons.DNS_SERVFAIL(
            f"the DNS servers failed to answer for {lookup.name} {asked}: "
            f"{lookup.a.detail or lookup.aaaa.detail}", **evidence)
    if errors & {"timeout", "no_resolver", "error"}:
        detail = lookup.a.detail if lookup.a.error != "no_answer" else lookup.aaaa.detail
        return reasons.DNS_TIMEOUT(f"no DNS answer for {lookup.name} {asked}: {detail}",
                                   **evidence)
    return reasons.DNS_NO_ANSWER(f"{lookup.name}{_via(lookup)} exists but has no A or AAAA "
                                 f"record {asked}", **evidence)


def public(lookup: DnsLookup, public_lookup: DnsLookup | None) -> Verdict:
    evidence = _answers(lookup)
    special = {address: special_range(address) for address in lookup.addresses}
    private = {address: row for address, row in special.items() if row is not None}
    if private:
        named = "; ".join(f"{address} is {row.name} ({row.rfc})" for address, row in private.items())
        return reasons.DNS_PRIVATE_ADDRESS(
            f"{lookup.name} resolves to an address the vendor cannot reach: {named}",
            private_addresses=list(private), **evidence)
    if public_lookup is None:
        return passed(f"every address of {lookup.name} is publicly routable "
                      f"({', '.join(lookup.addresses)})", **evidence)
    evidence["public_answer"] = _answers(public_lookup)
    if not public_lookup.addresses:
        return reasons.DNS_NOT_IN_PUBLIC_DNS(
            f"{lookup.name} resolves here but not on the public resolvers "
            f"({public_lookup.servers}): {public_lookup.a.error or public_lookup.aaaa.error}",
            **evidence)
    if set(public_lookup.addresses) != set(lookup.addresses):
        return reasons.DNS_SPLIT_HORIZON(
            f"{lookup.name} resolves to {', '.join(lookup.addresses)} here but to "
            f"{', '.join(public_lookup.addresses)} on the public resolvers: the vendor reaches "
            f"the public address", **evidence)
    return passed(f"every address of {lookup.name} is publicly routable and the public "
                  f"resolvers agree ({', '.join(lookup.addresses)})", **evidence)


def reachable(connect: TcpConnect, via: str = "") -> Verdict:
    evidence: dict[str, Any] = {"endpoint": connect.endpoint, "elapsed_s": connect.elapsed_s,
                "detail": connect.detail}
    if via:
        evidence["via"] = via
    where = connect.endpoint
    if connect.error == "refused":
        return reasons.TCP_REFUSED(
            f"{where} refused the connection: nothing listens there, or a firewall REJECT rule "
            f"answers for it (the two look the same)", **evidence)
    if connect.error == "timeout":
        return reasons.TCP_TIMEOUT(
            f"{where} did not answer the connection attempt ({connect.detail}): the port looks "
            f"filtered by a firewall that drops packets", **evidence)
    if connect.error == "local_limit":
        return reasons.TCP_LOCAL_LIMIT(
            f"{where} was not tried: this machine could not open a connection ({connect.detail});"
            f" this says nothing about the server", **evidence)
    if connect.error:
        return reasons.TCP_UNREACHABLE(f"{where} cannot be reached: {connect.detail}", **evidence)
    return passed(f"{where} accepts TCP connections ({connect.elapsed_s * 1000:.0f} ms)",
                  **evidence)
