"""Settings: parsed and validated once, as the command line and ini file are read.

Each ``parse_*`` function turns one option's text into a value or raises ValueError with a
one-line message saying what is wrong and what to do; the plugin uses them both as argparse
``type=`` functions and for ini values. Precedence: command line > ini > default.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from checks.model.endpoints import ConnectTo, Nameserver, Route, Target
from checks.model.trust import PemBundle
from checks.profiles import Profile

if TYPE_CHECKING:
    from checks.fleet import Fleet

RUN_TIMEOUT = 120.0  # seconds for the whole run, waits for rate limits included
MAX_INSTALLATIONS = 200  # a GitHub App's installations checked one by one at most


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
    max_wait: float = 30.0  # longest Retry-After or rate-limit reset honoured, in seconds
    max_pages: int = 100  # pages of a paginated list read at most
    run_timeout: float = RUN_TIMEOUT  # --run-timeout: the bound on the whole run, in seconds
    max_installations: int = MAX_INSTALLATIONS  # checked at most; the rest are counted
    vantage: str = ""  # --vantage: where this run looks from, in the reader's words
    record: Path | None = None  # --record: save the live run as a scenario file
    bundle: Path | None = None  # --bundle: one zip of the reports and the recording
    fail_on: str = "failed"  # --fail-on: failed, or warning
    compare: dict[str, Any] | None = None  # --compare: a previous JSON report
    metrics: Path | None = None  # --metrics: Prometheus text exposition
    profiles: tuple[Profile, ...] = ()  # --profile: at most one per connector
    # The connectors' own options (checks.options) that were given: flag -> value.
    connector_options: Mapping[str, Any] = field(default_factory=dict)
    fleet: Fleet | None = None  # --fleet: many targets, each a job under its own name
    fleet_concurrency: int = 8  # --fleet-concurrency: targets checked at once at most
    ping_webhooks: bool = False  # --ping-webhooks: the one check that changes the server


def parse_target(text: str) -> Target:
    parts = urlsplit(text.strip())
    if "@" in parts.netloc:  # never echoed: it may hold a password
        raise ValueError("--target carries a user name or password (not shown): give only "
                         "https://HOST[:PORT][/PATH]; credentials come from the environment")
    if parts.query or parts.fragment:  # never echoed: a query may hold a token
        raise ValueError("--target has a query or fragment (not shown): give only "
                         "https://HOST[:PORT][/PATH]; credentials come from the environment")
    shown = repr(text[:100] + ("…" if len(text) > 100 else ""))
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{shown} is not an https:// URL: give the server's web URL, "
                         f"e.g. https://git.example.com")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{shown} has a port outside 1-65535")
    url = f"https://{parts.netloc}{parts.path.rstrip('/')}"
    return Target(url, parts.hostname.lower(), port or 443)


def _port(text: str, what: str) -> int:
    port = int(text) if len(text) <= 5 else 0
    if not 0 < port < 65536:
        raise ValueError(f"{what}: port {port} is outside 1-65535")
    return port


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
    return Nameserver(_address(address), _port(match["p6"] or match["p4"] or "53", repr(text)))


def parse_connect_to(text: str) -> ConnectTo:
    match = re.fullmatch(r"(?P<host>[^:\[\]]+):(?P<port>\d+):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+)"
                         r":(?P<aport>\d+)", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not HOST:PORT:ADDR:PORT, e.g. "
                         f"git.example.com:443:10.0.0.5:8443")
    return ConnectTo(match["host"].lower(), _port(match["port"], repr(text)),
                     Route(_address(match["addr"]), _port(match["aport"], repr(text))))


PEM_LIMIT = 16 * 2**20  # Mozilla's whole bundle is about 0.3 MiB


def load_pem_bundle(path_text: str) -> PemBundle:
    path = Path(path_text).expanduser()
    try:
        with path.open("rb") as file:
            data = file.read(PEM_LIMIT + 1)
    except OSError as error:
        raise ValueError(f"cannot read {path_text!r}: {error.strerror}; give a readable PEM "
                         f"file of CA certificates") from None
    if len(data) > PEM_LIMIT:
        raise ValueError(f"{path_text!r} is larger than {PEM_LIMIT // 2**20} MiB: give a PEM "
                         f"file of CA certificates")
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

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
    import certifi

    bundle = load_pem_bundle(certifi.where())
    return PemBundle(f"certifi {certifi.__version__} (Mozilla)", bundle.certificates)


def parse_timeout(text: str) -> float:
    value = _seconds(text, "a timeout", 0, 300, "5 or 0.5")
    if value == 0:
        raise ValueError(f"{text[:20]!r}: give a timeout between 0 and 300 seconds")
    return value


def parse_repo(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+", text):
        raise ValueError(f"{text!r} is not OWNER/NAME, e.g. acme/api")
    return text


def parse_scope(text: str) -> str:
    """A scope as any platform may spell it; its connector checks its own grammar."""
    if not re.fullmatch(r"\S{1,100}", text) or not text.isprintable():
        raise ValueError(f"{text[:60]!r} is not a scope name: one word of up to 100 printable "
                         f"characters")
    return text


def _seconds(text: str, what: str, low: float, high: float, example: str) -> float:
    """A number of seconds within bounds; the message quotes at most 20 characters."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text[:20]!r} is not a number of seconds, e.g. {example}") from None
    if not low <= value <= high:  # NaN and infinities too
        raise ValueError(f"{text[:20]!r}: give {what} between {low:g} and {high:g} seconds")
    return value


def _count(text: str, what: str, high: int) -> int:
    """A whole number from 1 to ``high``, in ASCII digits (never Python's integer limit)."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))) or \
            not 0 < int(text) <= high:
        raise ValueError(f"{text[:20]!r} is not a number of {what} between 1 and {high}")
    return int(text)


def parse_max_wait(text: str) -> float:
    return _seconds(text, "a wait", 0, 3600, "30")


def parse_max_pages(text: str) -> int:
    return _count(text, "pages", 100_000)


def parse_run_timeout(text: str) -> float:
    return _seconds(text, "a run timeout", 1, 86400, "120")


def parse_max_installations(text: str) -> int:
    return _count(text, "installations", 1_000_000)


def parse_report_dir(text: str) -> Path:
    """A folder that is, or can be made, writable; nothing is created here."""
    path = Path(text).expanduser()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{text!r} is not a folder: {existing} is a file; give a folder for "
                         f"the reports")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{text!r} cannot be written here ({existing} is not writable): give "
                         f"a folder you can write to")
    return path


def parse_vantage(text: str) -> str:
    if not 0 < len(text.strip()) <= 80 or not text.isprintable():
        raise ValueError(f"{text[:80]!r} is not a vantage label: up to 80 printable characters, "
                         f"e.g. \"vendor side\" or \"office network\"")
    return text.strip()


def parse_output_file(suffix: str) -> Callable[[str], Path]:
    """A file to write (a recording, a bundle) in a folder that can be written."""
    def parse(text: str) -> Path:
        path = Path(text).expanduser()
        if not path.name.endswith(suffix):
            raise ValueError(f"{text!r} does not end with {suffix}: name the {suffix} file "
                             f"to write")
        if path.is_dir():
            raise ValueError(f"{text!r} is a folder: name the {suffix} file to write")
        parse_report_dir(str(path.parent))
        return path

    parse.__name__ = f"parse_{suffix.strip('.')}_file"
    return parse


def parse_record(text: str) -> Path:
    """--record: a .json file, or (for a fleet) a folder, one recording per target."""
    if text.endswith(".json"):
        return parse_output_file(".json")(text)
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{text!r} is a file: name the .json file to write (a fleet's, the "
                         f"folder for its recordings)")
    parse_report_dir(text)
    return path


def parse_fail_on(text: str) -> str:
    if text not in ("failed", "warning"):
        raise ValueError(f"{text!r}: give failed (a failure fails the run) or warning (a "
                         f"warning does too)")
    return text


def load_report(text: str) -> dict[str, Any]:
    """A previous run's JSON report, to compare with."""
    try:
        document = json.loads(Path(text).expanduser().read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {text!r}: {error.strerror}; give a JSON report of an "
                         f"earlier run") from None
    except ValueError:
        raise ValueError(f"{text!r} is not JSON: give a JSON report of an earlier run") from None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        raise ValueError(f"{text!r} is not a connector-checks JSON report")
    return document


def parse_org(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", text):
        raise ValueError(f"{text!r} is not an organization name (letters, digits, hyphens)")
    return text
