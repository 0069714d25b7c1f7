"""The evaluation report: data model, PDF rendering, signing and verification (no database)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pypdf import PdfReader, PdfWriter

from qa_engine.adapters.dev_pki import DevPKI, create_dev_pki
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.signing import load_signer, sign_pdf, verify_pdf
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.report import (
    REPORT_TEMPLATE_VERSION,
    EvaluationReport,
    ReportCredential,
    ReportCriterion,
    ReportEvent,
    ReportStandardRow,
    make_report_id,
)

ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = ROOT / "reports"
UTC = dt.UTC

SCALE = [
    (0, "Not addressed", "The submission gives no evidence that the matter has been considered."),
    (1, "Initial", "The matter is acknowledged, but the arrangements are vague or incomplete."),
    (2, "Developing", "Arrangements exist and partly meet the expectation, with clear gaps."),
    (
        3,
        "Meets the standard",
        "Arrangements are in place, documented and meet the expectation in full.",
    ),
    (4, "Exemplary", "Arrangements go beyond the expectation and could serve as good practice."),
]
YES_NO = [(0, "No", "The requirement is not met."), (1, "Yes", "The requirement is met.")]
NON_ASCII = ["č", "ř", "ø", "æ", "ł", "ż", "é", "ü", "ß", "ö", "å"]

CRITERIA_IDS = [
    *(f"esg-1.{i}" for i in range(1, 11)),
    "eu-elements",
    "eu-optional-elements",
    *(f"eu-p{i}" for i in range(1, 11)),
    "dg-digcomp",
    "dg-greencomp",
    "dg-esco",
    "dg-labour-market",
    "dg-eqf-level",
    "dg-ects-workload",
    "dg-stackable",
    "mici-recognition",
]


def _comment(i: int, reviewer: str) -> str:
    base = (
        f"{reviewer} on criterion {i}: the provider documents the arrangements in the "
        "self-assessment and the linked evidence. The approval decision of the faculty board "
        "(Univerzita Karlova, Přírodovědecká fakulta) is on record and dated; the learning "
        "outcomes are assessable."
    )
    if i % 3 == 0:
        base += (
            "\n\nHowever, the link between the assessment tasks and each learning outcome is only "
            "partly shown: the rubric for the final project names three of the five outcomes, and "
            "the peer-feedback task is not graded. Søren Ærø and Łukasz Żółć from the panel asked "
            "for the mapping table to be completed before the next intake.\n"
            "- Add the mapping of tasks to outcomes.\n- Publish the grading rubric to learners."
        )
    return base


def build_report(n_criteria: int = 30, reviewers: int = 3) -> EvaluationReport:
    """A realistic report: ~30 criteria, 3 reviewers, long comments, European names."""
    labels = [f"Reviewer {chr(ord('A') + k)}" for k in range(reviewers)]
    criteria = []
    for i, cid in enumerate(CRITERIA_IDS[:n_criteria], start=1):
        yes_no = cid in ("dg-eqf-level", "dg-ects-workload")
        descriptors = YES_NO if yes_no else SCALE
        scores = []
        for k, label in enumerate(labels):
            value = (1.0 if (i + k) % 4 else 0.0) if yes_no else float(min(4, max(0, (i + k) % 5)))
            scores.append((label, value, _comment(i, label)))
        values = [s for _, s, _ in scores]
        mean = sum(values) / len(values)
        spread = max(values) - min(values)
        gate = {"esg-1.2": 2, "esg-1.3": 2, "eu-p4": 3}.get(cid)
        criteria.append(
            ReportCriterion(
                id=cid,
                title=f"Criterion {cid} — Qualität, přístupnost and équité {i}",
                kind="yes_no" if yes_no else "scale",
                maps_to=["ESG-1.2", "EU-P3"] if i % 2 else ["ESG-1.3", "EU-P4", "DigComp-2.1"],
                descriptors=descriptors,
                self_score=3.0 if not yes_no else 1.0,
                self_narrative=(
                    f"Self-assessment for {cid}: we describe our practice at Københavns "
                    "Universitet."
                ),
                scores=scores,
                mean=mean,
                median=sorted(values)[len(values) // 2],
                spread=spread,
                disagreement=spread >= 3,
                gate_min=gate,
                gate_passed=None if gate is None else mean >= gate,
                effective_weight=round(1 / n_criteria, 4),
            )
        )
    at = dt.datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    history = [
        ReportEvent(at, "Provider", "submitted the credential", "version 3 of CUNI-MC-2026-004"),
        ReportEvent(
            at + dt.timedelta(days=1),
            "Engine",
            "screened the credential",
            "all standard elements present",
        ),
        ReportEvent(at + dt.timedelta(days=6), "Provider", "submitted the self-assessment", ""),
        ReportEvent(
            at + dt.timedelta(days=8),
            "QA officer",
            "assigned three reviewers",
            "Reviewer A (UCPH), B (Sorbonne), C (UW)",
        ),
        ReportEvent(at + dt.timedelta(days=30), "Reviewer C", "submitted the review", ""),
        ReportEvent(
            at + dt.timedelta(days=31), "Engine", "consolidated the reviews", "agreement α = 0.58"
        ),
        ReportEvent(
            at + dt.timedelta(days=40), "QA board chair", "decided", "approved with conditions"
        ),
    ]
    return EvaluationReport(
        report_id=make_report_id(year=2026, case_id=123, round=1),
        template_version=REPORT_TEMPLATE_VERSION,
        generated_at=dt.datetime(2026, 4, 12, 10, 0, tzinfo=UTC),
        case_id=123,
        round=1,
        credential=ReportCredential(
            reference="CUNI-MC-2026-004",
            provider="CUNI",
            provider_name="Univerzita Karlova (Charles University), Přírodovědecká fakulta",
            title="Klimatická data v praxi: Green data skills for Øresund and Kraków",
            elements=[
                ("EU-A1.2", "Title of the micro-credential", "Klimatická data v praxi"),
                ("EU-A1.3", "Country / region of the issuer", "Czechia (CZ)"),
                ("EU-A1.4", "Awarding body", "Univerzita Karlova"),
                (
                    "EU-A1.6",
                    "Learning outcomes",
                    "Learners can clean, analyse and visualise open climate data (Copernicus, "
                    "ČHMÚ) and explain uncertainty to non-specialists.",
                ),
                ("EU-A1.7", "Notional workload (ECTS)", "5 ECTS (125–150 hours)"),
                ("EU-A1.8", "Level (EQF)", "EQF 6"),
            ],
            learning_outcomes=[
                "Clean and document open climate data sets from Copernicus and ČHMÚ.",
                "Explain uncertainty in climate projections to municipal decision-makers in "
                "Bordeaux and Kraków.",
            ],
            ects="5",
            eqf_level=6,
            isced_f="0532 Earth sciences",
            languages=["cs", "en"],
            skills=["data analysis", "climate literacy", "GreenComp 2.1 systems thinking"],
        ),
        rubric_id="4eu-mici",
        rubric_version="1.2.0",
        rubric_hash="sha256:" + "9f" * 32,
        self_assessment_summary=(
            "The course team at Přírodovědecká fakulta describes a blended course run with "
            "Sorbonne Université and Uniwersytet Warszawski.\n\nThe self-assessment scores "
            "itself at 'meets the standard' on most criteria; Mr. Dvořák leads the course, "
            "with Ms. Jørgensen (Copenhagen), M. Lefèvre (Paris) and Herr Müller (Heidelberg), "
            "Straße 1, schön. Panel: Lucie Nováčková, Tomasz Różycki, Kristian Sæther (Skåne)."
        ),
        criteria=criteria,
        overall=0.6875,
        agreement=0.58,
        agreement_label="moderate",
        gates_failed=[c.id for c in criteria if c.gate_passed is False],
        recommended_outcome="approved_with_conditions",
        decision_outcome="approved_with_conditions",
        decision_rationale=(
            "The board follows the consolidated review. The credential is well designed; the "
            "assessment mapping needs completing.\n\nMs. Åsa Sørensen abstained (conflict "
            "declared)."
        ),
        conditions=[
            "Complete the mapping of assessment tasks to learning outcomes within 3 months.",
            "Publish the grading rubric on the course page in Czech and English (à la carte, "
            "façade, Românește: ș).",
        ],
        decided_by_label="QA board chair",
        decided_at=dt.datetime(2026, 4, 11, 14, 30, tzinfo=UTC),
        valid_until=dt.date(2029, 4, 11),
        esg_rows=[
            ReportStandardRow(
                "ESG-1.2", "Design and approval of programmes", 0.72, ["esg-1.2", "eu-p3"]
            ),
            ReportStandardRow(
                "ESG-1.3", "Student-centred learning, teaching and assessment", 0.55, ["esg-1.3"]
            ),
        ],
        eu_rows=[
            ReportStandardRow("EU-P3", "Relevance", 0.8, ["eu-p3", "dg-labour-market"]),
            ReportStandardRow("EU-P4", "Valid assessment", 0.5, ["eu-p4", "esg-1.3"]),
        ],
        history=history,
        verify_url="https://qa.4euplus.eu/verify",
    )


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    return build_report()


@pytest.fixture(scope="module")
def pdf(report) -> bytes:
    return render_report(report, reports_dir=REPORTS_DIR)


@pytest.fixture(scope="module")
def pages(pdf) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> DevPKI:
    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signed(pdf, pki) -> bytes:
    return sign_pdf(pdf, pki.signer())


def _verify(data: bytes, pki: DevPKI, **kw):
    return verify_pdf(data, trust_roots=[pki.ca_cert], **kw)


def _flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


def _contents_span(data: bytes) -> tuple[int, int]:
    """Start and end offsets of the signature's /Contents hex string (between < and >)."""
    start = data.index(b"/Contents <") + len(b"/Contents <")
    return start, data.index(b">", start)


# --- the data model -------------------------------------------------------------------------------


def test_report_id_and_verification_link(report):
    assert make_report_id(year=2026, case_id=123, round=1) == "QA-2026-000123-R1"
    assert make_report_id(year=2026, case_id=123, round=1, kind="xlsx") == "QA-2026-000123-R1-XLSX"
    assert report.verification_link == "https://qa.4euplus.eu/verify?id=QA-2026-000123-R1"
    assert report.reviewer_labels == ["Reviewer A", "Reviewer B", "Reviewer C"]


def test_report_refuses_naive_times_and_out_of_range_scores(report):
    from dataclasses import replace

    with pytest.raises(ValidationFailed, match="timezone-aware"):
        replace(report, generated_at=dt.datetime(2026, 4, 12, 10, 0))
    with pytest.raises(ValidationFailed, match="between 0 and 1"):
        replace(report, overall=1.5)
    with pytest.raises(ValidationFailed, match="each criterion once"):
        replace(report, criteria=[report.criteria[0], report.criteria[0]])
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        ReportEvent(dt.datetime(2026, 1, 1), "Engine", "screened")


def test_domain_report_module_imports_only_the_standard_library_and_the_domain():
    tree = ast.parse((ROOT / "qa_engine" / "domain" / "report.py").read_text())
    modules = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= {"__future__", "math", "dataclasses", "datetime", "urllib", "qa_engine"}


# --- rendering ------------------------------------------------------------------------------------


def test_rendered_report_has_every_criterion_decision_and_id(report, pages):
    text = "\n".join(pages)
    for criterion in report.criteria:
        assert criterion.id in text, criterion.id
    assert "Approved with conditions" in text
    assert report.report_id in text
    for condition_start in ("Complete the mapping", "Publish the grading rubric"):
        assert condition_start in text
    assert "Klimatická data v praxi" in text
    assert "https://qa.4euplus.eu/verify" in text


def test_every_page_has_header_and_page_x_of_y_footer(pages, report):
    total = len(pages)
    assert total > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text, f"footer missing on page {number}"
        assert report.report_id in text
        assert "4EU+ Alliance — Micro-credential quality assurance" in text
        assert text.count("Justification") <= 1, f"table header repeated on page {number}"


def test_non_ascii_names_survive_extraction(pages):
    text = "\n".join(pages)
    for ch in [*NON_ASCII, "à", "ç", "ș", "Ø", "Å", "Ł", "Ż"]:
        assert ch in text, f"{ch!r} lost in the PDF text"
    for word in (
        "Přírodovědecká",
        "Søren Ærø",
        "Łukasz Żółć",
        "Nováčková",
        "Różycki",
        "Sæther",
        "Skåne",
        "Müller",
        "Straße",
        "Lefèvre",
        "Românește",
    ):
        assert word in text, word


def test_pdf_metadata_and_fonts(pdf, report):
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta.subject == report.report_id
    assert meta.author == "4EU+ QA engine"
    assert report.report_id in meta.title and report.credential.title in meta.title
    assert meta.creation_date.replace(tzinfo=dt.UTC) == report.generated_at
    fonts = set()
    for page in reader.pages[:2]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("DejaVuSans" in f for f in fonts)


def test_same_report_gives_same_bytes(report, pdf):
    assert render_report(report, reports_dir=REPORTS_DIR) == pdf


def test_a_comment_longer_than_a_page_continues_in_the_next_rows():
    base = build_report(n_criteria=3)
    huge = "\n".join(
        f"Paragraph {i}: " + "Søren's remark on the assessment design. " * 12 for i in range(60)
    )
    first = base.criteria[0]
    from dataclasses import replace

    criteria = [
        replace(first, scores=[("Reviewer A", 2.0, huge), *first.scores[1:]]),
        *base.criteria[1:],
    ]
    pdf = render_report(replace(base, criteria=criteria), reports_dir=REPORTS_DIR)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    text = "\n".join(pages)
    assert "Paragraph 59:" in text
    assert "(continued)" in text
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert page.count("Justification") <= 1, f"table header repeated on page {number}"


def test_missing_fonts_are_named(tmp_path, report):
    with pytest.raises(FileNotFoundError, match="DejaVuSans"):
        render_report(report, reports_dir=tmp_path)


# --- development PKI and loading signers ----------------------------------------------------------


def test_dev_pki_is_idempotent_and_keys_are_private(pki):
    before = {p: p.read_bytes() for p in (pki.ca_cert, pki.signer_cert, pki.signer_key)}
    again = create_dev_pki(pki.directory)
    assert again == pki
    assert {p: p.read_bytes() for p in before} == before
    assert os.stat(pki.signer_key).st_mode & 0o777 == 0o600
    assert os.stat(pki.ca_key).st_mode & 0o777 == 0o600
    signer_cert = x509.load_pem_x509_certificate(pki.signer_cert.read_bytes())
    ku = signer_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(signer_cert.public_key(), ec.EllipticCurvePublicKey)
    assert (signer_cert.not_valid_after_utc - signer_cert.not_valid_before_utc).days >= 3 * 365


def _write_p12(pki: DevPKI, path: Path, password: bytes) -> Path:
    key = serialization.load_pem_private_key(pki.signer_key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(pki.signer_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"qa", key, cert, [ca], serialization.BestAvailableEncryption(password)
        )
    )
    return path


def test_load_signer_from_pkcs12_signs_valid_reports(tmp_path, pki, pdf):
    p12 = _write_p12(pki, tmp_path / "seal.p12", b"s3cret")
    signer = load_signer(p12=p12, p12_password="s3cret")
    assert signer.common_name and "report signing" in signer.common_name
    assert _verify(sign_pdf(pdf, signer), pki).status == "valid"


def test_load_signer_errors_name_the_file_and_the_problem(tmp_path, pki):
    p12 = _write_p12(pki, tmp_path / "seal.p12", b"s3cret")
    with pytest.raises(ValidationFailed, match=r"seal\.p12.*password is wrong"):
        load_signer(p12=p12, p12_password="wrong")
    with pytest.raises(ValidationFailed, match=r"seal\.p12.*needs a password"):
        load_signer(p12=p12)
    with pytest.raises(ValidationFailed, match=r"nope\.p12 does not exist"):
        load_signer(p12=tmp_path / "nope.p12", p12_password="x")
    with pytest.raises(ValidationFailed, match=r"missing-key\.pem does not exist"):
        load_signer(key=tmp_path / "missing-key.pem", cert=pki.signer_cert)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(
        ValidationFailed, match=r"garbage\.pem holds no readable X\.509 certificate"
    ):
        load_signer(key=pki.signer_key, cert=garbage)
    with pytest.raises(ValidationFailed, match="does not belong to the certificate"):
        load_signer(key=pki.ca_key, cert=pki.signer_cert)
    encrypted = tmp_path / "encrypted-key.pem"
    key = serialization.load_pem_private_key(pki.signer_key.read_bytes(), password=None)
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(ValidationFailed, match=r"encrypted-key\.pem is encrypted"):
        load_signer(key=encrypted, cert=pki.signer_cert)
    with pytest.raises(ValidationFailed, match=r"encrypted-key\.pem.*password is wrong"):
        load_signer(key=encrypted, cert=pki.signer_cert, key_password="nope")
    assert load_signer(key=encrypted, cert=pki.signer_cert, key_password="pw").serial_number
    with pytest.raises(ValidationFailed, match="PKCS#12 file, or both"):
        load_signer(key=pki.signer_key)


# --- signing and verification ---------------------------------------------------------------------


def test_signed_report_verifies(signed, pki, report):
    verdict = _verify(signed, pki)
    assert verdict.status == "valid", verdict.message
    assert verdict.ok
    assert verdict.report_id == report.report_id
    assert verdict.coverage == "ENTIRE_FILE"
    assert verdict.signer and "report signing" in verdict.signer
    assert verdict.signed_at is not None and verdict.signed_at.tzinfo is not None


# a verdict is read by whoever uploaded the file: never a Python exception's class name
EXCEPTION_NAME = re.compile(r"\b\w*(Error|Exception)\b")


def test_one_flipped_byte_in_the_signed_content_is_detected(signed, pki):
    inside = signed.index(b"stream", len(signed) // 3) + 40
    verdict = _verify(_flip(signed, inside), pki)
    assert verdict.status == "modified", verdict.message


def test_flipped_bytes_anywhere_never_verify(signed, pki):
    contents_start, contents_end = _contents_span(signed)
    rng = random.Random(20260412)
    positions = [rng.randrange(0, contents_start) for _ in range(8)]
    positions += [rng.randrange(contents_end, len(signed)) for _ in range(4)]
    positions += [
        contents_start + 3,
        contents_start + 400,
        contents_end - 2,
    ]  # CMS, certificate, padding
    for position in positions:
        verdict = _verify(_flip(signed, position), pki)
        assert verdict.status != "valid", f"byte {position} changed and still valid"
        assert verdict.status in {"modified", "invalid", "not_pdf"}, verdict
        assert not EXCEPTION_NAME.search(verdict.message), verdict.message


def test_changed_metadata_in_an_incremental_update_is_modified(signed, pki, report):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    info = generic.DictionaryObject(dict(writer.trailer["/Info"].get_object()))
    info["/Title"] = generic.TextStringObject("Approved without conditions")
    info["/Subject"] = generic.TextStringObject("QA-2026-999999-R1")
    writer.set_info(info)
    out = io.BytesIO()
    writer.write(out)
    verdict = _verify(out.getvalue(), pki)
    assert verdict.status == "modified", verdict.message
    assert verdict.report_id == report.report_id  # read from the signed revision, not the forgery


def test_pypdf_incremental_metadata_change_is_modified(signed, pki):
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_metadata({"/Title": "Rewritten title"})
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(signed)  # really an appended update
    assert _verify(out.getvalue(), pki).status == "modified"


def test_anything_appended_after_signing_is_modified(signed, pki):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.add_object(generic.TextStringObject("an innocent-looking object"))
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert _verify(out.getvalue(), pki).status == "modified"
    assert _verify(signed + b"\n%%junk\n", pki).status == "modified"


def test_another_ca_as_trust_root_is_untrusted(signed, tmp_path):
    same_name = create_dev_pki(tmp_path / "same-name")  # same organisation name, different key
    other_name = create_dev_pki(tmp_path / "other", organisation="Someone Else QA")
    for other in (same_name, other_name):
        verdict = verify_pdf(signed, trust_roots=[other.ca_cert])
        assert verdict.status == "untrusted", verdict.message
        assert "not trusted" in verdict.message


def test_revoked_signer_is_untrusted(signed, pki):
    serial = x509.load_pem_x509_certificate(pki.signer_cert.read_bytes()).serial_number
    verdict = _verify(signed, pki, revoked_serials={serial})
    assert verdict.status == "untrusted"
    assert "revoked" in verdict.message
    assert _verify(signed, pki, revoked_serials={serial + 1}).status == "valid"


def test_unsigned_pdf(pdf, pki, report):
    verdict = _verify(pdf, pki)
    assert verdict.status == "unsigned"
    assert verdict.report_id == report.report_id


def test_not_a_pdf(pki, tmp_path):
    rng = random.Random(7)
    assert _verify(bytes(rng.randrange(256) for _ in range(4096)), pki).status == "not_pdf"
    assert _verify(b"Evaluation report, plain text.\n", pki).status == "not_pdf"
    assert _verify(b"", pki).status == "not_pdf"


def test_truncated_pdf_is_never_valid(signed, pki):
    for cut in (100, 2000, len(signed) // 2, len(signed) - 1000, len(signed) - 30, len(signed) - 1):
        verdict = _verify(signed[:cut], pki)
        assert verdict.status != "valid", cut
        assert verdict.message and not EXCEPTION_NAME.search(verdict.message), verdict.message


def test_missing_trust_root_is_a_clear_configuration_error(signed, tmp_path):
    with pytest.raises(ValidationFailed, match=r"trust root file .*absent\.pem does not exist"):
        verify_pdf(signed, trust_roots=[tmp_path / "absent.pem"])


def test_signature_timestamp_pades_b_t(pdf, pki):
    """The B-T path, offline: pyHanko's in-process TSA with a certificate from the dev CA."""
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # dummy TSA: RSA only
    now = dt.datetime.now(dt.UTC)
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dev TSA")]))
        .issuer_name(ca_cert.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    stamp_time = now.replace(microsecond=0)
    timestamper = DummyTimeStamper(
        tsa_cert=translate_pyca_cryptography_cert_to_asn1(tsa_cert),
        tsa_key=translate_pyca_cryptography_key_to_asn1(tsa_key),
        certs_to_embed=SimpleCertificateStore.from_certs(
            [translate_pyca_cryptography_cert_to_asn1(ca_cert)]
        ),
        fixed_dt=stamp_time,
    )
    signed = sign_pdf(pdf, pki.signer(), timestamper=timestamper)
    verdict = _verify(signed, pki)
    assert verdict.status == "valid", verdict.message
    assert verdict.signed_at == stamp_time
    with pytest.raises(ValidationFailed, match="not an http"):
        sign_pdf(pdf, pki.signer(), timestamp_url="ftp://tsa.example")


# --- an independent validator: poppler's pdfsig ---------------------------------------------------


@pytest.mark.skipif(
    shutil.which("pdfsig") is None,
    reason="poppler's pdfsig is not installed (apt-get install poppler-utils)",
)
def test_pdfsig_agrees(signed, tmp_path):
    good = tmp_path / "signed.pdf"
    good.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    assert "Signature is Valid" in text, text
    assert "Total document signed" in text, text

    bad = tmp_path / "changed.pdf"
    bad.write_bytes(_flip(signed, signed.index(b"stream", len(signed) // 3) + 40))
    out = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    assert "Signature is Valid" not in text, text
