"""JOSE seals for the interop exports and the public decision record, and checking them.

- `Sealer` seals with the organisation's certificate: the same key and chain as the PDF reports
  (`qa_engine.adapters.signing.load_signer`; a fresh installation, the development PKI).
  - `Sealer.seal_jades`: JAdES baseline B the way the European Digital Credentials (EDC) issuer
    seals a credential (ETSI TS 119 182-1): JWS JSON serialization, enveloping, unencoded payload
    (`b64: false`, listed in `crit` with `sigT`), the chain in `x5c`, `x5t#S256`, `kid` (the
    certificate's IssuerSerial) and the signing time `sigT` in the protected header. With a
    timestamp authority it is baseline B-T: an RFC 3161 timestamp of the signature value in the
    unprotected header (`etsiU` / `sigTst`), as EDC writes it.
  - `Sealer.seal_vc_jwt`: an Open Badges 3.0 credential as a VC-JWT (OB 3.0 "JSON Web Token Proof
    Format": the credential is the JWT payload, with `iss`, `jti`, `sub` (when the subject has an
    id), `nbf`, `exp` mapped from it; the header holds only `alg`, `typ` and `jwk`, the public
    key with its chain in the JWK's own `x5c`, because the specification allows no other header).
  - `Sealer.seal_json`: a compact JWS of a JSON document (the public decision record).
- `verify_sealed` reads any of these, or plain JSON, and answers with a `SealVerdict`; it never
  raises for anything wrong with the file.

ECDSA (P-256, P-384, P-521) and RSA only, as for the PDF reports.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import ECKey, JWKRegistry, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as path_errors

from qa_engine.adapters.signing import Signer, choose_timestamper
from qa_engine.adapters.signing import _load_trust_roots as load_trust_roots
from qa_engine.config import Settings, get_settings
from qa_engine.domain.errors import StorageError, ValidationFailed
from qa_engine.domain.limits import MAX_JSON_DEPTH, MAX_SEALED_FILE_BYTES, too_large_message
from qa_engine.domain.seal_verification import SealForm, SealStatus, SealVerdict

__all__ = ["SealVerdict", "Sealer", "sealer_from_settings", "verify_sealed"]

log = logging.getLogger(__name__)

# A sealed file names a handful of signatures at most; more is not one of ours.
MAX_SIGNATURES = 8

_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
# What `verify_sealed` checks: the asymmetric algorithms of RFC 7518 (never "none" or HMAC)
_VERIFIABLE = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# JAdES header parameters that may be listed as critical; their meaning does not change how the
# signature is computed over an attached payload (sigD, a detached payload, is not supported)
_UNDERSTOOD_CRITICAL = {"b64", "sigT", "adoTst", "sigX5ts", "srCms", "srAts", "sigPl", "sigPId"}
# The sealing certificate must allow one of these (seals often carry only digitalSignature).
_ACCEPTED_KEY_USAGE = {"digital_signature", "non_repudiation"}
# Three base64url parts separated by dots: a compact JWS (the payload part may be empty)
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
# JWT claims the VC-JWT maps from the credential
_VC_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat")

_HEADERS = {
    "sigT": HeaderParameter("Claimed signing time (ETSI TS 119 182-1)", "str"),
}


def _registry() -> JWSRegistry:
    registry = JWSRegistry(header_registry=_HEADERS, algorithms=_VERIFIABLE)
    # joserfc's defaults suit short tokens; a seal carries its certificate chain in the header
    registry.max_header_length = 256 * 1024
    registry.max_payload_length = MAX_SEALED_FILE_BYTES
    registry.max_signature_length = 4096
    return registry


_T = TypeVar("_T")


def _run(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from synchronous code, also under a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _utc_text(when: dt.datetime, what: str) -> str:
    if when.tzinfo is None:
        raise ValidationFailed(f"The {what} must carry a time zone (it is stamped in UTC).")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_bytes(document: Any, what: str) -> bytes:
    if not isinstance(document, dict):
        raise ValidationFailed(
            f"The {what} to seal must be a JSON object, not {type(document).__name__}."
        )
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"The {what} to seal is not plain JSON: {exc}.") from exc
    return text.encode("utf-8")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - InvalidSignature, ValueError, TypeError: not its issuer
        return False
    return True


def _ordered_chain(certificates: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """The sealing certificate, then each certificate that issued the one before it (RFC 7515
    `x5c` order); certificates of the given chain that do not belong to the path are left out."""
    chain = [certificates[0]]
    rest = list(certificates[1:])
    while rest and chain[-1].issuer != chain[-1].subject:
        issuer = next(
            (c for c in rest if c.subject == chain[-1].issuer and _issued_by(chain[-1], c)), None
        )
        if issuer is None:
            break
        chain.append(issuer)
        rest.remove(issuer)
    return tuple(chain)


def _issuer_serial(cert: x509.Certificate) -> str:
    """JAdES `kid`: base64 of the DER IssuerSerial (RFC 5035) of the sealing certificate."""
    parsed = asn1_x509.Certificate.load(_der(cert))
    value = asn1_cms.IssuerSerial(
        {
            "issuer": [asn1_x509.GeneralName(name="directory_name", value=parsed.issuer)],
            "serial": parsed.serial_number,
        }
    )
    return base64.b64encode(value.dump()).decode("ascii")


def _algorithm(key: object, source: str) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        raise ValidationFailed(
            f"The key in {source} is an EdDSA key: EDC's JAdES seals and Open Badges 3.0 "
            "validators expect RSA (RS256) or ECDSA (ES256); use an ECDSA P-256 or RSA key."
        )
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValidationFailed(
                f"The RSA key in {source} has {key.key_size} bits; JOSE seals need at least 2048."
            )
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg = _EC_ALGORITHMS.get(key.curve.name)
        if alg is None:
            raise ValidationFailed(
                f"The ECDSA key in {source} is on the curve {key.curve.name}; JOSE seals use "
                "P-256, P-384 or P-521."
            )
        return alg
    raise ValidationFailed(f"The key in {source} is of an unsupported type; use ECDSA or RSA.")


def _vc_claims(credential: Any, issued_at: dt.datetime) -> dict[str, Any]:
    """The JWT payload of an OB 3.0 VC-JWT: the credential with the claims mapped from it."""
    if not isinstance(credential, dict):
        raise ValidationFailed(
            f"The credential to seal must be a JSON object, not {type(credential).__name__}."
        )
    problems: list[str] = []

    def text(value: Any, where: str) -> str | None:
        if isinstance(value, str) and value:
            return value
        problems.append(f"{where} is missing")
        return None

    def seconds(value: Any, where: str) -> int | None:
        if not isinstance(value, str):
            problems.append(f"{where} is missing")
            return None
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            problems.append(f"{where} {value!r} is not a date and time")
            return None
        if when.tzinfo is None:
            problems.append(f"{where} {value!r} has no time zone")
            return None
        if when.microsecond:
            problems.append(
                f"{where} {value!r} has fractions of a second (a JWT counts whole seconds, and "
                "the claim must equal it)"
            )
            return None
        return int(when.timestamp())

    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    claims: dict[str, Any] = {
        "iss": text(issuer.get("id") if isinstance(issuer, dict) else issuer, "issuer.id"),
        "jti": text(credential.get("id"), "id"),
        "nbf": seconds(credential.get("validFrom"), "validFrom"),
        "iat": int(issued_at.timestamp()),
    }
    if not isinstance(subject, dict):
        problems.append("credentialSubject is missing")
    elif "id" in subject:
        # a subject known by `identifier` only has no id, and then no `sub` (OB 3.0 allows it)
        claims["sub"] = text(subject["id"], "credentialSubject.id")
    if "validUntil" in credential:
        claims["exp"] = seconds(credential["validUntil"], "validUntil")
    for name, value in claims.items():
        if name in credential and credential[name] != value:
            problems.append(
                f"the credential's own {name!r} ({credential[name]!r}) differs from {value!r}"
            )
    if problems:
        raise ValidationFailed(
            "The Open Badges credential cannot be sealed as a VC-JWT: " + "; ".join(problems) + "."
        )
    return {**credential, **claims}


# --- sealing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealer:
    """The organisation's key and chain, ready to seal JSON documents."""

    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]  # the sealing certificate first (RFC 7515 x5c order)
    algorithm: str  # ES256/ES384/ES512 for ECDSA keys, RS256 for RSA keys
    timestamper: TimeStamper | None = None  # B-T for JAdES seals when set
    timestamp_url: str | None = None  # where the timestamper asks, for messages

    @classmethod
    def from_signer(
        cls,
        signer: Signer,
        *,
        timestamp_url: str | None = None,
        timestamper: TimeStamper | None = None,
    ) -> Sealer:
        """A sealer from the PDF signer's key and chain; `timestamp_url` (an RFC 3161 service, as
        `QA_TIMESTAMP_URL`) or a ready `timestamper` makes JAdES seals baseline B-T."""
        timestamper = choose_timestamper(timestamp_url, timestamper)
        key = signer.private_key
        algorithm = _algorithm(key, signer.source)
        return cls(
            private_key=key,
            chain=_ordered_chain(signer.certificates),
            algorithm=algorithm,
            timestamper=timestamper,
            timestamp_url=timestamp_url,
        )

    @property
    def _jwk(self) -> ECKey | RSAKey:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return RSAKey.import_key(self.private_key)
        return ECKey.import_key(self.private_key)

    @property
    def _x5c(self) -> list[str]:
        # RFC 7515 4.1.6: base64 (not base64url) DER, the sealing certificate first
        return [base64.b64encode(_der(c)).decode("ascii") for c in self.chain]

    @property
    def _x5t_s256(self) -> str:
        return _b64url(hashlib.sha256(_der(self.chain[0])).digest())

    def seal_jades(self, document: dict[str, Any], *, signing_time: dt.datetime) -> dict[str, Any]:
        """The document sealed as JAdES (B-B, or B-T with a timestamp authority), enveloping:
        ``{"payload": "<the document as JSON text>", "signatures": [{"protected": …,
        "signature": …}]}``. Raises `ValidationFailed` for a document that is not a JSON object,
        `StorageError` when the timestamp authority does not answer."""
        payload = _json_bytes(document, "document")
        protected = {
            "alg": self.algorithm,
            "cty": "octet-stream",  # what EDC writes for a sealed credential
            "kid": _issuer_serial(self.chain[0]),
            "x5t#S256": self._x5t_s256,
            "x5c": self._x5c,
            "typ": "jose+json",
            "b64": False,
            "sigT": _utc_text(signing_time, "signing time"),
            "crit": ["b64", "sigT"],
        }
        sealed = jws.serialize_json(
            [{"protected": protected}], payload, self._jwk, registry=_registry()
        )
        out: dict[str, Any] = {
            "payload": sealed["payload"],
            "signatures": list(sealed["signatures"]),
        }
        if self.timestamper is not None:
            signature = out["signatures"][0]
            token = self._timestamp(signature["signature"])
            sig_tst = {"sigTst": {"tstTokens": [{"val": base64.b64encode(token).decode("ascii")}]}}
            # etsiU entries as base64url of their JSON, as EDC writes them
            signature["header"] = {"etsiU": [_b64url(json.dumps(sig_tst).encode("ascii"))]}
        return out

    def _timestamp(self, signature_value: str) -> bytes:
        """An RFC 3161 token over the signature value: JAdES (and EDC) hash the base64url text of
        the signature, not its decoded bytes."""
        assert self.timestamper is not None
        timestamper = self.timestamper
        digest = hashlib.sha256(signature_value.encode("ascii")).digest()
        try:
            token = _run(lambda: timestamper.async_timestamp(digest, "sha256"))
        except Exception as exc:  # noqa: BLE001 - network, HTTP and TSA errors alike
            where = self.timestamp_url or "the timestamp authority"
            raise StorageError(
                f"The timestamp authority at {where} did not answer with a timestamp: "
                f"{exc or type(exc).__name__}."
            ) from exc
        dumped: bytes = token.dump()
        return dumped

    def seal_vc_jwt(self, credential: dict[str, Any], *, issued_at: dt.datetime) -> str:
        """The Open Badges 3.0 credential as a VC-JWT (compact JWS). `iss`, `jti`, `sub`, `nbf`
        and `exp` come from ``issuer.id``, ``id``, ``credentialSubject.id`` (no `sub` for a
        subject known only by ``identifier``), ``validFrom`` and ``validUntil``; `iat` is
        `issued_at`. Raises `ValidationFailed` naming what is missing.

        1EdTech's validator accepts only RS256 VC-JWTs: seal Open Badges with an RSA key for it
        (an ECDSA key gives ES256, which the specification permits)."""
        _utc_text(issued_at, "issue time")
        claims = _vc_claims(credential, issued_at)
        public = self._jwk.as_dict(private=False)
        public.pop("d", None)
        header = {
            "alg": self.algorithm,
            "typ": "JWT",
            "jwk": {**public, "x5c": self._x5c},  # RFC 7517 4.7: the key's own certificate chain
        }
        return jws.serialize_compact(
            header, _json_bytes(claims, "credential"), self._jwk, registry=_registry()
        )

    def seal_json(self, document: dict[str, Any], *, signing_time: dt.datetime) -> str:
        """The document as a compact JWS with the chain (`x5c`) and the signing time (`sigT`) in
        the protected header. `sigT` is not listed as critical, so that any JOSE library checks the
        seal; it is signed all the same."""
        header = {
            "alg": self.algorithm,
            "typ": "JOSE",
            "cty": "application/json",
            "x5t#S256": self._x5t_s256,
            "x5c": self._x5c,
            "sigT": _utc_text(signing_time, "signing time"),
        }
        return jws.serialize_compact(
            header, _json_bytes(document, "document"), self._jwk, registry=_registry()
        )


def sealer_from_settings(settings: Settings | None = None) -> Sealer:
    """The sealer of the configured signing key (or the development PKI), with the timestamp
    authority of `QA_TIMESTAMP_URL` when set."""
    from qa_engine.adapters.report_files import signer_from_settings

    settings = settings or get_settings()
    return Sealer.from_signer(signer_from_settings(settings), timestamp_url=settings.timestamp_url)


# --- verification -------------------------------------------------------------------------------


class _Problem(Exception):
    """A verdict found before the end of the check."""

    def __init__(self, status: SealStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_TOO_DEEP = (
    f"{{what}} nests arrays and objects more than {MAX_JSON_DEPTH} levels deep, which no sealed "
    "export does; it was not checked."
)


class _NotJson(_Problem):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__("unreadable", f"{what} is not JSON ({detail}).")
        self.detail = detail


def _parse_json(text: str | bytes, what: str) -> Any:
    """Parsed JSON, or `_Problem` ("unreadable") naming where it fails."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _Problem("unreadable", _TOO_DEEP.format(what=what)) from None
    except ValueError as exc:
        detail = (
            f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise _NotJson(what, detail) from None
    if _too_deep(value):
        raise _Problem("unreadable", _TOO_DEEP.format(what=what))
    return value


@dataclass
class _Seal:
    """One signature to check: its headers and what it signs."""

    form: SealForm
    header: dict[str, Any]  # the protected header
    unprotected: Any  # the unprotected header (JSON serialization only)
    signing_input: bytes
    signature: str  # base64url
    payload: Any  # the parsed payload, or None when it is not JSON


def _protected(segment: Any) -> dict[str, Any]:
    if not isinstance(segment, str):
        raise _Problem("invalid", "The seal has no protected header: nothing about it is signed.")
    try:
        header = json.loads(_b64url_decode(segment).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise _Problem(
            "modified",
            "The seal's protected header cannot be read: it was changed or damaged after sealing.",
        )
    return header


def _payload_json(raw: bytes) -> Any:
    try:
        return _parse_json(raw, "The sealed payload")
    except _Problem:
        return None


def _compact_seal(text: str) -> _Seal:
    head, body, signature = text.split(".")
    header = _protected(head)
    if header.get("b64") is False:
        raise _Problem("unsupported", "The JWS uses an unencoded payload in compact form.")
    try:
        raw = _b64url_decode(body)
    except ValueError:
        raise _Problem(
            "modified",
            "The sealed payload is not base64url any more: it was changed after sealing.",
        ) from None
    payload = _payload_json(raw)
    is_vc = header.get("typ") == "JWT" or (
        isinstance(payload, dict) and ("vc" in payload or "credentialSubject" in payload)
    )
    return _Seal(
        form="VC-JWT" if is_vc else "JWS",
        header=header,
        unprotected=None,
        signing_input=f"{head}.{body}".encode("ascii"),
        signature=signature,
        payload=payload,
    )


def _json_seals(envelope: dict[str, Any]) -> list[_Seal]:
    if "signatures" in envelope:
        members = envelope["signatures"]
        if not isinstance(members, list) or not members:
            raise _Problem("invalid", "The seal's list of signatures is empty or not a list.")
        if len(members) > MAX_SIGNATURES:
            raise _Problem(
                "unsupported",
                f"The file carries {len(members)} signatures; at most {MAX_SIGNATURES} are "
                "checked.",
            )
    else:
        members = [envelope]
    payload_text = envelope.get("payload")
    if not isinstance(payload_text, str):
        raise _Problem("invalid", "The seal's payload is missing or not a string.")
    seals = []
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("signature"), str):
            raise _Problem("invalid", "A signature of the seal is missing or not a string.")
        header = _protected(member.get("protected"))
        unprotected = member.get("header")
        if unprotected is not None and not isinstance(unprotected, dict):
            raise _Problem("invalid", "The seal's unprotected header is not a JSON object.")
        encoded = header.get("b64", True)
        if encoded is False and "b64" not in (header.get("crit") or []):
            raise _Problem(
                "invalid", "The seal's header sets b64 to false without listing it as critical."
            )
        if encoded is False:
            raw = payload_text.encode("utf-8")
        else:
            try:
                raw = _b64url_decode(payload_text)
            except ValueError:
                raise _Problem(
                    "modified",
                    "The sealed payload is not base64url any more: it was changed after sealing.",
                ) from None
        is_jades = "sigT" in header or (isinstance(unprotected, dict) and "etsiU" in unprotected)
        seals.append(
            _Seal(
                form="JAdES" if is_jades else "JWS",
                header=header,
                unprotected=unprotected,
                signing_input=member["protected"].encode("ascii")
                + b"."
                + payload_text.encode("utf-8"),
                signature=member["signature"],
                payload=_payload_json(raw),
            )
        )
    return seals


def _certificates(values: Any) -> list[x509.Certificate]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise _Problem(
            "invalid", "The seal's certificate chain (x5c) is not a list of certificates."
        )
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(v, validate=True)) for v in values]
    except (ValueError, binascii.Error):
        raise _Problem(
            "modified",
            "A certificate in the seal's header cannot be read: the header was changed or damaged "
            "after sealing.",
        ) from None


def _spki(key: Any) -> bytes:
    data: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


def _key_and_chain(header: dict[str, Any]) -> tuple[Any, list[x509.Certificate]]:
    """The public key that checks the signature and the certificates that vouch for it."""
    if "x5c" in header:
        chain = _certificates(header["x5c"])
        return chain[0].public_key(), chain
    jwk = header.get("jwk")
    if isinstance(jwk, dict):
        if "d" in jwk:
            raise _Problem("invalid", 'The seal\'s header carries a private key (jwk with "d").')
        try:
            key = JWKRegistry.import_key({k: v for k, v in jwk.items() if k != "x5c"})
        except Exception:  # noqa: BLE001 - joserfc raises several kinds for a broken key
            raise _Problem("modified", "The key in the seal's header cannot be read.") from None
        public = key.public_key
        chain = _certificates(jwk["x5c"]) if "x5c" in jwk else []
        if chain and _spki(chain[0].public_key()) != _spki(public):
            raise _Problem(
                "invalid", "The key in the seal's header does not match its certificate."
            )
        return public, chain
    where = header.get("kid") or header.get("x5u") or header.get("jku")
    by = f" ({where})" if isinstance(where, str) else ""
    raise _Problem(
        "unsupported",
        f"The seal names its key only by reference{by}; this command checks seals offline, with "
        "the certificate carried in the file.",
    )


def _check_signature(seal: _Seal) -> tuple[str, list[x509.Certificate]]:
    header = seal.header
    alg = header.get("alg")
    if alg not in _VERIFIABLE:
        raise _Problem(
            "unsupported",
            f"The seal uses the algorithm {alg!r}; this engine checks {', '.join(_VERIFIABLE)}.",
        )
    crit = header.get("crit", [])
    if not isinstance(crit, list) or not all(isinstance(c, str) and c in header for c in crit):
        raise _Problem("invalid", "The seal's list of critical header parameters (crit) is broken.")
    unknown = sorted(set(crit) - _UNDERSTOOD_CRITICAL)
    if unknown:
        raise _Problem(
            "unsupported",
            f"The seal requires the header parameters {', '.join(unknown)}, which this engine "
            "does not understand.",
        )
    public, chain = _key_and_chain(header)
    try:
        signature = _b64url_decode(seal.signature)
    except ValueError:
        raise _Problem("modified", "The signature value is not base64url any more.") from None
    model = _registry().get_alg(alg)
    try:
        key = (
            RSAKey.import_key(public)
            if isinstance(public, rsa.RSAPublicKey)
            else ECKey.import_key(public)
        )
        model.check_key(key)
    except Exception:  # noqa: BLE001 - a key of another type than the algorithm's
        raise _Problem("invalid", f"The seal's key does not fit its algorithm {alg}.") from None
    try:
        intact = model.verify(seal.signing_input, signature, key)
    except Exception:  # noqa: BLE001 - a signature of the wrong length and the like
        intact = False
    if not intact:
        raise _Problem(
            "modified",
            "The signature does not match the sealed content: the payload or the seal's header "
            "was changed after sealing.",
        )
    thumbprint = header.get("x5t#S256")
    if (
        chain
        and thumbprint is not None
        and thumbprint != _b64url(hashlib.sha256(_der(chain[0])).digest())
    ):
        raise _Problem(
            "invalid",
            "The seal's certificate thumbprint (x5t#S256) does not match its certificate.",
        )
    return alg, chain


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


def _vc_claims_problem(claims: Any) -> str | None:
    """Do the VC-JWT's claims say what its credential says (OB 3.0 "Verify a Credential")?"""
    if not isinstance(claims, dict):
        return "The token's payload is not a JSON object."
    credential = claims.get("vc", claims)
    if not isinstance(credential, dict):
        return "The token's credential is not a JSON object."
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    expected = {
        "iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
        "jti": credential.get("id"),
        "sub": subject.get("id") if isinstance(subject, dict) else None,
    }
    for claim, value in expected.items():
        if claims.get(claim) != value:
            return f"The token's {claim!r} claim does not match its credential."
    valid_from = _time(credential.get("validFrom", credential.get("issuanceDate")))
    if _time(claims.get("nbf")) != valid_from:
        return "The token's 'nbf' claim does not match the credential's validFrom."
    return None


def _timestamp_tokens(unprotected: Any) -> list[asn1_cms.ContentInfo]:
    """The sigTst tokens of the JAdES unprotected header (entries as JSON or base64url JSON)."""
    if not isinstance(unprotected, dict) or "etsiU" not in unprotected:
        return []
    entries = unprotected["etsiU"]
    damaged = _Problem(
        "invalid", "The seal's timestamp cannot be read; the seal cannot be relied on."
    )
    if not isinstance(entries, list):
        raise damaged
    tokens = []
    for entry in entries:
        try:
            item = json.loads(_b64url_decode(entry)) if isinstance(entry, str) else entry
        except (ValueError, RecursionError):
            raise damaged from None
        if not isinstance(item, dict) or "sigTst" not in item:
            continue
        try:
            for token in item["sigTst"]["tstTokens"]:
                info = asn1_cms.ContentInfo.load(base64.b64decode(token["val"], validate=True))
                info["content"]["encap_content_info"]  # noqa: B018 - parse it now, not later
                tokens.append(info)
        except Exception:  # noqa: BLE001 - any malformed entry or DER
            raise damaged from None
    return tokens


_PATH_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (path_errors.RevokedError, "it has been revoked"),
    (path_errors.ExpiredError, "it or a certificate of its chain has expired"),
    (path_errors.NotYetValidError, "it is not yet valid"),
    (path_errors.DisallowedAlgorithmError, "it uses an algorithm that is no longer accepted"),
    (path_errors.PathBuildingError, "no chain to a trusted root was found"),
    (path_errors.InvalidCertificateError, "it is not allowed to sign documents (key usage)"),
)


_TIMESTAMP_DAMAGED = "The seal's timestamp is damaged; the seal cannot be relied on."
_TIMESTAMP_FOREIGN = (
    "The seal's timestamp does not belong to its signature or is damaged; the seal cannot be "
    "relied on."
)


@dataclass
class _TrustFindings:
    chain_problem: str | None
    timestamp_at: dt.datetime | None
    timestamp_problem: tuple[SealStatus, str] | None


async def _trust(
    chain: list[x509.Certificate],
    roots: list[asn1_x509.Certificate],
    tokens: list[asn1_cms.ContentInfo],
    signature_value: str,
) -> _TrustFindings:
    chain_problem: str | None = "it carries no certificate: anyone could have made it"
    if chain:
        leaf, *others = (asn1_x509.Certificate.load(_der(c)) for c in chain)
        context = ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=False)
        validator = CertificateValidator(
            leaf, intermediate_certs=others, validation_context=context
        )
        try:
            await validator.async_validate_path()
            KeyUsageConstraints(key_usage=_ACCEPTED_KEY_USAGE).validate(leaf)
            chain_problem = None
        except Exception as exc:  # noqa: BLE001 - every path failure means "not trusted"
            chain_problem = next(
                (why for kind, why in _PATH_PROBLEMS if isinstance(exc, kind)),
                "its chain does not lead to a trusted root",
            )
    imprint = hashlib.sha256(signature_value.encode("ascii")).digest()
    timestamp_at: dt.datetime | None = None
    timestamp_problem: tuple[SealStatus, str] | None = None
    for token in tokens:
        try:
            status = TimestampSignatureStatus(
                **await validate_tst_signed_data(
                    token["content"],
                    ValidationContext(trust_roots=roots, allow_fetching=False),
                    lambda algorithm: (
                        imprint
                        if algorithm == "sha256"
                        else hashlib.new(algorithm, signature_value.encode("ascii")).digest()
                    ),
                )
            )
        except Exception:  # noqa: BLE001 - a token pyHanko cannot process is damaged
            return _TrustFindings(chain_problem, None, ("invalid", _TIMESTAMP_DAMAGED))
        if not (status.intact and status.valid):
            return _TrustFindings(chain_problem, None, ("invalid", _TIMESTAMP_FOREIGN))
        timestamp_at = timestamp_at or status.timestamp
        if not status.trusted and timestamp_problem is None:
            timestamp_problem = (
                "untrusted",
                "The content is intact, but the timestamp authority that dated the seal is not "
                "trusted.",
            )
    return _TrustFindings(chain_problem, timestamp_at, timestamp_problem)


def _check_seal(seal: _Seal, roots: list[asn1_x509.Certificate]) -> SealVerdict:
    known: dict[str, Any] = {"form": seal.form, "payload": seal.payload}
    try:
        alg, chain = _check_signature(seal)
        known["algorithm"] = alg
        if chain:
            known["signer"] = _attribute(chain[0], NameOID.COMMON_NAME)
            known["organisation"] = _attribute(chain[0], NameOID.ORGANIZATION_NAME)
        if seal.form == "VC-JWT":
            claims = seal.payload if isinstance(seal.payload, dict) else {}
            known["signed_at"] = _time(claims.get("iat")) or _time(claims.get("nbf"))
            problem = _vc_claims_problem(seal.payload)
            if problem is not None:
                raise _Problem("invalid", problem)
        else:
            known["signed_at"] = _time(seal.header.get("sigT"))
        tokens = _timestamp_tokens(seal.unprotected)
        found = _run(lambda: _trust(chain, roots, tokens, seal.signature))
        known["timestamp_at"] = found.timestamp_at
    except _Problem as problem:
        return SealVerdict(problem.status, problem.message, **known)
    if found.timestamp_problem and found.timestamp_problem[0] == "invalid":
        return SealVerdict(found.timestamp_problem[0], found.timestamp_problem[1], **known)
    name = known.get("signer") or "the signer"
    if found.chain_problem is not None:
        return SealVerdict(
            "untrusted",
            f"The content is intact, but the seal of {name} is not trusted: {found.chain_problem}.",
            **known,
        )
    if found.timestamp_problem is not None:
        return SealVerdict(found.timestamp_problem[0], found.timestamp_problem[1], **known)
    when = found.timestamp_at or known.get("signed_at")
    on = f" on {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" if when else ""
    return SealVerdict(
        "valid",
        f"The content is intact and sealed by {name}{on}; the certificate chain leads to a "
        "trusted root.",
        **known,
    )


_ORDER: dict[str, int] = {
    "modified": 0,
    "invalid": 1,
    "unsupported": 2,
    "untrusted": 3,
    "valid": 4,
}


def verify_sealed(data: bytes, *, trust_roots: Sequence[Path | str]) -> SealVerdict:
    """Check a sealed file: a JAdES (or other JWS JSON serialization) envelope, a compact JWS or
    VC-JWT, or plain JSON (unsigned). Every signature must match and chain to one of
    `trust_roots`; a JAdES B-T timestamp must belong to its signature. Anything wrong with the
    file is a verdict, never an exception; a missing or unreadable trust-root file is a
    configuration error (`ValidationFailed`)."""
    roots = load_trust_roots(trust_roots)
    try:
        return _verify(data, roots)
    except _Problem as problem:
        return SealVerdict(problem.status, problem.message)
    except Exception as exc:  # a bug must not become a traceback for a person checking a file
        log.debug("checking a sealed file failed", exc_info=True)
        return SealVerdict(
            "invalid",
            f"The seal cannot be checked: the check itself failed ({type(exc).__name__}).",
        )


def _verify(data: bytes, roots: list[asn1_x509.Certificate]) -> SealVerdict:
    if not isinstance(data, bytes | bytearray):
        return SealVerdict("unreadable", "The file is neither JSON nor a JWS.")
    if len(data) > MAX_SEALED_FILE_BYTES:
        return SealVerdict(
            "unreadable",
            too_large_message(len(data), MAX_SEALED_FILE_BYTES) + " It is not a sealed export.",
        )
    try:
        text = bytes(data).decode("utf-8").removeprefix("\ufeff").strip()
    except UnicodeDecodeError:
        return SealVerdict(
            "unreadable", "The file is not text (UTF-8), so it is neither JSON nor a JWS."
        )
    if not text:
        return SealVerdict("unreadable", "The file is empty.")
    if _COMPACT.fullmatch(text):
        return _check_seal(_compact_seal(text), roots)
    try:
        parsed = _parse_json(text, "The file")
    except _NotJson as problem:
        return SealVerdict(
            "unreadable",
            f"The file is neither JSON ({problem.detail}) nor a compact JWS (three base64url "
            "parts separated by dots).",
        )
    if isinstance(parsed, str) and _COMPACT.fullmatch(parsed.strip()):
        return _check_seal(_compact_seal(parsed.strip()), roots)
    if (
        isinstance(parsed, dict)
        and "payload" in parsed
        and ("signatures" in parsed or "signature" in parsed)
    ):
        verdicts = [_check_seal(seal, roots) for seal in _json_seals(parsed)]
        return min(verdicts, key=lambda v: _ORDER.get(v.status, 0))
    if isinstance(parsed, dict) and ("signatures" in parsed or "signature" in parsed):
        return SealVerdict(
            "unsupported",
            "The file is a JWS without its payload (a detached seal); this command checks seals "
            "that carry what they seal.",
        )
    if isinstance(parsed, dict) and "proof" in parsed:
        return SealVerdict(
            "unsupported",
            "The file carries an embedded proof (Data Integrity), not a JOSE seal; this command "
            "checks JAdES seals and JWS (VC-JWT) only.",
            payload=parsed,
        )
    return SealVerdict(
        "unsigned",
        "The file is JSON without a seal, so nothing proves who issued it or that it is unchanged.",
        payload=parsed,
    )
