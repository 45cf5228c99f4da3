"""Reason codes: stable identifiers for every verdict that is not a plain pass.

Each reason has a fixed outcome, a one-line meaning and a default fix. ``docs/reasons.md``
is generated from this module (``python -m tools.docs``) and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from checks.model.verdict import Outcome, Verdict

_REGISTRY: dict[str, Reason] = {}


@dataclass(frozen=True)
class Reason:
    code: str
    outcome: Outcome
    meaning: str
    remediation: str
    also: Outcome | None = None  # a second outcome the reason may carry (a milder case)

    def __call__(self, message: str, remediation: str | None = None, *,
                 outcome: Outcome | None = None, **evidence: Any) -> Verdict:
        """A verdict for this reason; ``remediation`` replaces the default fix."""
        assert outcome in (None, self.outcome, self.also), (self.code, outcome)
        return Verdict(outcome or self.outcome, self.code, message,
                       remediation or self.remediation, evidence)


class RegistryError(ValueError):
    """Two registrations of one reason code or token prefix: the connector that made the
    second one does not load (one line, in every Python mode, never an assert)."""


def reason(code: str, outcome: Outcome, meaning: str, remediation: str,
           also: Outcome | None = None) -> Reason:
    """A reason, registered: a connector's own reasons are registered when it is loaded. A
    vendor's own error code for a reason is its profile's (``vendor_codes``)."""
    if code in _REGISTRY:
        raise RegistryError(f"reason code {code!r} is registered twice: a connector's reason "
                            f"codes start with its own namespace (docs/connectors.md)")
    made = Reason(code, outcome, meaning, remediation, also)
    _REGISTRY[code] = made
    return made



F, W, S = Outcome.FAILED, Outcome.WARNING, Outcome.SKIPPED

# -- run structure -------------------------------------------------------------------------
PREREQUISITE_FAILED = reason(
    "prerequisite.failed", S, "Not checked: a check it depends on failed; that check names the cause.",
    "Fix the failing check named in the message first, then run again.")
HARNESS_ERROR = reason(
    "harness.error", Outcome.ERROR, "connector-checks itself broke; the message says where.",
    "Report it with the JSON report attached; the other checks of the run still stand.")
HARNESS_DEADLINE = reason(
    "harness.deadline", F, "The run reached --run-timeout before this check was decided.",
    "Find the slow step in the report's probe timings (a server that answers slowly, a "
    "rate limit to wait for); fix it, or give the run more time with --run-timeout SECONDS.")
NOT_APPLICABLE = reason(
    "not_applicable", S, "Not checked: the requirement does not apply to this configuration.",
    "Nothing to do.")

# -- DNS -----------------------------------------------------------------------------------
DNS_NXDOMAIN = reason(
    "dns.nxdomain", F, "The name does not exist (NXDOMAIN).",
    "Create a public DNS record (A and/or AAAA) for the server's name, pointing at the address "
    "exposed to the vendor.")
DNS_DANGLING_CNAME = reason(
    "dns.dangling_cname", F, "The name is an alias (CNAME) whose target does not exist: the "
    "chain of aliases ends in NXDOMAIN.",
    "Fix the last CNAME record of the chain to name a host that exists, or create that host's "
    "A/AAAA record.")
DNS_NO_ANSWER = reason(
    "dns.no_answer", F, "The name exists but has no A or AAAA record.",
    "Add an A and/or AAAA record for the name; a name with only other records cannot be reached.")
DNS_SERVFAIL = reason(
    "dns.servfail", F, "The DNS servers failed to answer (SERVFAIL or refused).",
    "Check the zone's authoritative servers and DNSSEC signatures; `dig NAME` shows the same error.")
DNS_RESOLVER_UNREACHABLE = reason(
    "dns.resolver_unreachable", F,
    "The DNS servers asked cannot be reached from this machine (nothing listens, or no route).",
    "Check this machine's network and its resolver settings (/etc/resolv.conf), or name a "
    "resolver that answers with --resolver ADDR.")
DNS_TIMEOUT = reason(
    "dns.timeout", F, "No DNS server answered within the timeout.",
    "Check that the resolvers are reachable (UDP and TCP port 53) and answer for this name.")
DNS_PRIVATE_ADDRESS = reason(
    "dns.private_address", F, "The name resolves to an address that is not publicly routable.",
    "Publish an address the vendor can reach from the internet: a public IP of the server, or of "
    "a reverse proxy in front of it.")
DNS_NOT_IN_PUBLIC_DNS = reason(
    "dns.not_in_public_dns", F, "The public resolvers do not know the name that resolves internally.",
    "Publish the name in public DNS. If the public name differs from the internal one, put a "
    "reverse proxy in place that answers on the public name.")
DNS_SPLIT_HORIZON = reason(
    "dns.split_horizon", W, "Internal and public DNS give different addresses for the name.",
    "Make sure the public address reaches the same server, for instance through a reverse proxy "
    "(the vendor only ever sees the public answer).")

# -- TCP -----------------------------------------------------------------------------------
TCP_REFUSED = reason(
    "tcp.refused", F,
    "The connection was refused: nothing listens on the port, or a firewall rejects (REJECT "
    "looks the same as a closed port).",
    "Make the server listen on the port and allow the vendor's IP addresses through any "
    "firewall that rejects connections.")
TCP_TIMEOUT = reason(
    "tcp.timeout", F, "The connection attempt got no answer: the port is filtered (firewall DROP).",
    "Allowlist the vendor's IP addresses on port 443 in the firewall in front of the server.")
TCP_UNREACHABLE = reason(
    "tcp.unreachable", F, "There is no route to the address from this network.",
    "Check routing from this network to the address; for IPv6, that the network has IPv6.")
TCP_LOCAL_LIMIT = reason(
    "tcp.local_limit", Outcome.ERROR,
    "Not checked: this machine ran out of a local resource (open files, buffers) before the "
    "connection was attempted; it says nothing about the server.",
    "Raise this machine's limit (ulimit -n) or run again; the server was not at fault.")

# -- forward proxy (HTTPS_PROXY) ---------------------------------------------------------
PROXY_UNREACHABLE = reason(
    "proxy.unreachable", F, "The proxy named in HTTPS_PROXY (or ALL_PROXY) does not accept "
    "connections from this machine.",
    "Check the proxy's host and port in HTTPS_PROXY, and that this machine may reach it; or "
    "set NO_PROXY for the server if it should be reached directly.")
PROXY_AUTH_REQUIRED = reason(
    "proxy.auth_required", F, "The proxy answers CONNECT with 407: it wants credentials, or "
    "refuses the ones given.",
    "Give the proxy account in the URL (HTTPS_PROXY=http://USER:PASSWORD@PROXY:PORT) for a "
    "proxy that offers Basic; a proxy that offers only NTLM or Negotiate needs the host "
    "exempted from authentication, or a local relay that speaks it (cntlm, px).")
PROXY_REFUSED = reason(
    "proxy.refused", F, "The proxy refuses to open a tunnel to the server (403 or another "
    "answer than 200): a policy, a category filter, or an allowlist.",
    "Ask the proxy's administrators to allow CONNECT to the server's host and port; the "
    "proxy's own page, quoted in the message, usually says which rule refused it.")
PROXY_PROTOCOL = reason(
    "proxy.protocol", F, "The proxy's answer to CONNECT is not a tunnel (not HTTP, or a page "
    "where the tunnel should start).",
    "Check that HTTPS_PROXY names an HTTP forward proxy (http://HOST:PORT), not a web page or "
    "a reverse proxy.")
PROXY_TIMEOUT = reason(
    "proxy.timeout", F, "The proxy did not answer CONNECT, or the TLS handshake through its "
    "tunnel, within the timeout.",
    "Check the proxy's health and its route to the server; time the same with "
    "`curl -v -x $HTTPS_PROXY https://HOST/`.")
PROXY_TLS_INSPECTION = reason(
    "proxy.tls_inspection", F, "Through the proxy, the server presents a certificate the proxy "
    "made (TLS inspection): the chain differs from the server's own.",
    "Exempt the server's host from TLS inspection on the proxy; or, to check the rest from here, "
    "trust the inspection CA for this run with --ca-bundle INSPECTION-CA.pem.")
PROXY_TLS_FAILED = reason(
    "proxy.tls_failed", F, "The tunnel opened, but no TLS handshake with the server completed "
    "through it.",
    "Check what answers through the proxy: `curl -v -x $HTTPS_PROXY https://HOST/`.")

# -- TLS -----------------------------------------------------------------------------------
TLS_HANDSHAKE_TIMEOUT = reason(
    "tls.handshake_timeout", F, "The port accepts connections but the TLS handshake stalls.",
    "Check that the port is served by the TLS endpoint (load balancer, reverse proxy) and that no "
    "middlebox holds the handshake.")
TLS_NOT_TLS = reason(
    "tls.not_tls", F, "Something answers on the port, but not with TLS (for instance plain HTTP).",
    "Serve HTTPS on this port: terminate TLS on the server or on the proxy in front of it.")
TLS_PROTOCOL_TOO_OLD = reason(
    "tls.protocol_too_old", F, "The server only offers a TLS version below 1.2.",
    "Enable TLS 1.2 and TLS 1.3 on the server or its proxy; older versions are refused by clients.")
TLS_CLIENT_CERTIFICATE_REQUIRED = reason(
    "tls.client_certificate_required", F,
    "The server asks for a client certificate (mutual TLS) and refuses a client that presents "
    "none, as the vendor's client does: with TLS 1.2 during the handshake, with TLS 1.3 on "
    "the first request (alert 116, certificate_required).",
    "Exempt the vendor's path from client-certificate authentication (the API's location on "
    "the ingress, load balancer or reverse proxy, or the vendor's source addresses), or ask "
    "the vendor whether its client can present a certificate issued by one of the CAs the "
    "server names.")
TLS_HANDSHAKE_FAILED = reason(
    "tls.handshake_failed", F, "The TLS handshake failed for another reason (see the alert).",
    "Read the alert in the evidence; check the server's TLS configuration and certificate.")
TLS_EXPIRED = reason(
    "tls.expired", F, "A certificate in the presented chain has expired.",
    "Renew the certificate and install the new one, with its intermediates.")
TLS_NOT_YET_VALID = reason(
    "tls.not_yet_valid", F, "A certificate in the presented chain is not valid yet.",
    "Check the server's clock and the certificate's start date; install a currently valid one.")
TLS_SELF_SIGNED = reason(
    "tls.self_signed", F, "The server presents a self-signed certificate.",
    "Install a certificate signed by a public CA (for instance Let's Encrypt) for this name.")
TLS_UNTRUSTED_ROOT = reason(
    "tls.untrusted_root", F,
    "The chain leads to a root that is not a public CA (a private or corporate CA).",
    "Install a certificate from a public CA: the vendor trusts only public roots. A private CA "
    "works inside this network only.")
TLS_INCOMPLETE_CHAIN = reason(
    "tls.incomplete_chain", F, "The server does not send the intermediate certificate(s).",
    "Configure the server with the full chain (the certificate followed by its intermediates, "
    "often called fullchain.pem).")
TLS_UNKNOWN_ISSUER = reason(
    "tls.unknown_issuer", F,
    "The certificate's issuer is neither sent by the server nor a public CA, and nothing in the "
    "certificate says which: a missing intermediate, or a private CA.",
    "Ask who issued the certificate (its issuer is named in the evidence). A public CA's "
    "intermediate: configure the server with the full chain. A private CA: install a "
    "certificate from a public CA.")
TLS_NOT_A_CA = reason(
    "tls.not_a_ca", F,
    "A certificate in the chain signed another one but is not a CA (its basic constraints do "
    "not allow it to sign certificates).",
    "Install a certificate issued by a real CA: one signed by a server or client certificate "
    "is refused by every TLS client.")
TLS_WRONG_PURPOSE = reason(
    "tls.wrong_purpose", F,
    "The server's certificate is not made for TLS server authentication (its key usage or "
    "extended key usage forbids it, or it is a CA certificate).",
    "Install a TLS server certificate: extended key usage serverAuth, not a CA certificate.")
TLS_INVALID_CHAIN = reason(
    "tls.invalid_chain", F,
    "OpenSSL, as the vendor's client runs it, refuses the chain for a reason none of the "
    "specific codes names; its message is in the evidence.",
    "Read the verifier's message in the evidence; reissue or reconfigure the certificate chain "
    "so that a current TLS client accepts it.")
TLS_INTERCEPTED = reason(
    "tls.intercepted", F,
    "The chain is issued by a TLS interception product (a gateway, firewall, endpoint agent or "
    "debugging proxy) on this machine's network: the server's own certificate cannot be seen "
    "from here.",
    "Run the check from a network without TLS inspection (the vendor's side, if you can), or "
    "have the host exempted from inspection; if this network's inspection CA is trusted on "
    "purpose, name it with --ca-bundle.")
TLS_WEAK_SIGNATURE = reason(
    "tls.weak_signature", F, "A certificate in the chain is signed with SHA-1 or MD5.",
    "Reissue the certificate with a SHA-256 (or stronger) signature.")
TLS_WEAK_KEY = reason(
    "tls.weak_key", F, "A certificate in the chain has an RSA key below 2048 bits.",
    "Reissue the certificate with an RSA key of 2048 bits or more, or an ECDSA key.")
TLS_EXPIRING_SOON = reason(
    "tls.expiring_soon", W, "Less than a third of the certificate's lifetime is left: the point "
    "where ACME clients renew, so a renewal has failed or is not set up (a 90-day certificate "
    "with under 30 days, a 6-day one with under 2).",
    "Renew the certificate now, and check why the automatic renewal did not.")
TLS_NONCONFORMANT = reason(
    "tls.nonconformant", W,
    "OpenSSL-based clients (Python, curl, Ruby, most Java, the vendor's) accept the chain; a "
    "strict Web PKI verifier (cryptography's, Go's, current browsers for some rules) refuses "
    "it for the rule named, on the certificate named.",
    "Nothing blocks the connection today; reissue the named certificate with the extension "
    "as RFC 5280 and the CA/Browser Forum ask (e.g. basicConstraints marked critical on a CA, "
    "an authorityKeyIdentifier on every certificate it issues).")
TLS_HOSTNAME_MISMATCH = reason(
    "tls.hostname_mismatch", F, "No subjectAltName of the certificate matches the DNS name.",
    "Install a certificate whose subjectAltName lists this DNS name (the common name is not "
    "used by clients).")

# -- HTTP ----------------------------------------------------------------------------------
HTTP_UNEXPECTED_RESPONSE = reason(
    "http.unexpected_response", F,
    "The URL answered, but not with the API's JSON (a captive portal, a proxy page, a wrong URL).",
    "Check the URL: it must be the server's web URL; check proxies between here and the server.")
HTTP_REDIRECTED = reason(
    "http.redirected", F, "The API URL answers with a redirect.",
    "Use the URL the redirect points to as the target, or remove the redirect for API paths.")
HTTP_SERVER_ERROR = reason(
    "http.server_error", F, "The server answered with a 5xx error.",
    "Check the server's health and logs; the appliance may be in maintenance mode.")
HTTP_TIMEOUT = reason(
    "http.timeout", F, "The HTTP request got no answer within the timeout.",
    "Check the server's load and any proxy in between; raise --check-timeout for a slow link.")
HTTP_CONNECTION_FAILED = reason(
    "http.connection_failed", F, "The HTTP client could not connect or complete TLS.",
    "See the network and TLS checks of this run, and the proxy named in the report.")
HTTP_RESPONSE_TOO_LARGE = reason(
    "http.response_too_large", F,
    "The response body is larger than connector-checks reads (on the wire or once decoded, "
    "nested encodings counted): a compression bomb, or not the API.",
    "Check that the URL is the API and that no proxy rewrites its answers; the API's answers "
    "are far smaller.")
HTTP_TOO_MANY_PAGES = reason(
    "http.too_many_pages", F,
    "The list has more pages than connector-checks reads (--max-pages); none beyond it was "
    "fetched.",
    "Raise --max-pages if the list really is that long; otherwise the server's Link header "
    "is wrong.")
HTTP_RATE_LIMITED = reason(
    "http.rate_limited", F, "The API refused the request because a rate limit is exhausted.",
    "Wait until the limit resets (see the message), or use a credential that is not shared.")

# -- credentials ---------------------------------------------------------------------------
AUTH_MISSING = reason(
    "auth.missing", F, "No credential was given.",
    "Set the environment variable named in the message (never pass a token on the command line).")
AUTH_INVALID_CREDENTIALS = reason(
    "auth.invalid_credentials", F, "The server does not accept the credential (401).",
    "Create a new token and set it again; check that it was copied whole and belongs to this "
    "server.")
AUTH_FORBIDDEN = reason(
    "auth.forbidden", F, "The server refused the credential (403).",
    "Read the server's message in the evidence: the account may be suspended, or an IP allow "
    "list may block this network.")
SCOPES_MISSING = reason(
    "scopes.missing", F, "The token lacks a scope the connector needs.",
    "Edit the token on the code host's access-token page and select the missing scope, or "
    "create a new one with all the listed scopes.")


# -- tokens and the endpoints a vendor calls -----------------------------------------------
AUTH_TOKEN_EXPIRING = reason(
    "auth.token_expiring", W, "The token expires in under 14 days.",
    "Create a new token before the date in the message and replace it in the connection.")
SCOPES_EXCESS = reason(
    "scopes.excess", W, "The token has scopes the connector does not need.",
    "Create a token with only the required scopes: the vendor recommends the minimum.")
ENDPOINT_FORBIDDEN = reason(
    "api.endpoint_forbidden", F, "An endpoint the vendor calls answers 401, 403 or 404 to the "
    "credential.",
    "Grant the credential access to what the endpoint reads (the scope or permission the "
    "server names, the project or repository); check the path in the profile.")

# -- webhooks: the code host posting to the vendor --------------------------------------------
# Platform-neutral; each connector gives its platform's way to the fix (settings pages,
# commands) as the verdict's remediation.
_DELIVERY = ("Open the hook's recent deliveries on the code host, fix the cause, then "
             "redeliver the failed ones. ")

WEBHOOK_HOOKS_HIDDEN = reason(
    "webhook.hooks_hidden", F, "The code host refuses to list the webhooks (403 or 404): the "
    "token lacks the scope, or the account the role, that sees them.",
    "Give the token the scope that reads webhooks and the account the role that manages "
    "them (the message names both).")
WEBHOOK_MISSING = reason(
    "webhook.missing", F, "None of the webhooks delivers to the vendor's URL: the vendor "
    "receives no events from the code host.",
    "Let the vendor create its webhook (its guide says when it does), or add the webhook with "
    "the URL the vendor documents; check the URL this run looked for (the connector's "
    "--NAME-webhook-url option, or the profile's [webhook] url).")
WEBHOOK_INACTIVE = reason(
    "webhook.inactive", F, "The vendor's webhook exists but is inactive or disabled: the code "
    "host sends it nothing.",
    "Activate the webhook (after fixing what made the code host disable it), or let the "
    "vendor recreate it.")
WEBHOOK_EVENTS_MISSING = reason(
    "webhook.events_missing", F, "The vendor's webhook is not subscribed to events the vendor "
    "needs.", "Select the missing events on the webhook, or let the vendor recreate it.")
WEBHOOK_CONTENT_TYPE = reason(
    "webhook.content_type", F, "The vendor's webhook sends another payload format than the "
    "vendor reads.", "Set the webhook's content type to the one the message names.")
WEBHOOK_TLS_UNVERIFIED = reason(
    "webhook.tls_unverified", W, "The vendor's webhook has SSL verification disabled: "
    "deliveries go to whoever answers for the vendor's host, certificate unchecked.",
    "Enable SSL verification on the webhook. If deliveries then fail with a certificate "
    "error, add the CA the code host must trust to its trust store rather than disabling "
    "verification.")
WEBHOOK_NO_SECRET = reason(
    "webhook.no_secret", W, "The vendor's webhook has no secret: its deliveries are not "
    "signed, so the vendor cannot tell them from forged ones.",
    "Set the secret the vendor gives you on the webhook (or let the vendor recreate it).")
WEBHOOK_NO_DELIVERIES = reason(
    "webhook.no_deliveries", W, "The code host has no recent delivery of the vendor's "
    "webhook: nothing shows that deliveries reach the vendor.",
    "Trigger an event the hook is subscribed to (or run with --ping-webhooks) and run again.")
WEBHOOK_DELIVERIES_INTERMITTENT = reason(
    "webhook.deliveries_intermittent", W, "Some recent deliveries failed, though the newest "
    "succeeded: events were lost in between.",
    _DELIVERY + "Redeliver the failed ones so the vendor's data has no gap.")
WEBHOOK_DELIVERY_TIMEOUT = reason(
    "webhook.delivery_timeout", F, "The newest delivery timed out: the code host got no "
    "answer from the vendor's URL in time.",
    _DELIVERY + "A delivery that never connects times out too: check the code host's "
    "outbound firewall to the vendor's host on port 443 and its outbound proxy setting; if "
    "the vendor answers slowly, tell the vendor.")
WEBHOOK_DELIVERY_UNREACHABLE = reason(
    "webhook.delivery_unreachable", F, "The newest delivery could not connect to the vendor's "
    "host: its name did not resolve from the code host, or a network restriction stopped it.",
    _DELIVERY + "From the code host, resolve the vendor's host and check its outbound "
    "firewall rules, its DNS servers and its outbound proxy setting.")
WEBHOOK_DELIVERY_REFUSED = reason(
    "webhook.delivery_refused", F, "The newest delivery's connection was refused.",
    _DELIVERY + "The vendor's endpoint, or a firewall on the way, refused the code host's "
    "address: ask the vendor which addresses it accepts webhooks from, and check the code "
    "host's egress address.")
WEBHOOK_DELIVERY_UNTRUSTED = reason(
    "webhook.delivery_untrusted_certificate", F, "The newest delivery failed on the vendor's "
    "certificate: the code host does not trust it.",
    _DELIVERY + "A TLS-inspecting proxy on the code host's way out is the usual cause: exempt "
    "the vendor's host from inspection, or add the proxy's CA to the code host's trust store. "
    "This is the code host's trust store, not the vendor's: the inbound TLS checks do not "
    "cover it.")
WEBHOOK_DELIVERY_PROXY = reason(
    "webhook.delivery_proxy_refused", F, "The newest delivery was refused by an HTTP proxy on "
    "the code host's way out (407).",
    _DELIVERY + "Let the code host's outbound proxy pass the vendor's host (or exclude it).")
WEBHOOK_DELIVERY_VENDOR_ERROR = reason(
    "webhook.delivery_vendor_error", F, "The newest delivery reached the vendor, whose "
    "endpoint answered with a server error (5xx).",
    _DELIVERY + "The code host's side works: report the failing delivery (its time and id) "
    "to the vendor.")
WEBHOOK_DELIVERY_REJECTED = reason(
    "webhook.delivery_rejected", F, "The newest delivery reached the vendor, whose endpoint "
    "rejected it (4xx): a wrong URL, or a secret the vendor does not accept.",
    _DELIVERY + "Compare the webhook's URL and secret with the vendor's, or let the vendor "
    "recreate the webhook.")
WEBHOOK_DELIVERY_FAILED = reason(
    "webhook.delivery_failed", F, "The newest delivery failed for a reason the code host "
    "names in the message.", _DELIVERY)
WEBHOOK_PING_UNSEEN = reason(
    "webhook.ping_unseen", W, "The ping was sent, but its delivery did not show in the hook's "
    "log while the run waited.",
    "Look at the hook's recent deliveries in a minute; run again with a longer --run-timeout "
    "if deliveries are slow to appear.")

del F, W, S

REASONS: Mapping[str, Reason] = MappingProxyType(_REGISTRY)


def reference_page(leave_out: tuple[str, ...] = ()) -> str:
    """The Markdown reference of every reason code registered (the content of
    ``docs/reasons.md`` once every connector is loaded: each registers its own), but those
    in the namespaces ``leave_out`` (the connectors of other packages)."""
    lines = [
        "# Reason codes",
        "",
        "Every verdict that is not a plain pass carries one of these stable codes, in the",
        "terminal, the JSON report (`checks[].reason`) and JUnit (`reason` property).",
        "Generated from `checks/reasons.py` and each connector's own; do not edit by hand.",
        "",
        "A vendor's own error code for a reason is given by its profile (`vendor_codes`,",
        "see docs/profiles.md).",
        "",
        "| code | outcome | meaning | default fix |",
        "|---|---|---|---|",
    ]
    for code in sorted(REASONS):
        if code.startswith(tuple(f"{namespace}." for namespace in leave_out)):
            continue
        one = REASONS[code]
        outcome = one.outcome + (f" or {one.also}" if one.also else "")
        lines.append(f"| `{code}` | {outcome} | {one.meaning} | "
                     f"{one.remediation} |")
    return "\n".join(lines) + "\n"
