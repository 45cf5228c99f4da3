"""Settings: parsed and validated once, as the command line and ini file are read.

Each ``parse_*`` function turns one option's text into a value or raises ValueError with a
one-line message saying what is wrong and what to do; the plugin uses them both as argparse
``type=`` functions and for ini values. Precedence: command line > ini > default.
"""

from __future__ import annotations

import ipaddress
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from checks.model.endpoints import ConnectTo, Nameserver, Route, Target
from checks.model.trust import PemBundle


@dataclass(frozen=True)
class Settings:
    connectors: tuple[str, ...]
    target: Target | None
    org: str | None
    offline: bool
    scenario: str
    resolvers: tuple[Nameserver, ...]
    public_resolvers: tuple[Nameserver, ...]
    connect_to: tuple[ConnectTo, ...]
    public_roots: PemBundle | None  # None: certifi's bundle
    ca_bundle: PemBundle | None
    timeout: float
    report_dir: Path
    repo: str | None = None
    require_scopes: tuple[str, ...] = ()  # replaces a connector's default scopes


def parse_target(text: str) -> Target:
    parts = urlsplit(text.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{text!r} is not an https:// URL: give the server's web URL, "
                         f"e.g. https://github.example.com")
    if parts.query or parts.fragment or parts.username:
        raise ValueError(f"{text!r} has a query, fragment or credentials: give only "
                         f"https://HOST[:PORT][/PATH]")
    try:
        port = parts.port or 443
    except ValueError:
        raise ValueError(f"{text!r} has an invalid port") from None
    url = f"https://{parts.netloc}{parts.path.rstrip('/')}"
    return Target(url, parts.hostname.lower(), port)


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


def parse_nameserver(text: str) -> Nameserver:
    match = re.fullmatch(r"\[(?P<v6>[0-9a-fA-F:.]+)\](?::(?P<p6>\d+))?|(?P<v4>[0-9.]+)(?::(?P<p4>\d+))?"
                         r"|(?P<bare6>[0-9a-fA-F:]+)", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not ADDR[:PORT]: give an IP address, e.g. 10.0.0.2, "
                         f"10.0.0.2:5353 or [2001:db8::53]:53")
    address = match["v6"] or match["v4"] or match["bare6"]
    port = int(match["p6"] or match["p4"] or 53)
    if not 0 < port < 65536:
        raise ValueError(f"{text!r}: port {port} is out of range")
    return Nameserver(_address(address), port)


def parse_connect_to(text: str) -> ConnectTo:
    match = re.fullmatch(r"(?P<host>[^:\[\]]+):(?P<port>\d+):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+)"
                         r":(?P<aport>\d+)", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not HOST:PORT:ADDR:PORT, e.g. "
                         f"github.example.com:443:10.0.0.5:8443")
    return ConnectTo(match["host"].lower(), int(match["port"]),
                     Route(_address(match["addr"]), int(match["aport"])))


def load_pem_bundle(path_text: str) -> PemBundle:
    path = Path(path_text).expanduser()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {path_text!r}: {error.strerror}; give a readable PEM "
                         f"file of CA certificates") from None
    try:
        with warnings.catch_warnings():
            # Mozilla's bundle holds a root with a non-positive serial number; cryptography
            # warns about it on every load. It says nothing about the server being checked.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            certificates = tuple(x509.load_pem_x509_certificates(data))
    except ValueError:
        raise ValueError(f"{path_text!r} holds no PEM certificates (-----BEGIN CERTIFICATE-----)"
                         ) from None
    return PemBundle(str(path), certificates)


def certifi_roots() -> PemBundle:
    """Mozilla's roots as certifi ships them, loaded explicitly (SSL_CERT_FILE has no say)."""
    bundle = load_pem_bundle(certifi.where())
    return PemBundle(f"certifi {certifi.__version__} (Mozilla)", bundle.certificates)


def parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds, e.g. 5 or 0.5") from None
    if not 0 < value <= 300:
        raise ValueError(f"{text!r}: give a timeout between 0 and 300 seconds")
    return value


def parse_repo(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+", text):
        raise ValueError(f"{text!r} is not OWNER/NAME, e.g. acme/api")
    return text


def parse_scope(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z_:]*[a-z]", text):
        raise ValueError(f"{text!r} is not a scope name, e.g. repo, read:org or read_repository")
    return text


def parse_org(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", text):
        raise ValueError(f"{text!r} is not an organization name (letters, digits, hyphens)")
    return text
