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
from qa_engine.config import get_settings


@dataclass(frozen=True)
class SealVerdict:
    status: str
    message: str = ""


def _material() -> tuple[ECKey, list[str]]:
    pki = create_dev_pki(get_settings().pki_dir)
    key = ECKey.import_key(pki.signer_key.read_bytes())
    chain = [
        base64.b64encode(
            x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(Encoding.DER)
        ).decode()
        for p in (pki.signer_cert, pki.ca_cert)
    ]
    return key, chain


def _payload(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def seal_jades(document: dict[str, Any], *, signing_time: datetime) -> dict[str, Any]:
    key, chain = _material()
    header = {"alg": "ES256", "x5c": chain, "sigT": signing_time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    registry = jws.JWSRegistry(strict_check_header=False)
    return dict(
        jws.serialize_json({"protected": header}, _payload(document), key, registry=registry)
    )


def seal_vc_jwt(credential: dict[str, Any], *, issued_at: datetime) -> str:
    key, chain = _material()
    claims = {"vc": credential, "iat": int(issued_at.timestamp())}
    return jws.serialize_compact(
        {"alg": "ES256", "typ": "JWT", "x5c": chain}, _payload(claims), key
    )


def seal_json(document: dict[str, Any], *, signing_time: datetime) -> str:
    key, chain = _material()
    header = {"alg": "ES256", "x5c": chain, "iat": int(signing_time.timestamp())}
    registry = jws.JWSRegistry(strict_check_header=False)
    return jws.serialize_compact(header, _payload(document), key, registry=registry)


def verify_sealed(data: bytes, *, trust_roots: list[Path]) -> SealVerdict:
    key, _ = _material()
    try:
        jws.deserialize_compact(data.strip(), key)
    except Exception as exc:  # noqa: BLE001
        return SealVerdict("modified", str(exc))
    return SealVerdict("valid")
