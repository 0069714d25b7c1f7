"""Verifying signed reports that were changed as files: bytes added behind or in front of the
signed PDF, an appended update, a file cut short. Each is built from a real signed report and,
where poppler's pdfsig is installed, compared with pdfsig's view of the same file."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfWriter

from qa_engine.adapters.dev_pki import DevPKI, create_dev_pki
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.signing import sign_pdf, verify_pdf
from qa_engine.domain.verification import Verdict
from tests.adapters.test_reports_pdf import REPORTS_DIR, build_report

REPORT_ID = "QA-2026-000123-R1"
HAS_PDFSIG = shutil.which("pdfsig") is not None


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPKI:
    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signed(pki: DevPKI) -> bytes:
    pdf = render_report(build_report(n_criteria=3, reviewers=2), reports_dir=REPORTS_DIR)
    return sign_pdf(pdf, pki.signer())


def _verify(data: bytes, pki: DevPKI) -> Verdict:
    return verify_pdf(data, trust_roots=[pki.ca_cert])


def _updated(signed: bytes, **entries: str) -> bytes:
    """The signed report with an incremental update (as pypdf writes it) that rewrites /Info."""
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_metadata(entries)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(signed)  # really appended, the signed part untouched
    return out.getvalue()


def _in_words(verdict: Verdict) -> None:
    """A message for a person: no exception class names, no tracebacks."""
    assert verdict.message
    assert not re.search(r"\b\w+(Error|Exception)\b|Traceback", verdict.message), verdict.message


# name, how to make the file from the signed report, the verdict, what the message must say
CASES: list[tuple[str, Callable[[bytes], bytes], str, str]] = [
    (
        "4 KB of zeros appended",
        lambda s: s + b"\x00" * 4096,
        "modified",
        "4096 bytes were added after the signed part",
    ),
    (
        "100 zero bytes appended",
        lambda s: s + b"\x00" * 100,
        "modified",
        "100 bytes were added after the signed part",
    ),
    (
        "one newline appended",
        lambda s: s + b"\n",
        "modified",
        "1 byte was added after the signed part",
    ),
    (
        "garbage text appended",
        lambda s: s + b"Approved without conditions. -- the provider\n",
        "modified",
        "45 bytes were added after the signed part",
    ),
    (
        "random bytes appended",
        lambda s: s + random.Random(14).randbytes(3000),
        "modified",
        "3000 bytes were added after the signed part",
    ),
    (
        "an update that rewrites the title appended",
        lambda s: _updated(s, **{"/Title": "Approved without conditions"}),
        "modified",
        "incremental update); it rewrites the document information (Title)",
    ),
    (
        "an update and then zeros appended",
        lambda s: _updated(s, **{"/Title": "Approved"}) + b"\x00" * 4096,
        "modified",
        "incremental update); it rewrites the document information (Title)",
    ),
    (
        "200 bytes of junk in front of %PDF-",
        lambda s: b"JUNK" * 50 + s,
        "modified",
        "200 bytes were added in front of the start of the PDF",
    ),
    (
        "2000 bytes of junk in front of %PDF-",
        lambda s: b"\n" * 2000 + s,
        "modified",
        "2000 bytes were added in front of the start of the PDF",
    ),
    (
        "junk in front and zeros behind",
        lambda s: b"junk\n" + s + b"\x00" * 4096,
        "modified",
        "5 bytes were added in front of the start of the PDF and 4096 bytes were added after",
    ),
    (
        "the last 30 bytes cut off",
        lambda s: s[:-30],
        "invalid",
        "The file is damaged: it ends 30 bytes before the end of the part that was signed",
    ),
    (
        "the last half cut off",
        lambda s: s[: len(s) // 2],
        "invalid",
        "cut short",
    ),
]


@pytest.mark.parametrize(
    ("make", "status", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_changed_signed_report_gets_the_true_verdict(
    signed: bytes, pki: DevPKI, make: Callable[[bytes], bytes], status: str, says: str
) -> None:
    assert _verify(signed, pki).status == "valid"
    verdict = _verify(make(signed), pki)
    assert verdict.status == status, verdict.message
    assert says in verdict.message, verdict.message
    assert "not a PDF" not in verdict.message
    _in_words(verdict)
    if status == "modified":
        assert "not exactly the file that was sealed" in verdict.message
        assert verdict.report_id == REPORT_ID
        assert verdict.signer and "report signing" in verdict.signer


def test_the_report_id_is_the_signed_one_when_an_update_rewrites_the_subject(
    signed: bytes, pki: DevPKI
) -> None:
    """pypdf rewrites /Info under its old object number: the id must still be the sealed one,
    not the one the update claims (the register is looked up by it)."""
    verdict = _verify(_updated(signed, **{"/Subject": "QA-2026-999999-R1"}), pki)
    assert verdict.status == "modified", verdict.message
    assert verdict.report_id == REPORT_ID
    assert "(Subject)" in verdict.message


def test_an_unsigned_pdf_with_bytes_behind_it_is_unsigned(pki: DevPKI) -> None:
    pdf = render_report(build_report(n_criteria=2, reviewers=2), reports_dir=REPORTS_DIR)
    verdict = _verify(pdf + b"\x00" * 4096, pki)
    assert verdict.status == "unsigned", verdict.message
    assert verdict.report_id == REPORT_ID


def test_files_that_hold_no_pdf_are_still_not_pdf(pki: DevPKI) -> None:
    notes = b"Notes on the report; a PDF starts with %PDF- and ends with %%EOF."
    assert _verify(notes, pki).status == "not_pdf"
    assert _verify(random.Random(3).randbytes(8192), pki).status == "not_pdf"
    damaged = _verify(b"%PDF-1.7\n" + random.Random(4).randbytes(4096), pki)
    assert damaged.status == "invalid" and "damaged" in damaged.message


# --- poppler's pdfsig on the same files -----------------------------------------------------------


def _pdfsig(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


@pytest.mark.skipif(not HAS_PDFSIG, reason="poppler's pdfsig is not installed (poppler-utils)")
@pytest.mark.parametrize(("make", "status"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_pdfsig_sees_the_same_change(
    signed: bytes, pki: DevPKI, tmp_path: Path, make: Callable[[bytes], bytes], status: str
) -> None:
    """pdfsig reads every changed file as a PDF too. Bytes behind the signed part: the signature
    is valid but does not cover the whole document (our "modified"). Bytes in front: the signed
    byte ranges no longer point at the signed bytes (a digest mismatch; "modified" as well, since
    the signed PDF is found intact behind them). Cut short: no signature can be read ("invalid",
    damaged)."""
    changed = make(signed)
    assert _verify(changed, pki).status == status
    text = _pdfsig(changed, tmp_path)
    if status == "invalid":
        assert "Signature is Valid" not in text, text
        return
    assert "Signature #1" in text, text
    assert "Not total document signed" in text, text
    assert ("Signature is Valid" in text) or ("Digest Mismatch" in text), text
