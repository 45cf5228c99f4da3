"""Trust: which CAs count as public, and which private CAs this network is known to use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509


@dataclass(frozen=True)
class PemBundle:
    label: str
    certificates: tuple[x509.Certificate, ...]

    @property
    def pem_list(self) -> tuple[str, ...]:
        from cryptography.hazmat.primitives.serialization import Encoding

        return tuple(c.public_bytes(Encoding.PEM).decode() for c in self.certificates)

    @property
    def pem(self) -> str:
        return "".join(self.pem_list)


@dataclass(frozen=True)
class Trust:
    public_roots: tuple[x509.Certificate, ...]
    public_label: str  # "certifi (Mozilla)" or the --public-roots path
    private_cas: tuple[x509.Certificate, ...] = ()
    private_label: str = ""
