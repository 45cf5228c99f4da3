"""Certificate chains for tests and scenarios, made with cryptography: roots, intermediates,
leaves, and every broken variant the TLS checks must name."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PUBLIC_ISSUER_URL = "http://crt.example-public-ca.test/tls-ca-1.crt"
NOW = datetime.now(UTC).replace(microsecond=0)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "connector-checks tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: PrivateKey = field(repr=False)

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()


def new_key(rsa_bits: int | None = None) -> PrivateKey:
    if rsa_bits:
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return ec.generate_private_key(ec.SECP256R1())


def issue(
    common_name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    sans: tuple[str, ...] = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    rsa_bits: int | None = None,
    digest: hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None = None,
    now: datetime = NOW,
    usages: tuple[x509.ObjectIdentifier, ...] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
    issuer_url: str | None = None,
    authority_key_id: bool = True,
    critical_constraints: bool = True,
) -> Issued:
    """A certificate signed by ``issuer``, or self-signed when there is none. A leaf carries
    ``usages`` as its extended key usage (None: no such extension), and ``issuer_url`` as the
    Authority Information Access URL of its issuer's certificate."""
    key = new_key(rsa_bits)
    subject = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=30))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                       critical=critical_constraints)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None and authority_key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, encipher_only=False,
                          decipher_only=False), critical=True)
    elif usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
    if issuer_url is not None:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(issuer_url))]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s)
                                                                     for s in sans]),
                                        critical=False)
    signer = issuer.key if issuer else key
    cert = builder.sign(signer, digest or hashes.SHA256())
    return Issued(cert, key)


def _general_name(text: str) -> x509.GeneralName:
    import ipaddress

    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def reissue_with_sha1(issued: Issued, issuer: Issued, directory: Path) -> Issued:
    """The same certificate signed with SHA-1. cryptography refuses to make SHA-1 signatures,
    so the openssl command line signs it; the certificate served is real either way."""
    template = directory / "sha1-template.pem"
    issuer_cert, issuer_key = directory / "sha1-issuer.pem", directory / "sha1-issuer-key.pem"
    key_file, out = directory / "sha1-key.pem", directory / "sha1-cert.pem"
    template.write_text(issued.pem)
    issuer_cert.write_text(issuer.pem)
    issuer_key.write_text(issuer.key_pem)
    key_file.write_text(issued.key_pem)
    extensions = directory / "sha1.ext"
    names = ",".join(f"DNS:{name}" for name in issued.cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
    extensions.write_text(f"subjectAltName={names}\nbasicConstraints=critical,CA:FALSE\n")
    subprocess.run(["openssl", "x509", "-in", str(template), "-signkey", str(key_file),
                    "-x509toreq", "-out", str(directory / "sha1.csr")], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(directory / "sha1.csr"), "-sha1",
                    "-CA", str(issuer_cert), "-CAkey", str(issuer_key), "-CAcreateserial",
                    "-days", "90", "-extfile", str(extensions), "-out", str(out)],
                   check=True, capture_output=True)
    return Issued(x509.load_pem_x509_certificate(out.read_bytes()), issued.key)


@dataclass(frozen=True)
class Chain:
    """What a server presents (leaf first) and the key it serves with."""

    leaf: Issued
    presented: tuple[Issued, ...]

    @property
    def pems(self) -> tuple[str, ...]:
        return tuple(issued.pem for issued in self.presented)


@dataclass(frozen=True)
class Pki:
    """A fictional internet: one public root with an intermediate, and a private CA."""

    public_root: Issued
    public_intermediate: Issued
    private_root: Issued

    @classmethod
    def create(cls, now: datetime = NOW) -> Pki:
        start, end = now - timedelta(days=3650), now + timedelta(days=3650)
        root = issue("Example Public Root CA", ca=True, now=now, not_before=start, not_after=end)
        intermediate = issue("Example Public TLS CA 1", root, ca=True, now=now, not_before=start,
                             not_after=end)
        private = issue("Acme Corp Internal Root CA", ca=True, now=now, not_before=start,
                        not_after=end)
        return cls(root, intermediate, private)

    def public_chain(self, *names: str, **options: object) -> Chain:
        """A leaf from the public intermediate, which publishes its certificate as public CAs
        do (Authority Information Access), sent with that intermediate."""
        options.setdefault("issuer_url", PUBLIC_ISSUER_URL)
        leaf = issue(names[0], self.public_intermediate, sans=names, **options)  # type: ignore[arg-type]
        return Chain(leaf, (leaf, self.public_intermediate))

    def private_chain(self, *names: str) -> Chain:
        leaf = issue(names[0], self.private_root, sans=names)
        return Chain(leaf, (leaf,))

    def self_signed(self, *names: str) -> Chain:
        leaf = issue(names[0], sans=names)
        return Chain(leaf, (leaf,))
