"""Every signed file verifiable: the leadership PDF from the dashboard, from the CLI and from the
scheduled flow is recorded in the register, so the verify service, the /verify page and the API
all say the engine issued exactly that file, in words."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from qa_engine.adapters.report_files import signature_checker
from qa_engine.domain.verification import VerificationResult
from qa_engine.services.report_files import verify_bytes
from qa_engine.store.db import session_scope
from tests.web.support import signed_in

VALID_WORDS = re.compile(
    r"Valid — issued by [^<]+ on \d{1,2} [A-Z][a-z]+ \d{4} \(report AGG-\d{8}-\d{8}-[0-9a-f]{8}\)"
)


def _verified(data: bytes) -> VerificationResult:
    with session_scope() as s:
        return verify_bytes(data, session=s, check_signature=signature_checker())


def _assert_issued(client, data: bytes) -> None:
    """Valid and registered by the service, the public page (in words) and the API."""
    result = _verified(data)
    assert result.verdict.status == "valid", result.verdict.message
    assert result.registered is True
    assert result.ok and VALID_WORDS.fullmatch(result.headline), result.headline
    anonymous = type(client)(client.app)
    page = anonymous.post("/verify", files={"file": ("l.pdf", data, "application/pdf")})
    assert page.status_code == 200
    assert VALID_WORDS.search(page.text), page.text
    assert "yes, exactly this file" in page.text
    assert "Not valid" not in page.text
    assert "Issued by the engine</dt><dd><strong>no" not in page.text
    api = anonymous.post(
        "/api/v1/reports/verify", files={"file": ("l.pdf", data, "application/pdf")}
    ).json()
    assert api["status"] == "valid" and api["registered"] is True and api["ok"] is True
    assert api["verdict"] == result.headline
    known = anonymous.get(f"/verify?id={result.verdict.report_id}")
    assert "was issued by the engine" in known.text


def test_the_dashboard_pdf_is_registered(client, p):
    signed_in(client, "leader")
    r = client.get("/dashboard/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    _assert_issued(client, r.content)
    # a second download is a second signed file: both are on record
    again = client.get("/dashboard/report.pdf")
    assert again.content != r.content
    _assert_issued(client, again.content)
    # the workbook is not signed: nothing to record, and it still downloads
    assert client.get("/dashboard/report.xlsx").content[:2] == b"PK"


def test_the_cli_pdf_is_registered(client, p, tmp_path):
    from qa_engine.cli.leadership_cmd import reports_app

    out = tmp_path / "leadership.pdf"
    res = CliRunner().invoke(
        reports_app,
        [
            "aggregate",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--format",
            "pdf",
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    _assert_issued(client, out.read_bytes())
    from qa_engine.cli.main import app

    checked = CliRunner().invoke(app, ["reports", "verify", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "Valid — issued by" in checked.output
    assert "registered: this exact file was issued by the engine" in checked.output
    assert "NO" not in checked.output


def test_the_flow_pdf_is_registered(client, p, tmp_path):
    from prefect.logging import disable_run_logger

    from qa_engine.workflows.leadership import compute_figures, render_report

    with disable_run_logger():
        figures = compute_figures.fn(date(2025, 1, 1), date(2025, 12, 31))
        path = render_report.fn(figures, "pdf", str(tmp_path))
    _assert_issued(client, Path(path).read_bytes())


def test_the_page_and_the_cli_say_what_is_wrong_in_words(client, p, tmp_path):
    signed_in(client, "leader")
    data = client.get("/dashboard/report.pdf").content
    anonymous = type(client)(client.app)

    def page(payload: bytes) -> str:
        return anonymous.post("/verify", files={"file": ("x.pdf", payload, "application/pdf")}).text

    assert "Modified after signing" in page(data + b"%extra\n")
    assert "Not a PDF" in page(b"hello, not a pdf")
    unsigned = data[: data.index(b"%%EOF") + 5]  # the first revision: before the signature
    assert "Not signed" in page(unsigned)
    for text in (page(data + b"%extra\n"), page(b"hello")):
        assert "not_pdf" not in text and "Not valid" not in text

    from qa_engine.cli.main import app

    junk = tmp_path / "junk.pdf"
    junk.write_text("hello")
    res = CliRunner().invoke(app, ["reports", "verify", str(junk)])
    assert res.exit_code == 1 and "Not a PDF" in res.output and "NOT_PDF" not in res.output
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(data + b"%extra\n")
    res = CliRunner().invoke(app, ["reports", "verify", str(changed)])
    assert res.exit_code == 1 and "Modified after signing" in res.output
