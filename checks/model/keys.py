"""Private keys in PEM, as people paste them: read, repaired, described (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


@dataclass(frozen=True)
class LoadedKey:
    key: rsa.RSAPrivateKey | None = field(repr=False)
    problem: str | None  # needed | encrypted | invalid | weak | None
    detail: str
    kind: str = ""  # "RSA 2048", "EC secp256r1", "public key", ...
    fingerprint: str = ""  # as code hosts list keys: SHA256:<base64>
    cleaned: tuple[str, ...] = ()  # what was repaired in the pasted text

    def evidence(self) -> dict[str, Any]:
        return {"key": self.kind or "unreadable", "fingerprint": self.fingerprint or None,
                "repaired": list(self.cleaned)}


def normalise_pem(text: str) -> tuple[str, tuple[str, ...]]:
    """Undo what pasting does to a PEM: CRLF, literal \\n escapes, quotes, blank lines."""
    cleaned: list[str] = []
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
        cleaned.append("surrounding quotes")
    if "\\n" in text and "\n" not in text.replace("\r\n", ""):
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n")
        cleaned.append("literal \\n escapes")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        cleaned.append("CRLF line endings")
    lines = [line.strip() for line in text.strip().split("\n")]
    if any(not line for line in lines):
        cleaned.append("blank lines")
    return "\n".join(line for line in lines if line) + "\n", tuple(cleaned)


def fingerprint(key: rsa.RSAPrivateKey) -> str:
    """SHA256:<base64> of the public key's DER, as code hosts list keys."""
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def load_private_key(text: str) -> LoadedKey:
    pem, cleaned = normalise_pem(text)
    begin = _BEGIN.search(pem)
    if begin is None:
        return LoadedKey(None, "invalid", "the text has no -----BEGIN ...----- line: it is not "
                         "PEM", cleaned=cleaned)
    label = begin.group(1)
    if label in ("PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "SSH2 PUBLIC KEY"):
        kind = "certificate" if label == "CERTIFICATE" else "public key"
        return LoadedKey(None, "needed", f"this is a {kind} (-----BEGIN {label}-----), not the "
                         f"private key", kind, cleaned=cleaned)
    if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in pem:
        return LoadedKey(None, "encrypted", "the private key is encrypted with a passphrase",
                         "encrypted private key", cleaned=cleaned)
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        return LoadedKey(None, "encrypted", "the private key is encrypted with a passphrase",
                         "encrypted private key", cleaned=cleaned)
    except (ValueError, UnsupportedAlgorithm) as error:
        return LoadedKey(None, "invalid", f"the PEM block -----BEGIN {label}----- cannot be "
                         f"read: {error}", cleaned=cleaned)
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = _kind(key)
        return LoadedKey(None, "needed", f"this is an {kind} private key; the key must be "
                         f"RSA (RS256)", kind, cleaned=cleaned)
    kind = f"RSA {key.key_size}"
    problem = "weak" if key.key_size < 2048 else None
    return LoadedKey(key, problem, f"an {kind} private key", kind, fingerprint(key), cleaned)


def _kind(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return type(key).__name__.removesuffix("PrivateKey")
    if isinstance(key, dsa.DSAPrivateKey):
        return "DSA"
    return type(key).__name__
