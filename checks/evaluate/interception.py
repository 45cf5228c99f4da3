"""Certificate authorities of TLS interception: products that re-sign every certificate on
the way (secure web gateways, firewalls, endpoint agents, debugging proxies), and roots known
to have been installed by software that intercepts. A chain issued by one of them says
nothing about the server's own certificate.

The list is data: each entry names the product, its kind, and the texts (matched without
regard to case) found in the issuing CA's name. Sources: each vendor's documentation of its
inspection CA, and the advisories on Superfish (CVE-2015-2077), eDellRoot (CVE-2015-8413)
and DSDTestProvider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509


@dataclass(frozen=True)
class Interceptor:
    product: str
    kind: str  # gateway | firewall | endpoint | debugging proxy | known bad root
    names: tuple[str, ...]  # found in the CA's distinguished name


INTERCEPTORS = (
    Interceptor("Zscaler Internet Access", "gateway", ("zscaler",)),
    Interceptor("Netskope", "gateway", ("netskope",)),
    Interceptor("Cisco Umbrella", "gateway", ("cisco umbrella",)),
    Interceptor("Cloudflare Gateway (Zero Trust)", "gateway",
                ("cloudflare for teams", "gateway ca - cloudflare")),
    Interceptor("Broadcom (Symantec, Blue Coat) ProxySG / Web Security Service", "gateway",
                ("blue coat", "bluecoat", "proxysg")),
    Interceptor("Forcepoint (Websense)", "gateway", ("forcepoint", "websense")),
    Interceptor("Skyhigh (McAfee) Web Gateway", "gateway",
                ("mcafee web gateway", "skyhigh security")),
    Interceptor("iboss", "gateway", ("iboss",)),
    Interceptor("Palo Alto Networks (forward trust)", "firewall", ("palo alto networks",)),
    Interceptor("Fortinet FortiGate", "firewall", ("fortinet", "fortigate")),
    Interceptor("Check Point", "firewall", ("check point",)),
    Interceptor("Sophos", "firewall", ("sophos",)),
    Interceptor("Barracuda", "firewall", ("barracuda",)),
    Interceptor("SonicWall", "firewall", ("sonicwall",)),
    Interceptor("WatchGuard", "firewall", ("watchguard",)),
    Interceptor("Kaspersky (web traffic scanning)", "endpoint", ("kaspersky",)),
    Interceptor("Avast / AVG (Web Shield)", "endpoint", ("avast", "avg web/mail shield")),
    Interceptor("ESET (SSL/TLS filtering)", "endpoint", ("eset ssl filter",)),
    Interceptor("Bitdefender (encrypted web scan)", "endpoint", ("bitdefender",)),
    Interceptor("mitmproxy", "debugging proxy", ("mitmproxy",)),
    Interceptor("Fiddler", "debugging proxy", ("fiddlerroot", "do_not_trust")),
    Interceptor("Charles Proxy", "debugging proxy", ("charles proxy",)),
    Interceptor("Burp Suite", "debugging proxy", ("portswigger",)),
    Interceptor("Superfish (Lenovo adware, CVE-2015-2077)", "known bad root", ("superfish",)),
    Interceptor("eDellRoot (Dell, CVE-2015-8413)", "known bad root", ("edellroot",)),
    Interceptor("DSDTestProvider (Dell)", "known bad root", ("dsdtestprovider",)),
    Interceptor("Komodia Redirector (PrivDog and others)", "known bad root", ("komodia",)),
)


def interceptor(chain: Sequence[x509.Certificate]) -> tuple[Interceptor, str] | None:
    """The interception product whose CA issued this chain, and that CA's name, if any. The
    leaf's own subject is not looked at: it names the server, not who signed it."""
    names = [chain[0].issuer, *(name for cert in chain[1:] for name in (cert.subject,
                                                                          cert.issuer))]
    for name in names:
        text = name.rfc4514_string()
        lowered = text.lower()
        for entry in INTERCEPTORS:
            if any(pattern in lowered for pattern in entry.names):
                return entry, text
    return None
