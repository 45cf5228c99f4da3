"""The connector catalogue's types: what a connector declares. The registry of connectors is
:mod:`checks.connectors`; what a vendor asks of a connector is its profile
(:mod:`checks.profiles`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from checks.model.requirement import Requirement
from checks.options import Option
from checks.plan import Plan
from checks.profiles import Profile, ProfileError
from checks.run import RunContext


@dataclass(frozen=True)
class Secrets:
    """Environment variables a connector reads its credentials from."""

    token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    private_key: str | None = None

    def names(self) -> tuple[str, ...]:
        return tuple(name for name in (self.token, self.oauth_client_id,
                                       self.oauth_client_secret, self.private_key) if name)


@dataclass(frozen=True)
class Platform:
    """What the connectors of one code host share: how its tokens look (shown by prefix,
    redacted by shape), how its scopes are spelled, and the names of its layers."""

    name: str
    token_prefixes: tuple[str, ...] = ()
    # Regular expressions of credentials redacted even when their value was not given; each
    # starts with a literal character (see checks.model.secret).
    token_patterns: tuple[str, ...] = ()
    scope_pattern: str = r"\S{1,100}"
    scope_example: str = ""
    layers: tuple[tuple[str, str], ...] = ()  # requirement category -> layer name
    # Every scope the platform documents (empty: any the pattern allows), and where it says so.
    scopes: tuple[str, ...] = ()
    scopes_source: str = ""

    def check_scope(self, scope: str) -> str | None:
        """What is wrong with a scope: its spelling, or (when the platform's list is known) a
        scope it does not have, with the nearest it has; None when it is one."""
        if not re.fullmatch(self.scope_pattern, scope):
            return f"{scope[:60]!r} is not a {self.name} scope name, e.g. {self.scope_example}"
        if self.scopes and scope not in self.scopes:
            near = difflib.get_close_matches(scope, self.scopes, n=1, cutoff=0.6)
            return (f"{scope[:60]!r} is not a {self.name} scope"
                    + (f": did you mean {near[0]}?" if near else "")
                    + f" ({self.scopes_source} lists {', '.join(self.scopes)})")
        return None


# The profile's sections whose quote cites the requirements that name them (Requirement.cites).
SECTIONS = frozenset({"network.dns", "network.firewall", "network.tls", "credentials", "scopes",
                      "permissions", "organization", "endpoints", "webhook"})


@dataclass(frozen=True)
class Connector:
    """A connector: its requirements as a profile cites them (in report order, each after its
    prerequisites), the checks it expects before probing, and ``run``, which probes and
    decides them. Everything a vendor asks (scopes, permissions, role, endpoints) comes from
    the run's profile (``context.profile``)."""

    name: str
    title: str
    platform: Platform
    declare: Callable[[Profile], tuple[Requirement, ...]]
    secrets: Secrets
    # Every check whose parameter is known without probing; listed in every run, and by --co.
    expected: Callable[[RunContext], list[tuple[Requirement, str]]]
    run: Callable[[RunContext, Plan], Awaitable[None]]
    home: Path  # its folder: bundled profiles in profiles/ (found by the registry), scenarios in
    # scenarios/NAME/
    default_profile: str = ""
    default_target: str | None = None
    # Environment variables that are not secret but required, with what they hold.
    required_env: tuple[tuple[str, str], ...] = ()
    grants: str = "scopes"  # what a profile lists: scopes, permissions, or none
    # The profile sections it reads beyond its grants: organization, endpoints.
    sections: frozenset[str] = field(default_factory=frozenset)
    credentials: tuple[str, ...] = ("token",)  # the credential kinds it can check
    # What a shared option means for this connector (option -> words), for --help.
    explains: tuple[tuple[str, str], ...] = ()
    # Its own options (checks.options), each --NAME-...; their values: RunContext.options.
    options: tuple[Option, ...] = ()

    @property
    def scenarios(self) -> Path:
        return self.home / "scenarios" / self.name


    def requirements(self, profile: Profile) -> tuple[Requirement, ...]:
        """Its requirements, each cited with the profile's guide."""
        return tuple(r.cited(r.own if r.own and r.id not in profile.quotes
                             and not (r.cites and r.cites in profile.quotes)
                             else profile.cite(r.id, r.cites)) for r in self.declare(profile))

    def check(self, profile: Profile) -> None:
        """ProfileError when the profile asks what this connector cannot check."""
        def wrong(what: str) -> ProfileError:
            return ProfileError(f"profile {profile.source}: {what}")

        if profile.connector != self.name:
            raise wrong(f"connector is {profile.connector!r}, not {self.name}")
        for other in ("scopes", "permissions"):
            given = profile.scopes if other == "scopes" else profile.permissions
            if given and other != self.grants:
                raise wrong(f"{other}: the {self.name} connector checks "
                            f"{self.grants if self.grants != 'none' else 'no grants'}, "
                            f"not {other}")
        if self.grants == "scopes" and not profile.scopes:
            raise wrong(f"scopes.required is missing: the {self.name} connector checks a "
                        f"token's scopes")
        if self.grants == "permissions" and not profile.permissions:
            raise wrong(f"permissions.required is missing: the {self.name} connector checks "
                        f"an app's permissions")
        for scope in profile.scopes:
            problem = self.platform.check_scope(scope)
            if problem:
                raise wrong(f"scopes.required: {problem}")
        for section, present in (("organization", profile.org_role is not None),
                                 ("endpoints", bool(profile.endpoints)),
                                 ("webhook", profile.webhook is not None)):
            if present and section not in self.sections:
                raise wrong(f"{section}: the {self.name} connector does not check "
                            f"{section} (it reads {', '.join(sorted(self.sections)) or 'none'})")
        unknown = [kind for kind in profile.credentials if kind not in self.credentials]
        if unknown:
            raise wrong(f"credentials.kinds: the {self.name} connector checks "
                        f"{', '.join(self.credentials)}, not {', '.join(unknown)}")
        _check_endpoints(profile, wrong)
        ids = {r.id for r in self.declare(profile)}
        for key in profile.quotes:
            if key not in SECTIONS and key not in ids:
                raise wrong(f"quotes.{key}: {self.name} has no requirement {key} with this "
                            f"profile (docs/requirements.md lists them)")


def _check_endpoints(profile: Profile, wrong: Callable[[str], ProfileError]) -> None:
    names: set[str] = set()
    for endpoint in profile.endpoints:
        if endpoint.name in names:
            raise wrong(f"endpoints: {endpoint.name!r} is named twice")
        if endpoint.id_from is not None and endpoint.id_from not in names:
            raise wrong(f"endpoints.{endpoint.name}.id_from: {endpoint.id_from!r} is not an "
                        f"endpoint listed before it")
        if ("{id}" in endpoint.path) != (endpoint.id_from is not None):
            raise wrong(f"endpoints.{endpoint.name}: a path with {{id}} needs id_from, and "
                        f"id_from needs {{id}} in the path")
        for placeholder in re.findall(r"\{([^}]*)\}", endpoint.path):
            if placeholder not in ("repo", "org", "id"):
                raise wrong(f"endpoints.{endpoint.name}.path: {{{placeholder}}} is not one of "
                            f"{{repo}}, {{org}}, {{id}}")
        names.add(endpoint.name)

