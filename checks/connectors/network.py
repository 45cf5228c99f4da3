"""The network requirements every connector shares, parametrized by host or endpoint."""

from __future__ import annotations

from checks.catalogue import Requirement


def network_requirements(seed: str, dns_seed: str, firewall_seed: str,
                         tls_seed: str) -> tuple[Requirement, ...]:
    return (
        Requirement("dns.resolves", "The server's name resolves", "dns",
                    "An A and/or AAAA record for the server's name.",
                    "Publish an A and/or AAAA record for the name.", f"{seed}: {dns_seed}"),
        Requirement("dns.public", "The name resolves to public addresses", "dns",
                    "Every address the name resolves to is publicly routable, and public DNS "
                    "agrees with internal DNS.",
                    "Publish a public address (of the server or of a reverse proxy).",
                    f"{seed}: {dns_seed}"),
        Requirement("tcp.reachable", "Port 443 accepts connections", "tcp",
                    "Each resolved address accepts TCP connections on the port.",
                    "Allowlist the vendor's IP addresses on port 443.",
                    f"{seed}: {firewall_seed}"),
        Requirement("tls.handshake", "The port speaks TLS 1.2 or newer", "tls",
                    "A TLS 1.2+ handshake completes within the timeout.",
                    "Serve HTTPS with TLS 1.2 or 1.3 on the port.", f"{seed}: {tls_seed}"),
        Requirement("tls.public_ca", "The certificate chains to a public CA", "tls",
                    "The presented chain is complete, current, strong, and ends at a public root.",
                    "Install a certificate from a public CA, with its intermediates.",
                    f"{seed}: {tls_seed}"),
        Requirement("tls.hostname", "The certificate names the server", "tls",
                    "A subjectAltName of the certificate matches the DNS name.",
                    "Install a certificate whose subjectAltName lists the DNS name.",
                    f"{seed}: {dns_seed}"),
    )
