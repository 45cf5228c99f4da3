"""Profiles: a vendor's setup guide as data. A profile names the connector it builds on and
what the vendor asks of it, each in the guide's own words: the hosts the vendor reaches, the
credential kinds it accepts, the scopes or app permissions (and whether more is a warning),
the organization role, the endpoints it calls, and its own error codes.

A profile is a TOML file, checked against ``profile.schema.json`` and then against its
connector; anything wrong is a :class:`ProfileError` whose one line names the file, the line
or key, and what is wrong. The format is described in ``docs/profiles.md``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from checks.model.text import one_line

SIZE_LIMIT = 256 * 1024  # a profile is a page of text
LEVELS = ("read", "write", "admin")


class ProfileError(ValueError):
    """A profile that cannot be used: one line, naming the file and what is wrong."""


@dataclass(frozen=True)
class Guide:
    vendor: str
    title: str
    url: str = ""
    read: date | None = None  # when the guide was read for this profile


@dataclass(frozen=True)
class Endpoint:
    """A request the vendor makes to prove its access, with the status it expects."""

    name: str
    path: str  # "/repos/{repo}/pulls?per_page=1"; {repo}, {org} and {id} are filled in
    method: str = "GET"
    status: int = 200
    id_from: str | None = None  # {id}: the first item's id in that endpoint's answer
    quote: str = ""


@dataclass(frozen=True)
class Webhook:
    """The vendor's webhook, as its guide describes it: where it delivers (a URL, or the
    start of one), the events it needs, its content type."""

    url: str = ""  # the vendor's webhook URL or its prefix ("" : the guide names none)
    events: tuple[str, ...] = ()
    content_type: str = ""  # "json" or "form" when the vendor needs one


@dataclass(frozen=True)
class Profile:
    name: str
    connector: str
    guide: Guide
    source: str  # the file it was read from, or "bundled NAME"
    text: str = field(repr=False, default="")  # the TOML itself, kept with a recording
    hosts: tuple[str, ...] = ()
    credentials: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    permissions: Mapping[str, str] = field(default_factory=dict)
    # More permissions when the target is the platform's self-hosted server.
    permissions_self_hosted: Mapping[str, str] = field(default_factory=dict)
    least_privilege: bool = False  # a grant beyond those required is a warning
    org_role: str | None = None
    endpoints: tuple[Endpoint, ...] = ()
    vendor_codes: Mapping[str, str] = field(default_factory=dict)
    webhook: Webhook | None = None  # when the vendor delivers webhooks
    # The guide's words, by requirement id or by section (scopes, network.dns, ...).
    quotes: Mapping[str, str] = field(default_factory=dict)
    bundled: bool = False

    def cite(self, requirement_id: str, section: str = "") -> str:
        """What a check of the requirement is required by: the guide by title, with its
        words for that requirement (or for its section)."""
        quote = self.quotes.get(requirement_id) or self.quotes.get(section, "")
        where = f"{self.guide.vendor}'s guide \"{self.guide.title}\""
        return f"{where}: {quote}" if quote else where

    def summary(self) -> dict[str, Any]:
        """The profile as a report names it."""
        return {"name": self.name, "source": self.source, "vendor": self.guide.vendor,
                "guide": self.guide.title, "url": self.guide.url,
                "read": self.guide.read.isoformat() if self.guide.read else None,
                "hosts": list(self.hosts)}


def schema_problem(document: dict[str, Any]) -> str | None:
    """Where a profile's document breaks the published schema, in one line, or None."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(),
                                                format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_jsonable(document)),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return None
    error = errors[0]
    key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{key}: {_said(error)}"


@cache
def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("checks").joinpath("profile.schema.json").read_text(encoding="utf-8"))
    return document


def read(path: Path, *, bundled: bool = False) -> Profile:
    """A profile file, checked against the schema (not yet against its connector). This
    package's own bundled profiles are checked by its test suite instead (importing and
    running jsonschema is a third of what an offline run's start costs); every other
    profile, another package's bundled ones too, is checked here."""
    shown = path.name if bundled else str(path)
    try:
        with path.open("rb") as file:
            data = file.read(SIZE_LIMIT + 1)
    except OSError as error:
        raise ProfileError(f"profile {shown}: cannot be read: {error.strerror}; give a "
                           f"readable .toml file or a bundled profile's name") from None
    if len(data) > SIZE_LIMIT:
        raise ProfileError(f"profile {shown}: larger than {SIZE_LIMIT // 1024} KiB; a profile "
                           f"is a page of text")
    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ProfileError(f"profile {shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:  # its message names the line and column
        raise ProfileError(f"profile {shown}: not TOML: {one_line(str(error))}") from None
    ours = bundled and path.resolve().is_relative_to(Path(__file__).resolve().parent)
    return parse(document, shown, text, bundled=bundled, checked=ours)


def parse(document: dict[str, Any], shown: str, text: str = "", *,
          bundled: bool = False, checked: bool = False) -> Profile:
    """A profile from its TOML document; ``checked``: already known to follow the schema."""
    if not checked:
        problem = schema_problem(document)
        if problem is not None:
            raise ProfileError(f"profile {shown}: {problem}")
    guide = document["guide"]
    network = document.get("network", {})
    credentials = document.get("credentials", {})
    scopes = document.get("scopes", {})
    permissions = document.get("permissions", {})
    organization = document.get("organization", {})
    quotes: dict[str, str] = {f"network.{name}": network[name]
                              for name in ("dns", "firewall", "tls") if name in network}
    webhook = document.get("webhook")
    for section, table in (("credentials", credentials), ("scopes", scopes),
                           ("permissions", permissions), ("organization", organization),
                           ("webhook", webhook or {})):
        if "quote" in table:
            quotes[section] = table["quote"]
    said = [e["quote"] for e in document.get("endpoints", ()) if "quote" in e]
    if said:
        quotes["endpoints"] = "; ".join(said)
    quotes.update(document.get("quotes", {}))
    least = scopes.get("least_privilege", permissions.get("least_privilege", False))
    return Profile(
        name=document["name"], connector=document["connector"],
        guide=Guide(guide["vendor"], guide["title"], guide.get("url", ""), guide.get("read")),
        source=f"bundled {document['name']}" if bundled else shown, text=text,
        hosts=tuple(network.get("hosts", ())), credentials=tuple(credentials.get("kinds", ())),
        scopes=tuple(scopes.get("required", ())),
        permissions=dict(permissions.get("required", {})),
        permissions_self_hosted=dict(permissions.get("self_hosted", {})),
        least_privilege=bool(least), org_role=organization.get("role"),
        endpoints=tuple(Endpoint(e["name"], e["path"], e.get("method", "GET"),
                                 e.get("status", 200), e.get("id_from"), e.get("quote", ""))
                        for e in document.get("endpoints", ())),
        vendor_codes=dict(document.get("vendor_codes", {})), quotes=quotes, bundled=bundled,
        webhook=None if webhook is None else Webhook(
            webhook.get("url", ""), tuple(webhook.get("events", ())),
            webhook.get("content_type", "")))


def _jsonable(value: Any) -> Any:
    """TOML's dates as the strings JSON Schema's "date" format checks."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat() if type(value) is date else f"{value} (not a plain date)"
    return value


def _said(error: Any) -> str:
    """A schema error in a reader's words: what is wrong, and what is expected."""
    said = str(error.message)
    if error.validator == "additionalProperties":
        return f"{said}; the keys allowed are in docs/profiles.md"
    if error.validator == "required":
        return said.replace("is a required property", "is missing")
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    if len(said) > 200:
        said = said[:200] + "…"
    return one_line(said + (f" ({described})" if described else ""))
