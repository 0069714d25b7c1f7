"""JOSE seals (JAdES, VC-JWT, compact JWS): made with the engine's code (joserfc), checked by the
engine's verifier and, independently, by jwcrypto."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwcrypto import jwk as jw_jwk
from jwcrypto import jws as jw_jws
from jwcrypto.common import JWException, JWSEHeaderParameter
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from qa_engine.adapters.dev_pki import DevPKI, create_dev_pki
from qa_engine.adapters.jose_seal import Sealer, verify_sealed
from qa_engine.adapters.signing import load_signer
from qa_engine.domain.errors import StorageError, ValidationFailed
from qa_engine.domain.limits import MAX_JSON_DEPTH, MAX_SEALED_FILE_BYTES

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
EDC_SAMPLE = DATA / "Sample-MC-Annex1-signed.jsonld"
WHEN = dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
DOCUMENT = {
    "id": "urn:uuid:9b1d0c4e-7a55-4f4f-8a6a-3e2f1d0c9b8a",
    "type": ["Accreditation"],
    "title": {"en": "Quality assurance decision", "pl": "Decyzja o zapewnieniu jakości"},
    "decision": "approved",
}
CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:5f0e7c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://qa.4euplus.example/issuer", "type": ["Profile"], "name": "4EU+"},
    "validFrom": "2026-12-03T15:00:00Z",
    "validUntil": "2031-12-03T15:00:00Z",
    "name": "Approved micro-credential",
    "credentialSubject": {
        "id": "https://qa.4euplus.example/credentials/42",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://qa.4euplus.example/achievements/42",
            "type": ["Achievement"],
        },
    },
}


# --- helpers --------------------------------------------------------------------------------------


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _header(segment: str) -> dict:
    return json.loads(_b64url_decode(segment))


def _verify(data: bytes | str | dict, pki: DevPKI):
    if isinstance(data, dict):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode()
    return verify_sealed(data, trust_roots=[pki.ca_cert])


def _flip(text: str, index: int) -> str:
    """`text` with the base64url character at `index` replaced by another one."""
    char = text[index]
    return text[:index] + ("A" if char != "A" else "B") + text[index + 1 :]


def _pem_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _issue(pki: DevPKI, key, common_name: str, *, tsa: bool = False) -> x509.Certificate:
    """A certificate for `key` issued by the development CA (a seal or a timestamp authority)."""
    ca_cert = _pem_cert(pki.ca_cert)
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "4EU+ Alliance QA (test)"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _jwcrypto_json(sealed: dict, cert: x509.Certificate) -> bytes:
    """Check a JWS JSON serialization with jwcrypto; returns the payload it verified."""
    registry = {"sigT": JWSEHeaderParameter("Claimed signing time", False, True, None)}
    checker = jw_jws.JWS(header_registry=registry)
    checker.deserialize(json.dumps(sealed), jw_jwk.JWK.from_pyca(cert.public_key()))
    return checker.payload


def _jwcrypto_compact(token: str, cert: x509.Certificate) -> bytes:
    checker = jw_jws.JWS()
    checker.deserialize(token, jw_jwk.JWK.from_pyca(cert.public_key()))
    return checker.payload


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> DevPKI:
    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def sealer(pki) -> Sealer:
    return Sealer.from_signer(pki.signer())


@pytest.fixture(scope="module")
def jades(sealer) -> dict:
    return sealer.seal_jades(DOCUMENT, signing_time=WHEN)


@pytest.fixture(scope="module")
def vc_jwt(sealer) -> str:
    return sealer.seal_vc_jwt(CREDENTIAL, issued_at=WHEN)


@pytest.fixture(scope="module")
def record(sealer) -> str:
    return sealer.seal_json(DOCUMENT, signing_time=WHEN)


class _LocalTSA:
    """An RFC 3161 service on loopback (pyHanko's in-process timestamper behind HTTP)."""

    def __init__(self, pki: DevPKI, stamp_time: dt.datetime) -> None:
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa_cert = _issue(pki, tsa_key, "Test TSA", tsa=True)
        self.stamper = DummyTimeStamper(
            tsa_cert=translate_pyca_cryptography_cert_to_asn1(tsa_cert),
            tsa_key=translate_pyca_cryptography_key_to_asn1(tsa_key),
            certs_to_embed=SimpleCertificateStore.from_certs(
                [translate_pyca_cryptography_cert_to_asn1(_pem_cert(pki.ca_cert))]
            ),
            fixed_dt=stamp_time,
        )
        self.stamp_time = stamp_time
        self.requests: list[tsp.TimeStampReq] = []
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = tsp.TimeStampReq.load(body)
                tsa.requests.append(request)
                answer = tsa.stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def tsa(pki) -> Iterator[_LocalTSA]:
    # the TSA's certificate is valid from a few minutes ago: its timestamps say now
    server = _LocalTSA(pki, dt.datetime.now(dt.UTC).replace(microsecond=0))
    yield server
    server.close()


# --- JAdES ----------------------------------------------------------------------------------------


def test_jades_header_is_shaped_like_edc_seals(jades, pki):
    edc = json.loads(EDC_SAMPLE.read_text())
    edc_header = _header(edc["signatures"][0]["protected"])
    assert set(jades) == {"payload", "signatures"} == set(edc)
    (signature,) = jades["signatures"]
    header = _header(signature["protected"])
    # the unencoded payload and its critical parameters, as EDC writes them
    assert edc_header["b64"] is False and header["b64"] is False
    assert {"b64", "sigT"} <= set(edc_header["crit"])
    assert header["crit"] == ["b64", "sigT"]
    assert set(header) <= set(edc_header)
    assert header["typ"] == edc_header["typ"] == "jose+json"
    assert header["sigT"] == "2026-12-03T16:00:00Z"
    assert header["alg"] == "ES256"  # the development PKI's P-256 key
    # enveloping: the payload is the document's JSON text itself
    assert json.loads(jades["payload"]) == DOCUMENT
    # the chain: the sealing certificate first, then the CA that issued it
    signer_cert, ca_cert = _pem_cert(pki.signer_cert), _pem_cert(pki.ca_cert)
    assert [base64.b64decode(c) for c in header["x5c"]] == [
        signer_cert.public_bytes(serialization.Encoding.DER),
        ca_cert.public_bytes(serialization.Encoding.DER),
    ]
    der = signer_cert.public_bytes(serialization.Encoding.DER)
    assert _b64url_decode(header["x5t#S256"]) == hashlib.sha256(der).digest()
    # kid: the IssuerSerial of the sealing certificate, read the same way from EDC's header
    for kid, cert in (
        (header["kid"], signer_cert),
        (edc_header["kid"], x509.load_der_x509_certificate(base64.b64decode(edc_header["x5c"][0]))),
    ):
        issuer_serial = asn1_cms.IssuerSerial.load(base64.b64decode(kid))
        assert issuer_serial["serial"].native == cert.serial_number
        issuer = translate_pyca_cryptography_cert_to_asn1(cert).issuer
        assert issuer_serial["issuer"][0].native == issuer.native
    assert "header" not in signature  # baseline B: no timestamp without a timestamp authority


def test_jades_seal_verifies_with_jwcrypto_and_ours(jades, pki):
    assert json.loads(_jwcrypto_json(jades, _pem_cert(pki.signer_cert))) == DOCUMENT
    verdict = _verify(jades, pki)
    assert verdict.status == "valid", verdict.message
    assert verdict.form == "JAdES" and verdict.algorithm == "ES256"
    assert verdict.signer == "4EU+ Alliance QA (development) report signing"
    assert verdict.signed_at == WHEN and verdict.timestamp_at is None
    assert verdict.payload == DOCUMENT
    assert verdict.headline == (
        "Valid — sealed by 4EU+ Alliance QA (development) report signing on 3 December 2026"
    )


def test_jades_flipped_byte_in_payload_or_header_is_modified_for_both(jades, pki):
    signer_cert = _pem_cert(pki.signer_cert)
    payload_changed = {**jades, "payload": jades["payload"].replace("approved", "rejected")}
    protected = jades["signatures"][0]["protected"]
    header_changed = {
        **jades,
        # a byte inside the signing time of the protected header
        "signatures": [
            {**jades["signatures"][0], "protected": _flip(protected, len(protected) - 30)}
        ],
    }
    for changed in (payload_changed, header_changed):
        verdict = _verify(changed, pki)
        assert verdict.status == "modified", verdict.message
        assert verdict.headline == "Modified after sealing"
        with pytest.raises(JWException):
            _jwcrypto_json(changed, signer_cert)


def test_jades_other_pki_is_untrusted(tmp_path, pki):
    other = create_dev_pki(tmp_path / "other", organisation="Another Alliance (development)")
    sealed = Sealer.from_signer(other.signer()).seal_jades(DOCUMENT, signing_time=WHEN)
    verdict = _verify(sealed, pki)
    assert verdict.status == "untrusted"
    assert "no chain to a trusted root" in verdict.message
    assert verdict.signer == "Another Alliance (development) report signing"
    assert verdict.headline == "Sealed, but not by a trusted key"
    assert verdict.payload == DOCUMENT  # readable, for a caller that wants it anyway
    assert verify_sealed(json.dumps(sealed).encode(), trust_roots=[other.ca_cert]).ok


def test_rsa_key_seals_rs256_and_jwcrypto_agrees(tmp_path, pki):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _issue(pki, key, "RSA seal")
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = load_signer(key=tmp_path / "key.pem", cert=tmp_path / "cert.pem", chain=[pki.ca_cert])
    sealer = Sealer.from_signer(signer)
    assert sealer.algorithm == "RS256"
    sealed = sealer.seal_jades(DOCUMENT, signing_time=WHEN)
    assert json.loads(_jwcrypto_json(sealed, cert)) == DOCUMENT
    assert _verify(sealed, pki).status == "valid"
    token = sealer.seal_vc_jwt(CREDENTIAL, issued_at=WHEN)
    assert _header(token.split(".")[0])["alg"] == "RS256"
    assert _verify(token, pki).status == "valid"


def test_keys_jose_validators_do_not_expect_are_refused(pki):
    signer = pki.signer()
    for key, match in (
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA key"),
        (ec.generate_private_key(ec.SECP256K1()), "curve secp256k1"),
    ):
        with pytest.raises(ValidationFailed, match=match):
            Sealer.from_signer(dataclasses.replace(signer, private_key=key))  # type: ignore[arg-type]


def test_what_cannot_be_sealed_is_named(sealer):
    with pytest.raises(ValidationFailed, match="time zone"):
        sealer.seal_jades(DOCUMENT, signing_time=dt.datetime(2026, 12, 3, 16, 0))
    with pytest.raises(ValidationFailed, match="must be a JSON object"):
        sealer.seal_json(["not", "an", "object"], signing_time=WHEN)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="not plain JSON"):
        sealer.seal_json({"when": WHEN}, signing_time=WHEN)


# --- B-T: a timestamp from a timestamp authority --------------------------------------------------


def test_jades_b_t_carries_a_timestamp_of_the_signature_value(pki, tsa):
    sealer = Sealer.from_signer(pki.signer(), timestamp_url=tsa.url)
    sealed = sealer.seal_jades(DOCUMENT, signing_time=WHEN)
    (signature,) = sealed["signatures"]
    (entry,) = signature["header"]["etsiU"]
    (token,) = json.loads(_b64url_decode(entry))["sigTst"]["tstTokens"]
    info = asn1_cms.ContentInfo.load(base64.b64decode(token["val"]))
    tst_info = info["content"]["encap_content_info"]["content"].parsed
    imprint = tst_info["message_imprint"]
    # JAdES (and EDC) stamp the base64url text of the signature value
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert (
        imprint["hashed_message"].native
        == hashlib.sha256(signature["signature"].encode("ascii")).digest()
    )
    assert len(tsa.requests) >= 1
    # the unprotected header does not change the signature: jwcrypto still checks it
    assert json.loads(_jwcrypto_json(sealed, _pem_cert(pki.signer_cert))) == DOCUMENT
    verdict = _verify(sealed, pki)
    assert verdict.status == "valid", verdict.message
    assert verdict.timestamp_at == tsa.stamp_time
    assert verdict.signed_at == WHEN


def test_jades_timestamp_of_another_signature_is_refused(pki, tsa):
    sealer = Sealer.from_signer(pki.signer(), timestamp_url=tsa.url)
    first = sealer.seal_jades(DOCUMENT, signing_time=WHEN)
    second = sealer.seal_jades({**DOCUMENT, "decision": "rejected"}, signing_time=WHEN)
    swapped = {
        **second,
        "signatures": [{**second["signatures"][0], "header": first["signatures"][0]["header"]}],
    }
    verdict = _verify(swapped, pki)
    assert verdict.status == "invalid"
    assert "timestamp does not belong to its signature" in verdict.message


def test_settings_seal_with_the_data_folder_pki_and_qa_timestamp_url(
    fresh_env, monkeypatch, pki, tsa
):
    from qa_engine.adapters.jose_seal import sealer_from_settings
    from qa_engine.config import get_settings, reset_settings

    monkeypatch.setenv("QA_TIMESTAMP_URL", tsa.url)
    reset_settings()
    sealed = sealer_from_settings().seal_jades(DOCUMENT, signing_time=WHEN)
    assert "etsiU" in sealed["signatures"][0]["header"]
    data_folder_ca = get_settings().pki_dir / "ca.pem"
    verdict = verify_sealed(json.dumps(sealed).encode(), trust_roots=[data_folder_ca])
    # the test TSA's certificate comes from another development CA
    assert verdict.status == "untrusted" and "timestamp authority" in verdict.message
    verdict = verify_sealed(json.dumps(sealed).encode(), trust_roots=[data_folder_ca, pki.ca_cert])
    assert verdict.ok and verdict.timestamp_at == tsa.stamp_time, verdict.message


def test_timestamp_authority_that_does_not_answer_is_a_clear_error(pki, tsa):
    import socket

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sealer = Sealer.from_signer(pki.signer(), timestamp_url=f"http://127.0.0.1:{port}/tsa")
    with pytest.raises(StorageError, match=rf"timestamp authority at http://127.0.0.1:{port}/tsa"):
        sealer.seal_jades(DOCUMENT, signing_time=WHEN)
    with pytest.raises(ValidationFailed, match="not an http"):
        Sealer.from_signer(pki.signer(), timestamp_url="ftp://tsa.example")


# --- VC-JWT and the compact JWS -----------------------------------------------------------------


def test_vc_jwt_header_and_claims_follow_open_badges_3(vc_jwt, pki):
    head, body, _ = vc_jwt.split(".")
    header = _header(head)
    assert set(header) == {"alg", "typ", "jwk"}  # OB 3.0 allows alg, kid, jwk, typ only
    assert header["typ"] == "JWT" and header["alg"] == "ES256"
    assert "d" not in header["jwk"]
    signer_der = _pem_cert(pki.signer_cert).public_bytes(serialization.Encoding.DER)
    assert base64.b64decode(header["jwk"]["x5c"][0]) == signer_der
    claims = json.loads(_b64url_decode(body))
    assert claims["iss"] == CREDENTIAL["issuer"]["id"]
    assert claims["jti"] == CREDENTIAL["id"]
    assert claims["sub"] == CREDENTIAL["credentialSubject"]["id"]
    assert claims["nbf"] == int(dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC).timestamp())
    assert claims["exp"] == int(dt.datetime(2031, 12, 3, 15, 0, tzinfo=dt.UTC).timestamp())
    assert claims["iat"] == int(WHEN.timestamp())
    assert {
        k: v for k, v in claims.items() if k not in ("iss", "jti", "sub", "nbf", "exp", "iat")
    } == CREDENTIAL


def test_vc_jwt_of_a_subject_known_by_identifier_has_no_sub(sealer, pki):
    """As the OB 3.0 export's sample credential: the learner has an identifier, no id."""
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": "Ada", "identityType": "name"}],
    }
    token = sealer.seal_vc_jwt({**CREDENTIAL, "credentialSubject": subject}, issued_at=WHEN)
    claims = json.loads(_b64url_decode(token.split(".")[1]))
    assert "sub" not in claims and claims["credentialSubject"] == subject
    assert _verify(token, pki).status == "valid"


def test_vc_jwt_verifies_with_jwcrypto_using_the_key_in_its_header(vc_jwt, pki):
    checker = jw_jws.JWS()
    checker.deserialize(vc_jwt)
    checker.verify(jw_jwk.JWK(**_header(vc_jwt.split(".")[0])["jwk"]))
    assert json.loads(checker.payload)["jti"] == CREDENTIAL["id"]
    verdict = _verify(vc_jwt, pki)
    assert verdict.status == "valid", verdict.message
    assert verdict.form == "VC-JWT"
    assert verdict.signed_at == WHEN
    assert verdict.payload["credentialSubject"] == CREDENTIAL["credentialSubject"]


def test_vc_jwt_refuses_a_credential_without_what_the_claims_need(sealer):
    bad = {k: v for k, v in CREDENTIAL.items() if k not in ("id", "validFrom")}
    bad["issuer"] = {"name": "no id"}
    bad["credentialSubject"] = {"id": "", "type": ["AchievementSubject"]}
    with pytest.raises(ValidationFailed) as caught:
        sealer.seal_vc_jwt(bad, issued_at=WHEN)
    message = caught.value.message
    for missing in (
        "issuer.id is missing",
        "id is missing",
        "validFrom is missing",
        "credentialSubject.id is missing",
    ):
        assert missing in message
    with pytest.raises(ValidationFailed, match="fractions of a second"):
        sealer.seal_vc_jwt({**CREDENTIAL, "validFrom": "2026-12-03T15:00:00.5Z"}, issued_at=WHEN)


def test_public_record_is_a_compact_jws_with_chain_and_signing_time(record, pki):
    header = _header(record.split(".")[0])
    assert header["cty"] == "application/json"
    assert header["sigT"] == "2026-12-03T16:00:00Z"
    assert "crit" not in header  # any JOSE library checks it
    signer_der = _pem_cert(pki.signer_cert).public_bytes(serialization.Encoding.DER)
    assert base64.b64decode(header["x5c"][0]) == signer_der
    assert json.loads(_jwcrypto_compact(record, _pem_cert(pki.signer_cert))) == DOCUMENT
    verdict = _verify(record, pki)
    assert (verdict.status, verdict.form, verdict.payload) == ("valid", "JWS", DOCUMENT)
    assert verdict.signed_at == WHEN


def test_compact_flipped_byte_in_payload_or_header_is_modified_for_both(record, vc_jwt, pki):
    signer_cert = _pem_cert(pki.signer_cert)
    for token in (record, vc_jwt):
        head, body, _ = token.split(".")
        for index in (len(head) // 2, len(head) + 1 + len(body) // 2):
            changed = _flip(token, index)
            verdict = _verify(changed, pki)
            assert verdict.status == "modified", (index, verdict.message)
            with pytest.raises(JWException):
                _jwcrypto_compact(changed, signer_cert)


def test_flipped_characters_anywhere_never_verify(record, pki):
    for index in range(0, len(record), 11):
        if record[index] == ".":
            continue
        verdict = _verify(_flip(record, index), pki)
        assert verdict.status != "valid", index


# --- what is not a valid seal -------------------------------------------------------------------


def test_unsigned_json_is_unsigned(pki):
    verdict = _verify(DOCUMENT, pki)
    assert verdict.status == "unsigned"
    assert verdict.headline == "Not sealed"
    assert verdict.payload == DOCUMENT


def test_other_proofs_and_detached_seals_are_not_called_unsigned(jades, pki):
    """The OB 3.0 sample with a Data Integrity proof, and a JWS whose payload was detached."""
    verdict = _verify((DATA / "simple.json").read_bytes(), pki)
    assert verdict.status == "unsupported" and "Data Integrity" in verdict.message
    detached = {"signatures": jades["signatures"]}
    assert _verify(detached, pki).status == "unsupported"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"garbage, not JSON", "neither JSON"),
        (b"", "empty"),
        (b"\xff\xfe\x00binary", "not text"),
        (b"%PDF-1.7\n", "neither JSON"),
    ],
)
def test_what_is_neither_json_nor_a_jws_is_unreadable(pki, data, words):
    verdict = _verify(data, pki)
    assert verdict.status == "unreadable"
    assert words in verdict.message
    assert verdict.headline == "Not a sealed file"


def test_absurd_nesting_and_size_are_refused_with_a_verdict(pki):
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        verdict = _verify(b"[" * depth + b"]" * depth, pki)
        assert verdict.status == "unreadable"
        assert f"more than {MAX_JSON_DEPTH} levels deep" in verdict.message
    assert _verify(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, pki).status == "unsigned"
    verdict = _verify(b" " * (MAX_SEALED_FILE_BYTES + 1), pki)
    assert verdict.status == "unreadable"
    assert f"the limit is {MAX_SEALED_FILE_BYTES:,} bytes" in verdict.message


def test_broken_envelopes_get_a_verdict_not_an_exception(jades, pki):
    signature = jades["signatures"][0]
    cases = {
        "no signatures": {**jades, "signatures": []},
        "payload not text": {**jades, "payload": {"a": 1}},
        "signature not text": {**jades, "signatures": [{**signature, "signature": 5}]},
        "no protected header": {"payload": jades["payload"], "signatures": [{"signature": "AA"}]},
        "header not JSON": {**jades, "signatures": [{**signature, "protected": "bm90IGpzb24"}]},
    }
    for what, envelope in cases.items():
        verdict = _verify(envelope, pki)
        assert verdict.status in ("invalid", "modified"), what
        assert verdict.message, what
    hmac = {**json.loads(json.dumps(jades))}
    header = _header(signature["protected"])
    hmac["signatures"] = [
        {
            **signature,
            "protected": base64.urlsafe_b64encode(json.dumps({**header, "alg": "HS256"}).encode())
            .rstrip(b"=")
            .decode(),
        }
    ]
    verdict = _verify(hmac, pki)
    assert verdict.status == "unsupported" and "'HS256'" in verdict.message


def test_edc_official_sample_is_read_as_a_jades_seal(pki):
    """The official EDC sample: sealed (RS256, B-LTA) by a test certificate of ANF AC whose chain
    is not in the file and whose root is not ours; its signature is intact."""
    verdict = verify_sealed(EDC_SAMPLE.read_bytes(), trust_roots=[pki.ca_cert])
    assert verdict.status == "untrusted", verdict.message
    assert "no chain to a trusted root" in verdict.message
    assert (verdict.form, verdict.algorithm, verdict.signer) == ("JAdES", "RS256", "TEST SEAL")
    assert verdict.signed_at == dt.datetime(2023, 9, 27, 11, 54, 17, tzinfo=dt.UTC)
    assert verdict.timestamp_at == dt.datetime(2023, 9, 27, 11, 54, 20, tzinfo=dt.UTC)
    assert verdict.payload["id"] == "urn:credential:1018d05f-21d5-4555-b7f0-8fabfd22ca75"
    # its unencoded payload is covered by the signature: one changed character is seen
    edc = json.loads(EDC_SAMPLE.read_text())
    edc["payload"] = edc["payload"].replace("urn:credential:1018", "urn:credential:1019", 1)
    assert _verify(edc, pki).status == "modified"


def test_edc_second_official_sample_reads_the_same_way(pki):
    sample = DATA / "Sample-CertOfPart-signed.jsonld"
    verdict = verify_sealed(sample.read_bytes(), trust_roots=[pki.ca_cert])
    assert (verdict.status, verdict.form, verdict.signer) == ("untrusted", "JAdES", "TEST SEAL")
    assert verdict.signed_at == dt.datetime(2023, 9, 27, 12, 7, 1, tzinfo=dt.UTC)
    assert verdict.payload["id"] == "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"


def test_verify_also_works_under_a_running_event_loop(jades, pki):
    """An async caller (a web route, a flow) may call the synchronous check."""
    import asyncio

    async def check():
        return _verify(jades, pki)

    assert asyncio.run(check()).status == "valid"
