"""The connector API: everything a connector may use, and nothing else. A connector (its
folder, in this repository or a package of its own, found through the
``connector_checks.connectors`` entry point group) imports from ``checks`` only this module;
every other module of ``checks`` is private and may change. ``docs/connectors.md`` shows how
to write one, with the smallest complete example in ``examples/``.

What it holds, by what a connector does with it:

- declare: :class:`Connector`, :class:`Platform`, :class:`Secrets`, :class:`Requirement`
  (its graph: ``after``), :class:`Option` (its own options), :class:`Profile` and
  :class:`Endpoint` (what the vendor asks, read from the run's profile);
- list and run: :class:`RunContext` (the target, the facts, the secrets, the options),
  :class:`Facts` (probe once, shared), :class:`Plan` (expect, ``ready``, ``add``);
  the shared network layer (:data:`NETWORK`, :data:`AFTER_TLS`, :func:`expected_network`,
  :func:`network_checks`), the profile's endpoints (``endpoints``) and scopes (``scopes``);
- evaluate: :class:`HttpRequest`, :class:`HttpExchange`, :class:`Http` (how the platform's
  answers read), :class:`Verdict`, :class:`Outcome`, :func:`passed`, the core reasons
  (``reasons``), :func:`reason` and :func:`reasons_of` (its own, namespaced), ``tokens``
  (expiry, least privilege);
- shapes: :func:`register_token_shapes` (its token prefixes, redacted everywhere).
"""

from __future__ import annotations

from collections.abc import Callable

from checks import reasons
from checks.catalogue import Connector, Platform, Secrets
from checks.connectors import endpoints, scopes, webhooks
from checks.connectors.network import AFTER_TLS, NETWORK, expected_network, network_checks
from checks.evaluate import network, tls, tokens
from checks.evaluate import proxy as proxied
from checks.evaluate.http import Http, answered_at, json_message, server_time
from checks.model.addresses import host_port, is_ip
from checks.model.endpoints import HttpRequest, Target
from checks.model.keys import LoadedKey, load_private_key
from checks.model.observations import HttpExchange, TlsHandshake
from checks.model.requirement import Check, Requirement, ok, passed_or_warned
from checks.model.secret import Secret, register_token_shapes
from checks.model.verdict import Outcome, Verdict, passed
from checks.options import Option
from checks.plan import Plan
from checks.probes.http import IN_FLIGHT, hide_credentials, page_links
from checks.profiles import Endpoint, Profile, ProfileError, Webhook
from checks.profiles import read as read_profile
from checks.reasons import Reason, RegistryError, reason
from checks.run import Facts, RunContext


def reasons_of(namespace: str) -> Callable[..., Reason]:
    """A connector's own reason maker: every code it registers is ``NAMESPACE.something``
    (``bitbucket.project_not_found``), so no two connectors' codes meet; a code outside the
    namespace, or registered twice, is a one-line load error."""
    def make(code: str, outcome: Outcome, meaning: str, remediation: str,
             also: Outcome | None = None) -> Reason:
        if not code.startswith(f"{namespace}.") or code == f"{namespace}.":
            raise RegistryError(f"reason code {code!r} is outside its connector's namespace "
                                f"{namespace!r}: name it {namespace}.SOMETHING")
        return reason(code, outcome, meaning, remediation, also)

    return make


__all__ = [
    "AFTER_TLS", "IN_FLIGHT", "NETWORK", "Check", "Connector", "Endpoint", "Facts", "Http",
    "HttpExchange", "HttpRequest", "LoadedKey", "Option", "Outcome", "Plan", "Platform",
    "Profile", "ProfileError", "Reason", "RegistryError", "Requirement", "RunContext",
    "Secret", "Secrets", "Target", "TlsHandshake", "Verdict", "Webhook", "answered_at",
    "endpoints",
    "expected_network", "hide_credentials", "host_port", "is_ip", "json_message",
    "load_private_key", "network", "network_checks", "ok", "page_links", "passed",
    "passed_or_warned", "proxied", "read_profile", "reason", "reasons", "reasons_of",
    "register_token_shapes", "scopes", "server_time", "tls", "tokens", "webhooks",
]
