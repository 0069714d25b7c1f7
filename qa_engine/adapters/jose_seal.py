"""Placeholder: replaced by the real module at merge."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jws
from joserfc.jwk import ECKey

from qa_engine.adapters.dev_pki import create_dev_pki
from qa_engine.config import Settings, get_settings


@dataclass(frozen=True)
class SealVerdict:
    status: str
    message: str = ""


def _payload(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


@dataclass(frozen=True)
class Sealer:
    key: ECKey
    x5c: list[str]

    def seal_jades(self, document: dict[str, Any], *, signing_time: datetime) -> dict[str, Any]:
        header = {
            "alg": "ES256",
            "x5c": self.x5c,
            "sigT": signing_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        registry = jws.JWSRegistry(strict_check_header=False)
        return dict(
            jws.serialize_json(
                {"protected": header}, _payload(document), self.key, registry=registry
            )
        )

    def seal_vc_jwt(self, credential: dict[str, Any], *, issued_at: datetime) -> str:
        claims = {"vc": credential, "iat": int(issued_at.timestamp())}
        header = {"alg": "ES256", "typ": "JWT", "x5c": self.x5c}
        return jws.serialize_compact(header, _payload(claims), self.key)

    def seal_json(self, document: dict[str, Any], *, signing_time: datetime) -> str:
        header = {"alg": "ES256", "x5c": self.x5c, "sigT": signing_time.isoformat()}
        registry = jws.JWSRegistry(strict_check_header=False)
        return jws.serialize_compact(header, _payload(document), self.key, registry=registry)


def sealer_from_settings(settings: Settings | None = None) -> Sealer:
    pki = create_dev_pki((settings or get_settings()).pki_dir)
    x5c = [
        base64.b64encode(
            x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(Encoding.DER)
        ).decode()
        for p in (pki.signer_cert, pki.ca_cert)
    ]
    return Sealer(ECKey.import_key(pki.signer_key.read_bytes()), x5c)


def verify_sealed(data: bytes, *, trust_roots: list[Path]) -> SealVerdict:
    try:
        jws.deserialize_compact(data.strip(), sealer_from_settings().key)
    except Exception as exc:  # noqa: BLE001
        return SealVerdict("modified", str(exc))
    return SealVerdict("valid")
