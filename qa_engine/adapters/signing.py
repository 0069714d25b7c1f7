"""Seal evaluation reports (PAdES with pyHanko) and verify sealed reports.

- `load_signer` loads the organisation's certificate (PKCS#12, or PEM key + certificate + chain);
  a fresh installation seals with the development PKI of `qa_engine.adapters.dev_pki`.
- `sign_pdf` adds one PAdES signature (B-B, or B-T with a timestamp authority).
- `verify_pdf` answers with a `Verdict` whose `status` a person can act on; it never raises for
  anything wrong with the document itself.

ECDSA P-256 and RSA only: poppler's ``pdfsig`` (and so many desktop viewers) cannot check
Ed25519 PDF signatures, and the design asks for reports any validator can check.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    validate_pdf_signature,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from qa_engine.domain.errors import StorageError, ValidationFailed
from qa_engine.domain.i18n import N_, Message
from qa_engine.domain.verification import Verdict, VerdictStatus

__all__ = [
    "Signer",
    "Verdict",
    "VerdictStatus",
    "load_signer",
    "sign_pdf",
    "verify_pdf",
]

DEFAULT_REASON = "Evaluation report of the 4EU+ micro-credential quality assurance"
DEFAULT_LOCATION = "4EU+ Alliance"
TIMESTAMP_TIMEOUT_S = 10

# pyHanko logs validation failures with full tracebacks; a library must not print them to stderr
# of a CLI that set up no logging. With a handler present, records still reach the app's handlers.
for _name_ in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name_).addHandler(logging.NullHandler())

# Why a chain is not trusted, in words (AdES sub-indications).
_TRUST_PROBLEMS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "no chain to a trusted root was found",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "its chain does not lead to a trusted root",
    "CHAIN_CONSTRAINTS_FAILURE": "its chain breaks a certificate constraint",
    "REVOKED": "it has been revoked",
    "REVOKED_NO_POE": "it has been revoked",
    "REVOKED_CA_NO_POE": "a certificate of its chain has been revoked",
    "EXPIRED": "it has expired",
    "OUT_OF_BOUNDS_NO_POE": "it was not valid at the time of validation (expired or not yet valid)",
    "OUT_OF_BOUNDS_NOT_REVOKED": (
        "it was not valid at the time of validation (expired or not yet valid)"
    ),
    "NOT_YET_VALID": "it is not yet valid",
    "SIG_CONSTRAINTS_FAILURE": "it is not allowed to sign documents (key usage)",
    "CRYPTO_CONSTRAINTS_FAILURE": "it uses an algorithm that is no longer accepted",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "it uses an algorithm that is no longer accepted",
}

# The signer's certificate must allow one of these (seals often carry only digitalSignature).
_ACCEPTED_KEY_USAGE = {"digital_signature", "non_repudiation"}


# --- loading the organisation's signer ------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """A loaded signing key and certificate, ready for `sign_pdf`."""

    pyhanko_signer: signers.SimpleSigner
    common_name: str | None
    organisation: str | None
    serial_number: int
    not_valid_after: dt.datetime
    source: str  # where it was loaded from, for messages and logs
    # the same material for JOSE seals (`qa_engine.adapters.jose_seal`): the key, and the signing
    # certificate followed by the chain given with it
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificates: tuple[x509.Certificate, ...]


def _read(path: Path | str, what: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise ValidationFailed(f"The {what} file {p} does not exist.")
    if not p.is_file():
        raise ValidationFailed(f"The {what} path {p} is not a file.")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            f"The {what} file {p} cannot be read: {exc.strerror or exc}."
        ) from exc


def _password(value: str | bytes | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return value.encode("utf-8")


def _load_certs(path: Path | str, what: str) -> list[x509.Certificate]:
    data = _read(path, what)
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ValidationFailed(
            f"The {what} file {path} holds no readable X.509 certificate (PEM or DER)."
        ) from exc
    if not certs:
        raise ValidationFailed(f"The {what} file {path} holds no certificate.")
    return certs


def _load_key(path: Path | str, password: bytes | None) -> PrivateKeyTypes:
    data = _read(path, "private key")
    loader = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in data
        else serialization.load_der_private_key
    )
    try:
        return loader(data, password=password)
    except TypeError as exc:
        if password is None:
            raise ValidationFailed(
                f"The private key file {path} is encrypted: give its password."
            ) from exc
        raise ValidationFailed(
            f"The private key file {path} is not encrypted: give no password."
        ) from exc
    except ValueError as exc:
        hint = "the password is wrong or the file" if password is not None else "the file"
        raise ValidationFailed(
            f"The private key file {path} cannot be read: {hint} is not a private key (PEM or DER)."
        ) from exc
    except Exception as exc:  # noqa: BLE001 - unsupported algorithms and the like
        raise ValidationFailed(f"The private key file {path} cannot be read: {exc}.") from exc


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _public_der(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signer(
    p12: Path | str | None = None,
    p12_password: str | bytes | None = None,
    key: Path | str | None = None,
    cert: Path | str | None = None,
    chain: Sequence[Path | str] = (),
    key_password: str | bytes | None = None,
) -> Signer:
    """Load the signing key and certificate from a PKCS#12 file, or from PEM/DER key + certificate.

    Raises `ValidationFailed` naming the file and what is wrong with it.
    """
    if p12 is not None and (key is not None or cert is not None):
        raise ValidationFailed("Give either a PKCS#12 file or a key and a certificate, not both.")
    extra: list[x509.Certificate] = []
    for path in chain:
        extra.extend(_load_certs(path, "certificate chain"))

    if p12 is not None:
        source = str(p12)
        data = _read(p12, "PKCS#12")
        try:
            private_key, certificate, bundled = pkcs12.load_key_and_certificates(
                data, _password(p12_password)
            )
        except ValueError as exc:
            if p12_password is None:
                why = "it needs a password, or it is not a PKCS#12 file"
            else:
                why = "the password is wrong, or it is not a PKCS#12 file"
            raise ValidationFailed(f"The PKCS#12 file {p12} cannot be opened: {why}.") from exc
        except Exception as exc:  # noqa: BLE001 - unsupported encryption schemes and the like
            raise ValidationFailed(f"The PKCS#12 file {p12} cannot be opened: {exc}.") from exc
        if private_key is None:
            raise ValidationFailed(f"The PKCS#12 file {p12} holds no private key.")
        if certificate is None:
            raise ValidationFailed(f"The PKCS#12 file {p12} holds no certificate for its key.")
        extra = list(bundled) + extra
    elif key is not None and cert is not None:
        source = str(cert)
        private_key = _load_key(key, _password(key_password))
        certs = _load_certs(cert, "certificate")
        certificate, extra = certs[0], certs[1:] + extra
    else:
        raise ValidationFailed(
            "To sign reports, give a PKCS#12 file, or both a private key file and a "
            "certificate file."
        )

    if isinstance(private_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        raise ValidationFailed(
            f"The key in {source} is an EdDSA key; use ECDSA (P-256) or RSA, which every PDF "
            "validator can check."
        )
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValidationFailed(
            f"The key in {source} is of an unsupported type; use ECDSA (P-256) or RSA."
        )
    if _public_der(private_key.public_key()) != _public_der(certificate.public_key()):
        raise ValidationFailed(f"The private key does not belong to the certificate in {source}.")
    now = dt.datetime.now(dt.UTC)
    if certificate.not_valid_after_utc < now:
        raise ValidationFailed(
            f"The certificate in {source} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; reports signed with it would not "
            "verify."
        )
    if certificate.not_valid_before_utc > now:
        raise ValidationFailed(
            f"The certificate in {source} is valid only from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."
        )

    # pyhanko_certvalidator leaves from_certs (and the store's __init__) unannotated
    registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
        [translate_pyca_cryptography_cert_to_asn1(c) for c in extra]
    )
    simple = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
        cert_registry=registry,
    )
    return Signer(
        pyhanko_signer=simple,
        common_name=_attribute(certificate.subject, NameOID.COMMON_NAME),
        organisation=_attribute(certificate.subject, NameOID.ORGANIZATION_NAME),
        serial_number=certificate.serial_number,
        not_valid_after=certificate.not_valid_after_utc,
        source=source,
        private_key=private_key,
        certificates=(certificate, *extra),
    )


# --- signing ------------------------------------------------------------------------------------


def choose_timestamper(
    timestamp_url: str | None, timestamper: TimeStamper | None
) -> TimeStamper | None:
    """The timestamp authority of a signature or seal: an RFC 3161 service's http(s) address, or
    a ready timestamper (tests), never both; None for none."""
    if timestamp_url is not None and timestamper is not None:
        raise ValidationFailed("Give either a timestamp URL or a timestamper, not both.")
    if timestamp_url is None:
        return timestamper
    if not timestamp_url.startswith(("http://", "https://")):
        raise ValidationFailed(f"The timestamp URL {timestamp_url!r} is not an http(s) address.")
    return HTTPTimeStamper(timestamp_url, timeout=TIMESTAMP_TIMEOUT_S)


def sign_pdf(
    pdf: bytes,
    signer: Signer | signers.Signer,
    *,
    field_name: str = "QA-Evaluation",
    reason: str = DEFAULT_REASON,
    location: str = DEFAULT_LOCATION,
    timestamp_url: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Add a PAdES signature (SHA-256) to the PDF and return the signed bytes.

    With `timestamp_url` (an RFC 3161 service) or a ready `timestamper`, the signature carries a
    signature timestamp (PAdES B-T); otherwise it is PAdES B-B.
    """
    if not pdf.startswith(b"%PDF-"):
        raise ValidationFailed(
            "Only a PDF document can be signed: the data does not start with %PDF-."
        )
    timestamper = choose_timestamper(timestamp_url, timestamper)
    pyhanko_signer = signer.pyhanko_signer if isinstance(signer, Signer) else signer
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    try:
        out = signers.sign_pdf(writer, meta, signer=pyhanko_signer, timestamper=timestamper)
    except TimestampRequestError as exc:
        where = timestamp_url or "the timestamp authority"
        raise StorageError(
            f"The timestamp authority at {where} did not answer with a timestamp: {exc}."
        ) from exc
    signed: bytes = out.getvalue()  # pyHanko leaves sign_pdf's answer (a BytesIO) unannotated
    return signed


# --- verification -------------------------------------------------------------------------------


def _load_trust_roots(paths: Iterable[Path | str]) -> list[asn1_x509.Certificate]:
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        roots.extend(
            translate_pyca_cryptography_cert_to_asn1(c) for c in _load_certs(path, "trust root")
        )
    return roots


def _info(reader: PdfFileReader, revision: int | None = None) -> dict[str, str]:
    """The document information (/Info: Title, Subject, ...) as of `revision`, else the latest.

    An update may rewrite the /Info object under its old number, so the entries are read through
    the resolver of that revision, not through the reader (which always answers the latest).
    """
    resolver = reader if revision is None else reader.get_historical_resolver(revision)
    ref = resolver.trailer_view.raw_get("/Info")
    if ref is None:
        return {}
    info = resolver.get_object(ref.reference) if isinstance(ref, generic.IndirectObject) else ref
    if not isinstance(info, generic.DictionaryObject):
        return {}
    return {str(k).lstrip("/"): str(v) for k, v in info.items()}


def _report_id(reader: PdfFileReader, revision: int | None = None) -> str | None:
    """The report id from /Info /Subject, as of `revision` (the signed one) when given."""
    try:
        return _info(reader, revision).get("Subject")
    except Exception:  # noqa: BLE001 - metadata is a courtesy; a broken /Info does not stop the check
        return None


def _common_name(cert: asn1_x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    try:
        name = cert.subject.native.get("common_name")  # asn1crypto has no type information
        return name if isinstance(name, str) else None
    except Exception:  # noqa: BLE001
        return None


def _when(value: dt.datetime | None) -> str:
    return (
        "an unknown time"
        if value is None
        else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    )


def _der_length(raw: bytes) -> int | None:
    """Total length of the DER value at the start of `raw` (tag, length and content), or None."""
    if len(raw) < 2:
        return None
    first = raw[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(raw) < 2 + count:
        return None
    return 2 + count + int.from_bytes(raw[2 : 2 + count], "big")


def _container_problem(
    embedded: EmbeddedPdfSignature, roots: Sequence[asn1_x509.Certificate]
) -> str | None:
    """Check the parts of the signature that its byte range and signature value do not protect.

    The /Contents hex string is excluded from the signed byte range and holds the CMS object
    followed by zero padding; the certificates inside the CMS are not signed either. A change
    there leaves pyHanko's verdict valid, so check them here: padding all zeros, and each
    embedded certificate verifying under an issuer of the same name (embedded or trusted).
    """
    raw = bytes(embedded.sig_object["/Contents"])
    length = _der_length(raw)
    if length is None or length > len(raw):
        return "The signature container is malformed."
    if raw[length:].strip(b"\x00"):
        return "Bytes were written into the signature's reserved space after signing."
    try:
        embedded_certs = [
            x509.load_der_x509_certificate(choice.chosen.dump())
            for choice in embedded.signed_data["certificates"] or []
            if choice.name == "certificate"
        ]
        known = embedded_certs + [x509.load_der_x509_certificate(r.dump()) for r in roots]
    except Exception:  # noqa: BLE001 - a certificate that no longer parses was altered
        return "A certificate embedded in the signature was altered after signing."
    for cert in embedded_certs:
        issuers = [c for c in known if c.subject == cert.issuer and _may_have_issued(c, cert)]
        if not issuers:
            continue  # an issuer we do not have: trust is judged on the validation path instead
        verified = False
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
                verified = True
                break
            except Exception:  # noqa: BLE001 - InvalidSignature, ValueError, TypeError
                continue
        if not verified:
            return "A certificate embedded in the signature was altered after signing."
    return None


def _key_id(
    cert: x509.Certificate,
    ext_type: type[x509.AuthorityKeyIdentifier] | type[x509.SubjectKeyIdentifier],
) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_class(ext_type).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    return ext.digest if isinstance(ext, x509.SubjectKeyIdentifier) else ext.key_identifier


def _may_have_issued(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    """Same name is not enough when a CA renewed its key: compare key identifiers if both exist."""
    aki = _key_id(cert, x509.AuthorityKeyIdentifier)
    ski = _key_id(issuer, x509.SubjectKeyIdentifier)
    return aki is None or ski is None or aki == ski


def _open(data: bytes) -> PdfFileReader | None:
    for strict in (True, False):
        try:
            reader = PdfFileReader(BytesIO(data), strict=strict)
            reader.root  # noqa: B018 - force the catalogue to be parsed
            return reader
        except Exception:  # noqa: BLE001 - anything unreadable is "not a PDF we can read"
            continue
    return None


# A signature dictionary's /ByteRange [0 a b c]: the signed file is b + c bytes long.
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]")


def _signed_lengths(body: bytes) -> list[int]:
    """How long the file was when each signature was made, read from the raw /ByteRange entries
    (longest first); found even where the file's structure no longer parses."""
    return sorted({int(m[2]) + int(m[3]) for m in _BYTE_RANGE.finditer(body)}, reverse=True)


_EOF = re.compile(rb"%%EOF(?:\r\n|\r|\n)?")


def _cut_points(body: bytes, signed_lengths: list[int]) -> list[int]:
    """Where the PDF in `body` may end: the signed lengths and the ends of the last three %%EOF
    markers, longest first."""
    ends = [m.end() for m in _EOF.finditer(body)][-3:]
    return sorted(set(signed_lengths) | set(ends), reverse=True)


def _bytes(count: int) -> str:
    return "1 byte" if count == 1 else f"{count} bytes"


def _added(count: int) -> str:
    return "1 byte was added" if count == 1 else f"{count} bytes were added"


# the verdicts' fixed texts: msgids, shown in the reader's language on the verification page
_NOT_PDF = N_("The file is not a PDF document.")
_UNREADABLE = N_(
    "The file is damaged: it starts like a PDF but its contents cannot be read (it may have"
    " been cut short or corrupted). Get the report again from where it was issued."
)
_NO_SIGNATURES = N_(
    "The signatures of this PDF cannot be read; the file is damaged or was altered."
)
_UNSIGNED = N_(
    "The PDF carries no signature, so nothing proves who issued it or that it is unchanged."
)
_UNCHECKABLE = N_("The signature cannot be checked: the file was damaged or altered after signing.")
_RULES = N_("The signature does not meet the signing rules of this document.")
_SEALED = N_(
    "The report is intact and sealed by %(signer)s on %(when)s; the certificate chain leads to"
    " a trusted root."
)
_FIXED = frozenset(
    {
        N_(
            "The signature does not cover the whole file: parts of it could have been changed"
            " after signing."
        ),
        N_("The signed content was changed after signing: this is not the report that was sealed."),
        N_("The signature value does not match the signed content; the seal is broken."),
        N_("The signature's timestamp is damaged; the seal cannot be relied on."),
        N_("The file was changed after signing in a way the signature does not allow."),
    }
)


@dataclass(frozen=True)
class _Located:
    """Where the PDF sits in the given file: what was read, and what surrounds it."""

    reader: PdfFileReader
    before: int  # bytes in front of %PDF-
    body_length: int  # bytes from %PDF- to the end of the file


def _locate(data: bytes) -> _Located | Verdict:
    """Find the readable PDF in `data`, or the verdict when there is none.

    A signed PDF with bytes added in front (before %PDF-) or behind (after the signed part) is
    still found, so that the verdict can say the file was changed rather than call it no PDF.
    A file shorter than its signed part was cut short.
    """
    start = data.find(b"%PDF-")
    if start < 0:
        return Verdict("not_pdf", _NOT_PDF, text=Message(_NOT_PDF))
    body = data[start:]
    lengths = _signed_lengths(body)
    if lengths and lengths[0] > len(body):
        return Verdict(
            "invalid",
            f"The file is damaged: it ends {_bytes(lengths[0] - len(body))} before the end of "
            "the part that was signed, so it was cut short (for example by an interrupted "
            "download or upload). Get the report again from where it was issued.",
        )
    reader = _open(body)
    # bytes behind the PDF can hide its end from the reader: try where a signed part or a
    # revision (%%EOF) ends instead, the longest first
    for length in _cut_points(body, lengths) if reader is None else ():
        reader = _open(body[:length])
        if reader is not None:
            break
    if reader is not None:
        return _Located(reader=reader, before=start, body_length=len(body))
    if start > 0:
        return Verdict("not_pdf", _NOT_PDF, text=Message(_NOT_PDF))
    return Verdict("invalid", _UNREADABLE, text=Message(_UNREADABLE))


def _info_changes(reader: PdfFileReader, signed_revision: int) -> list[str]:
    """The document-information entries (Title, Subject, ...) that differ from the signed ones."""
    try:
        signed, latest = _info(reader, signed_revision), _info(reader)
    except Exception:  # noqa: BLE001 - metadata is a courtesy: the verdict does not depend on it
        return []
    return sorted(k for k in signed.keys() | latest.keys() if signed.get(k) != latest.get(k))


def _additions(located: _Located, last: EmbeddedPdfSignature) -> str | None:
    """What was added to the file after its last signature, in words, or None."""
    reader = located.reader
    parts: list[str] = []
    if located.before:
        parts.append(f"{_added(located.before)} in front of the start of the PDF")
    try:
        _, _, offset, length = (int(x) for x in last.byte_range)
        after = located.body_length - (offset + length)
    except Exception:  # noqa: BLE001 - the signature was checked: its byte range is sound
        after = 0
    try:
        updates = reader.xrefs.total_revisions - 1 - last.signed_revision
    except Exception:  # noqa: BLE001
        updates = 0
    if updates > 0:
        changed = _info_changes(reader, last.signed_revision)
        what = (
            f"; it rewrites the document information ({', '.join(changed)})"
            if changed
            else "; such an update can change what a PDF viewer shows"
        )
        parts.append(
            f"{_added(after)} after the signed part as an update to the document "
            f"(an incremental update){what}"
        )
    elif after > 0:
        parts.append(f"{_added(after)} after the signed part")
    if not parts:
        return None
    return (
        "The file was changed after it was signed: "
        + " and ".join(parts)
        + ". The signed part itself is intact, but this is not exactly the file that was sealed."
    )


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[Path | str],
    revoked_serials: Iterable[int] = frozenset(),
) -> Verdict:
    """Check a signed report; a file that is damaged, altered or unsigned gets a verdict, not an
    error.

    Every signature must be intact, valid and chain to one of `trust_roots`, and the last one must
    cover the whole file: anything added after signing (an incremental update, or any bytes
    behind the signed part or in front of the PDF) counts as a change ("modified"). A file
    shorter than its signed part is damaged ("invalid"). A signer certificate whose serial number
    is in `revoked_serials` is untrusted. A missing or unreadable trust-root file is a
    configuration error (`ValidationFailed`).
    """
    roots = _load_trust_roots(trust_roots)
    revoked = set(revoked_serials)
    if not isinstance(data, bytes | bytearray):
        return Verdict("not_pdf", _NOT_PDF, text=Message(_NOT_PDF))
    located = _locate(bytes(data))
    if isinstance(located, Verdict):
        return located
    reader = located.reader
    report_id = _report_id(reader)
    try:
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001
        return Verdict("invalid", _NO_SIGNATURES, report_id=report_id, text=Message(_NO_SIGNATURES))
    if not signatures:
        return Verdict("unsigned", _UNSIGNED, report_id=report_id, text=Message(_UNSIGNED))
    # what the signer sealed, not what a later update may claim
    try:
        report_id = _report_id(reader, signatures[0].signed_revision) or report_id
    except Exception:  # noqa: BLE001
        pass

    first_signer: str | None = None
    first_time: dt.datetime | None = None
    untrusted: str | None = None
    seen: dict[str, Any] = {}
    for index, embedded in enumerate(signatures):
        last = index == len(signatures) - 1
        try:
            status = validate_pdf_signature(
                embedded,
                ValidationContext(trust_roots=roots, allow_fetching=False),
                key_usage_settings=KeyUsageConstraints(key_usage=_ACCEPTED_KEY_USAGE),
            )
        except Exception:  # noqa: BLE001 - pyHanko raises on damaged signatures and files
            return Verdict(
                "invalid",
                _UNCHECKABLE,
                signer=first_signer or _signer_name(embedded),
                report_id=report_id,
                text=Message(_UNCHECKABLE),
            )
        ts = status.timestamp_validity
        if index == 0:
            first_signer = _common_name(status.signing_cert)
            first_time = ts.timestamp if ts is not None else status.signer_reported_dt
        seen = {
            "signer": first_signer,
            "signed_at": first_time,
            "report_id": report_id,
            "coverage": status.coverage.name if status.coverage is not None else None,
        }
        problem = _integrity_problem(embedded, status, roots)
        if problem is None and last:
            added = _additions(located, embedded)
            problem = None if added is None else ("modified", added)
            if problem is None and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
                problem = (
                    "modified",
                    N_(
                        "The signature does not cover the whole file: parts of it could have"
                        " been changed after signing."
                    ),
                )
        if problem is not None:
            # a fixed text is a msgid (N_); one with values (what was added) stays English
            fixed = "%" not in problem[1] and problem[1] in _FIXED
            return Verdict(
                problem[0], problem[1], **seen, text=Message(problem[1]) if fixed else None
            )
        if untrusted is None:
            untrusted = _trust_problem(status, revoked)
        if untrusted is None and not status.bottom_line:
            return Verdict("invalid", _RULES, **seen, text=Message(_RULES))

    if untrusted is not None:
        return Verdict("untrusted", untrusted, **seen)
    signer = first_signer or "an unnamed signer"
    return Verdict(
        "valid",
        _SEALED % {"signer": signer, "when": _when(first_time)},
        **seen,
        text=Message(_SEALED, params={"signer": signer, "when": _when(first_time)}),
    )


def _signer_name(embedded: EmbeddedPdfSignature) -> str | None:
    try:
        return _common_name(embedded.signer_cert)
    except Exception:  # noqa: BLE001 - the signature is too damaged to name its signer
        return None


def _integrity_problem(
    embedded: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    roots: Sequence[asn1_x509.Certificate],
) -> tuple[VerdictStatus, str] | None:
    """Was anything changed after signing? ("modified"/"invalid" and why, or None)."""
    if not status.intact:
        return (
            "modified",
            N_(
                "The signed content was changed after signing: this is not the report that was"
                " sealed."
            ),
        )
    if not status.valid:
        return (
            "invalid",
            N_("The signature value does not match the signed content; the seal is broken."),
        )
    try:
        container = _container_problem(embedded, roots)
    except Exception:  # noqa: BLE001
        container = "The signature container cannot be read."
    if container is not None:
        return "modified", container + " This is not the file that was sealed."
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid):
        return "invalid", N_("The signature's timestamp is damaged; the seal cannot be relied on.")
    if status.docmdp_ok is False:
        return (
            "modified",
            N_("The file was changed after signing in a way the signature does not allow."),
        )
    return None


def _trust_problem(status: PdfSignatureStatus, revoked: set[int]) -> str | None:
    """Why an intact signature is not trusted (revoked, no chain, expired, ...), or None."""
    name = _common_name(status.signing_cert) or "the signer"
    chain_serials = {status.signing_cert.serial_number}
    if status.validation_path is not None:
        try:
            chain_serials |= {
                c.serial_number for c in status.validation_path.iter_certs(include_root=False)
            }
        except Exception:  # noqa: BLE001 - the signer's own serial is what matters most
            pass
    if chain_serials & revoked:
        return f"The certificate of {name} has been revoked; the seal is no longer trusted."
    if not status.trusted:
        indic = status.trust_problem_indic
        problem = str(indic.standard_name) if indic else ""  # the member's name
        why = _TRUST_PROBLEMS.get(problem, "its chain does not lead to a trusted root")
        return f"The report is intact, but the certificate of {name} is not trusted: {why}."
    ts = status.timestamp_validity
    if ts is not None and not ts.trusted:
        return (
            "The report is intact, but the timestamp authority that dated the seal is not trusted."
        )
    return None
