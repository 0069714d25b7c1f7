"""Generate, store and verify the files of a decision: the signed PDF report and the case workbook.

Paths are deterministic (one folder per case, the report id as file name) and files are written
atomically, so a retried generation replaces its own half-finished attempt and nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.dev_pki import create_dev_pki
from qa_engine.adapters.files import write_atomically
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.signing import Signer, Verdict, load_signer, sign_pdf, verify_pdf
from qa_engine.config import Settings, get_settings
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.limits import check_size
from qa_engine.domain.report import REPORT_TEMPLATE_VERSION
from qa_engine.services.report_data import build_report
from qa_engine.store import case_repo
from qa_engine.store.models import Decision, Report

MAX_VERIFY_BYTES = 50 * 1024 * 1024


def signing_configured(settings: Settings) -> bool:
    return bool(settings.signing_p12 or (settings.signing_key and settings.signing_cert))


def ensure_dev_pki(settings: Settings | None = None):
    """Create the development CA and signing certificate under the data folder if none is configured."""
    settings = settings or get_settings()
    if signing_configured(settings):
        return None
    return create_dev_pki(settings.pki_dir)


def signer_from_settings(settings: Settings | None = None) -> Signer:
    settings = settings or get_settings()
    if settings.signing_p12:
        return load_signer(p12=settings.signing_p12, p12_password=settings.signing_p12_password)
    if settings.signing_key and settings.signing_cert:
        return load_signer(key=settings.signing_key, cert=settings.signing_cert, chain=settings.signing_chain,
                           key_password=settings.signing_key_password)
    return create_dev_pki(settings.pki_dir).signer()


def trust_roots(settings: Settings | None = None, *, create: bool = True) -> list[Path]:
    """The CA certificates reports must chain to: QA_TRUST_ROOTS, else the data folder's development CA
    (created when `create`; a read-only caller gets none when the data folder has none)."""
    settings = settings or get_settings()
    if settings.trust_roots:
        return list(settings.trust_roots)
    if signing_configured(settings):
        raise ValidationFailed("QA_TRUST_ROOTS is not set: name the CA certificate(s) that reports must chain to")
    if not create:
        ca = settings.pki_dir / "ca.pem"
        return [ca] if ca.exists() else []
    return [create_dev_pki(settings.pki_dir).ca_cert]


def report_path(settings: Settings, case_id: int, report_id: str, kind: str) -> Path:
    return settings.reports_out_dir / f"case-{case_id:06d}" / f"{report_id}.{kind}"


def generate_report(session: Session, row: Report) -> None:
    """Render (and for a PDF, sign) one requested report and record where it is and its SHA-256."""
    settings = get_settings()
    decision = session.get(Decision, row.decision_id)
    case = case_repo.get_case(session, row.case_id)
    pdf_row = case_repo.get_report(session, decision.id, "pdf")
    data = build_report(session, case, decision, report_id=pdf_row.report_id if pdf_row else row.report_id)
    if row.kind == "pdf":
        payload = sign_pdf(render_report(data, reports_dir=settings.reports_dir), signer_from_settings(settings),
                           timestamp_url=settings.timestamp_url)
    elif row.kind == "xlsx":
        payload = workbook_bytes(data)
    else:
        raise ValidationFailed(f"unknown report kind {row.kind!r}")
    path = report_path(settings, case.id, row.report_id, row.kind)
    write_atomically(path, payload, hint="the case stays in reporting and is retried")
    row.path = str(path)
    row.sha256 = hashlib.sha256(payload).hexdigest()
    row.template_version = REPORT_TEMPLATE_VERSION
    session.add(row)


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    registered: bool | None  # the engine issued a report with this id and these exact bytes
    sha256: str

    @property
    def ok(self) -> bool:
        return self.verdict.ok and self.registered is not False

    def lines(self) -> list[str]:
        v = self.verdict
        out = [f"verdict: {v.status}", v.message]
        if v.signer:
            out.append(f"signed by: {v.signer}")
        if v.signed_at:
            out.append(f"signed at: {v.signed_at:%Y-%m-%d %H:%M:%S %Z}")
        if v.report_id:
            out.append(f"report id: {v.report_id}")
        if self.registered is True:
            out.append("registered: this exact file was issued by the engine")
        elif self.registered is False:
            out.append("registered: NO — the engine has no report with this id and these exact bytes")
        out.append(f"sha256: {self.sha256}")
        return out


def verify_bytes(data: bytes, *, session: Session | None = None,
                 roots: list[Path] | None = None) -> VerificationResult:
    """Check a report file: its signature (any validator would agree) and, with a session, the register.

    `roots` are the trust roots (default: `trust_roots()`)."""
    check_size(len(data), MAX_VERIFY_BYTES, "the report")
    verdict = verify_pdf(data, trust_roots=trust_roots() if roots is None else roots)
    digest = hashlib.sha256(data).hexdigest()
    registered = None
    if session is not None and verdict.report_id:
        row = case_repo.get_report_by_report_id(session, verdict.report_id)
        registered = bool(row and row.sha256 == digest)
    return VerificationResult(verdict, registered, digest)
