"""A development PKI: a root CA and a report-signing certificate (ECDSA P-256) under the data
folder, so that a fresh installation can seal reports at once. Production loads the organisation's
own certificate with `qa_engine.adapters.signing.load_signer`."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qa_engine.adapters.signing import Signer, load_signer
from qa_engine.domain.errors import ValidationFailed

__all__ = ["DEFAULT_ORGANISATION", "DevPKI", "create_dev_pki"]

DEFAULT_ORGANISATION = "4EU+ Alliance QA (development)"


@dataclass(frozen=True)
class DevPKI:
    """Paths of a development PKI: trust `ca_cert`, sign with `signer_key` + `signer_cert`."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    signer_cert: Path
    signer_key: Path

    def signer(self) -> Signer:
        """Load the development signer (key, certificate and the CA as its chain)."""
        return load_signer(key=self.signer_key, cert=self.signer_cert, chain=(self.ca_cert,))


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write a file atomically with the given permissions from the first byte on."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _name(organisation: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def create_dev_pki(directory: Path, *, organisation: str = DEFAULT_ORGANISATION) -> DevPKI:
    """Create (once) a development root CA and a report-signing certificate issued by it.

    Existing files are reused: a complete set is returned as is; a CA with its key and no signer
    gets a new signer. Keys are unencrypted PEM with 0600 permissions: for development only.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pki = DevPKI(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer-key.pem",
    )
    if pki.ca_cert.exists() and pki.signer_cert.exists() and pki.signer_key.exists():
        return pki

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if pki.ca_cert.exists():
        if not pki.ca_key.exists():
            raise ValidationFailed(
                f"{pki.ca_cert} exists without its key {pki.ca_key}, so no signing certificate "
                f"can be issued from it; remove {pki.ca_cert} to start a new development PKI."
            )
        ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
        loaded = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValidationFailed(f"{pki.ca_key} is not an ECDSA key.")
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name(organisation, f"{organisation} root CA")
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=10 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(pki.ca_key, _key_pem(ca_key), 0o600)
        _write_private(pki.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)

    ca_public = ca_cert.public_key()
    if not isinstance(ca_public, ec.EllipticCurvePublicKey):
        raise ValidationFailed(f"{pki.ca_cert} does not hold an ECDSA key.")
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(organisation, f"{organisation} report signing"))
        .issuer_name(ca_cert.subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(pki.signer_key, _key_pem(signer_key), 0o600)
    _write_private(pki.signer_cert, signer_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return pki
