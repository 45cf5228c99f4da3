"""Where checks go: the target, the routes and nameservers used, and the HTTP requests sent."""

from __future__ import annotations

from dataclasses import dataclass

from checks.model.addresses import host_port
from checks.model.secret import Secret


@dataclass(frozen=True)
class Target:
    url: str  # https://github.example.com (no trailing slash)
    host: str
    port: int


@dataclass(frozen=True)
class Route:
    """Where a host's connections really go (curl's --connect-to)."""

    address: str
    port: int


@dataclass(frozen=True)
class ConnectTo:
    host: str
    port: int
    route: Route


@dataclass(frozen=True)
class Nameserver:
    address: str
    port: int = 53

    def __str__(self) -> str:
        return host_port(self.address, self.port)


@dataclass(frozen=True, eq=False)
class HttpRequest:
    method: str
    url: str
    token: Secret | None = None  # sent as "Authorization: <scheme> ..."
    headers: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, Secret | str], ...] = ()
    scheme: str = "token"  # "Bearer" for a GitHub App's JWT

    @property
    def key(self) -> tuple[str, str, str, tuple[tuple[str, str], ...], int]:
        """Requests with the same key ask the same question: probe it once (the same
        credential, wherever it was read from: two targets of a fleet with one token)."""
        return (self.method, self.url, self.token.fingerprint if self.token else "",
                self.headers, id(self.form) if self.form else 0)
