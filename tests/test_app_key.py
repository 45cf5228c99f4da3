"""Private keys as people paste them, and the JWTs made with them."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from checks.connectors.github.app_key import mint_jwt
from checks.model.keys import fingerprint, load_private_key, normalise_pem

KEY = rsa.generate_private_key(65537, 2048)
PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                        serialization.NoEncryption()).decode()


@pytest.mark.parametrize(("pasted", "repaired"), [
    (PEM, ()),
    (PEM.replace("\n", "\r\n"), ("CRLF line endings",)),
    (PEM.replace("\n", "\\n"), ("literal \\n escapes",)),
    (f'"{PEM}"', ("surrounding quotes",)),
    (f"'{PEM.strip()}'", ("surrounding quotes",)),
    ("\n\n" + PEM.replace("-----\n", "-----\n\n", 1) + "\n\n", ("blank lines",)),
    ('"' + PEM.replace("\n", "\\r\\n") + '"', ("surrounding quotes", "literal \\n escapes")),
])
def test_pasted_keys_are_repaired_and_say_how(pasted: str, repaired: tuple[str, ...]) -> None:
    text, cleaned = normalise_pem(pasted)
    assert cleaned == repaired
    loaded = load_private_key(pasted)
    assert loaded.problem is None and loaded.kind == "RSA 2048"
    assert loaded.fingerprint == fingerprint(KEY)


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _pem(key: PrivateKey, form: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
         encryption: serialization.KeySerializationEncryption | None = None) -> str:
    return key.private_bytes(serialization.Encoding.PEM, form,
                             encryption or serialization.NoEncryption()).decode()


@pytest.mark.parametrize(("text", "problem", "kind"), [
    (_pem(ec.generate_private_key(ec.SECP256R1())), "needed", "EC secp256r1"),
    (_pem(ed25519.Ed25519PrivateKey.generate()), "needed", "Ed25519"),
    (KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
     "needed", "public key"),
    (KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.PKCS1).decode(), "needed", "public key"),
    (_pem(KEY, encryption=serialization.BestAvailableEncryption(b"pass")), "encrypted",
     "encrypted private key"),
    (_pem(KEY, serialization.PrivateFormat.TraditionalOpenSSL,
          serialization.BestAvailableEncryption(b"pass")), "encrypted", "encrypted private key"),
    ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ", "invalid", ""),
    ("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n", "invalid",
     ""),
    (_pem(rsa.generate_private_key(65537, 1024)), "weak", "RSA 1024"),
])
def test_every_wrong_key_is_named(text: str, problem: str, kind: str) -> None:
    loaded = load_private_key(text)
    assert (loaded.problem, loaded.kind) == (problem, kind), loaded.detail
    assert (loaded.key is None) == (problem != "weak")


def test_the_jwt_is_what_github_asks_for() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    token = mint_jwt(KEY, "Iv23liABCDEF", now)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, KEY.public_key(), algorithms=["RS256"],
                        options={"verify_exp": False, "verify_iat": False})
    assert header["alg"] == "RS256"
    assert claims["iss"] == "Iv23liABCDEF"
    assert int(now.timestamp()) - claims["iat"] == 60
    assert 0 < claims["exp"] - int(now.timestamp()) < 600
