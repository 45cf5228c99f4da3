"""Offline scenarios: recorded observations and HTTP exchanges, replayed instead of probing.

A scenario is one JSON file (format in ``docs/scenarios.md``). DNS, TCP and TLS come back as
the observations they were; HTTP exchanges become respx routes behind the same httpx client
the live run uses, so every evaluator and report sees exactly what it would see live.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.model.addresses import host_port
from checks.model.endpoints import ConnectTo, HttpRequest, Nameserver
from checks.model.observations import (
    DnsLookup,
    HttpExchange,
    ProxyTunnel,
    RecordSet,
    TcpConnect,
    TlsHandshake,
)
from checks.model.secret import Secret
from checks.model.trust import PemBundle
from checks.probes.http import HttpClient, RecordedFailure

if TYPE_CHECKING:
    import httpx

    from checks.catalogue import Connector
from checks.settings import parse_connect_to, parse_nameserver

SCHEMA = 1


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    data: dict[str, Any]

    @property
    def connector(self) -> str:
        return str(self.data["connector"])

    @property
    def target(self) -> str:
        return str(self.data["target"])

    @property
    def org(self) -> str | None:
        org = self.data.get("org")
        return str(org) if org else None

    @property
    def recorded_at(self) -> datetime:
        return datetime.fromisoformat(str(self.data["recorded_at"]).replace("Z", "+00:00"))

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))

    @property
    def expect(self) -> list[dict[str, str]]:
        return list(self.data.get("expect", []))

    @property
    def connect_to(self) -> tuple[ConnectTo, ...]:
        """The --connect-to routes the run was recorded with."""
        return tuple(parse_connect_to(text) for text in self.data.get("connect_to", []))

    @property
    def public_resolvers(self) -> tuple[Nameserver, ...]:
        return tuple(parse_nameserver(text) for text in self.data.get("public_resolvers", []))

    @property
    def require_scopes(self) -> tuple[str, ...]:
        return tuple(self.data.get("require_scopes", []))

    @property
    def recording(self) -> dict[str, Any] | None:
        """Where and when a recorded live run was made (None for a hand-made scenario)."""
        recorded = self.data.get("recorded")
        return dict(recorded) if isinstance(recorded, dict) else None

    def trust(self, key: str) -> PemBundle | None:
        pems = self.data.get("trust", {}).get(key)
        if not pems:
            return None
        from cryptography import x509

        certs = tuple(x509.load_pem_x509_certificate(pem.encode()) for pem in pems)
        kind = {"public_roots": "public roots", "ca_bundle": "CA bundle"}.get(key, key)
        return PemBundle(f"the {kind} recorded in scenario {self.name}", certs)

    def proxy_for(self, url: str) -> str | None:
        """The proxy the recorded run used for ``url``'s host (credentials hidden), if any."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        recorded = self.data.get("proxy_for", {}).get(f"{parts.hostname}:{parts.port or 443}")
        return recorded if isinstance(recorded, str) else None

    def stand_in_secrets(self) -> dict[str, Secret]:
        """Credentials the recording had, replaced by stand-ins: a token with the same prefix,
        or a freshly made key of the same kind ("key:rsa-2048", "key:ec-p256", ...)."""
        return {name: Secret(_stand_in(name, kind), f"{name} (scenario)", stand_in=True)
                for name, kind in self.data.get("credentials", {}).items()}


def _stand_in(name: str, kind: str) -> str:
    """A credential of the recorded kind: a token with the recorded prefix, or key text of
    the recorded kind ("key:rsa-2048", "key:ec-p256", "key:ed25519", "key:certificate",
    "key:public", "key:encrypted", "key:unreadable"), made afresh."""
    if not kind.startswith("key:"):
        return f"{kind}{'0' * 32}{name[-4:].lower()}"
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    algorithm, _, size = kind.removeprefix("key:").partition("-")
    if algorithm == "unreadable":
        return "not a key"
    if algorithm == "ed25519":
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ed25519.Ed25519PrivateKey.generate())
    elif algorithm == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(65537, int(size) if size else 2048)
    if algorithm == "public":
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    if algorithm == "certificate":
        assert isinstance(key, rsa.RSAPrivateKey)
        name_ = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stand-in")])
        now = datetime.now().astimezone()
        certificate = (x509.CertificateBuilder().subject_name(name_).issuer_name(name_)
                       .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                       .not_valid_after(now).sign(key, hashes.SHA256()))
        return certificate.public_bytes(serialization.Encoding.PEM).decode()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(b"stand-in") if algorithm == "encrypted"
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode()


def bundled_dir(connector: str | Connector) -> Path:
    """The folder of a connector's bundled scenarios: scenarios/NAME/ in its own folder."""
    from checks.connectors import get_connector

    return (get_connector(connector) if isinstance(connector, str) else connector).scenarios


def bundled_names(connector: str | Connector) -> list[str]:
    folder = bundled_dir(connector)
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def load(connector: str | Connector, name_or_path: str) -> Scenario:
    """A bundled scenario of the connector (in its folder) by name, or a scenario file by
    path; ValueError says what is wrong."""
    if isinstance(connector, str):
        from checks.connectors import get_connector

        connector = get_connector(connector)
    is_path = name_or_path.endswith(".json") or "/" in name_or_path
    path = Path(name_or_path) if is_path else connector.scenarios / f"{name_or_path}.json"
    if not path.is_file():
        names = ", ".join(bundled_names(connector)) or "none"
        raise ValueError(f"no scenario {name_or_path!r} for connector {connector.name}: "
                         f"give a bundled name ({names}) or a path to a scenario .json file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"scenario {path} cannot be read as JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"scenario {path} is not a schema {SCHEMA} scenario file")
    missing = [key for key in ("connector", "target", "recorded_at") if key not in data]
    if missing:
        raise ValueError(f"scenario {path} lacks {', '.join(missing)}")
    if data["connector"] != connector.name:
        raise ValueError(f"scenario {path} was recorded for connector {data['connector']}, "
                         f"not {connector.name}")
    return Scenario(path.stem, str(path), data)


def _response(recorded: dict[str, Any]) -> httpx.Response:
    import httpx

    if "error" in recorded:
        raise RecordedFailure(recorded["error"], recorded.get("detail", ""))
    content: dict[str, Any] = ({"json": recorded["json"]} if "json" in recorded
                               else {"content": base64.b64decode(recorded["base64"])}
                               if "base64" in recorded else {"text": recorded.get("text", "")})
    # Header values as bytes: a server may send what is not ASCII (Retry-After: ²).
    headers = {name: str(value).encode() for name, value in recorded.get("headers", {}).items()}
    return httpx.Response(recorded["status"], headers=headers, **content)


def _records(rdtype: str, entry: Any) -> RecordSet:
    if isinstance(entry, list):
        return RecordSet(rdtype, tuple(entry))
    if isinstance(entry, dict):
        return RecordSet(rdtype, error=entry.get("error"), detail=entry.get("detail", ""))
    return RecordSet(rdtype, error="no_answer", detail=f"no {rdtype} record")


@dataclass
class _ReplayClient(HttpClient):
    """The replay's HTTP client: each answer takes as long as the recorded run waited for it."""

    recorded_elapsed: Callable[[str, str], float] = field(default=lambda method, url: 0.0)

    async def send(self, request: HttpRequest) -> HttpExchange:
        exchange = await super().send(request)
        return replace(exchange, elapsed_s=self.recorded_elapsed(request.method, request.url))


class ScenarioBackend:
    """Answers every probe from the scenario; opens no socket."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        # One respx route answers every request from a table keyed on method, URL and the
        # values of the headers an exchange is constrained by (a minted token): replay costs
        # the same per request however many exchanges a scenario holds.
        self._exchanges: dict[tuple[str, str], dict[tuple[str, ...],
                                                    dict[tuple[str, ...], Any]]] = {}
        for exchange in scenario.data.get("http", []):
            request = exchange["request"]
            url = request.get("url") or f"{scenario.target}{request['path']}"
            constraints = request.get("headers", {})
            names = tuple(sorted(name.lower() for name in constraints))
            values = tuple(str(value) for _, value in sorted(
                (name.lower(), value) for name, value in constraints.items()))
            shapes = self._exchanges.setdefault((request.get("method", "GET"), url), {})
            shapes.setdefault(names, {}).setdefault(values, exchange["response"])
        import httpx
        import respx  # offline HTTP is its job; a live run does not import it

        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        router.route().mock(side_effect=self._answer)
        replay = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler),
                                   follow_redirects=False)
        self.http = _ReplayClient(lambda proxy: replay, proxy=lambda url: None,
                                  clock=lambda: scenario.recorded_at)
        self.http.recorded_elapsed = self._elapsed

    def _answer(self, request: httpx.Request) -> httpx.Response:
        wanted = (request.method, str(request.url))
        shapes = self._exchanges.get(wanted, {})
        # The most constrained answer that fits first: a token's own, then anyone's.
        for names in sorted(shapes, key=len, reverse=True):
            values = tuple(request.headers.get(name, "") for name in names)
            if values in shapes[names]:
                return _response(shapes[names][values])
        raise RecordedFailure("error", self._unrecorded(f"{wanted[0]} {wanted[1]}"))

    def _elapsed(self, method: str, url: str) -> float:
        """How long the recorded run waited for this answer (0 when it was not recorded)."""
        for answers in self._exchanges.get((method, url), {}).values():
            for response in answers.values():
                elapsed = response.get("elapsed_s")
                if isinstance(elapsed, int | float) and not isinstance(elapsed, bool):
                    return float(elapsed)
        return 0.0

    def _unrecorded(self, what: str) -> str:
        return f"{what} is not recorded in scenario {self.scenario.name}"

    async def dns(self, name: str, servers: tuple[Nameserver, ...], public: bool) -> DnsLookup:
        table = self.scenario.data.get("public_dns" if public else "dns", {})
        label = "scenario public resolvers" if public else "scenario resolvers"
        if name not in table:
            missing = RecordSet("A", error="error", detail=self._unrecorded(f"DNS for {name}"))
            return DnsLookup(name, label, missing, RecordSet("AAAA", error="error"))
        entry = table[name]
        aliases = tuple(str(n) for n in entry.get("CNAME", ()))
        return DnsLookup(name, label, replace(_records("A", entry.get("A")), cnames=aliases),
                         replace(_records("AAAA", entry.get("AAAA")), cnames=aliases),
                         entry.get("elapsed_s", 0.0))

    async def tcp(self, address: str, port: int) -> TcpConnect:
        key = host_port(address, port)
        entry = self.scenario.data.get("tcp", {}).get(key)
        if entry is None:
            return TcpConnect(address, port, "error", self._unrecorded(f"TCP to {key}"))
        return TcpConnect(address, port, entry.get("error"), entry.get("detail", "connected"),
                          entry.get("elapsed_s", 0.0), entry.get("local_address", ""))

    async def proxy(self, proxy: str, address: str, port: int, host: str, target_port: int
                    ) -> ProxyTunnel:
        where = host_port(host, target_port)
        entry = self.scenario.data.get("proxy", {}).get(where)
        if not isinstance(entry, dict):
            return ProxyTunnel(proxy, address, port, where, error="protocol",
                               detail=self._unrecorded(f"CONNECT {where}"))
        return ProxyTunnel(
            entry.get("proxy", proxy), entry.get("address", address),
            int(entry.get("port", port)), where, status=entry.get("status"),
            reason=entry.get("reason", ""), headers=dict(entry.get("headers", {})),
            body=entry.get("body", ""), credentials_given=bool(entry.get("credentials_given")),
            error=entry.get("error"), detail=entry.get("detail", ""),
            version=entry.get("version"), chain_pem=tuple(entry.get("chain", ())),
            elapsed_s=entry.get("elapsed_s", 0.0))

    async def tls(self, host: str, port: int, address: str, connect_port: int) -> TlsHandshake:
        entry = self.scenario.data.get("tls", {}).get(f"{host}:{port}")
        if entry is None:
            return TlsHandshake(host, port, address, connect_port, "failed",
                                self._unrecorded(f"TLS with {host}:{port}"))
        return TlsHandshake(host, port, address, connect_port, entry.get("error"),
                            entry.get("detail", "handshake completed"), entry.get("version"),
                            entry.get("cipher"), tuple(entry.get("chain", ())),
                            entry.get("elapsed_s", 0.0),
                            bool(entry.get("client_certificate_requested", False)),
                            tuple(entry.get("client_ca_names", ())))
