"""The files of a decision, the store's half: build the report data, have it rendered, record where
the file is and its SHA-256; check a report file against the register.

Rendering, signing and writing files are the adapters' (`qa_engine.adapters.report_files`); the
entry points pass them in, since services never import adapters.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from qa_engine.domain.limits import check_size
from qa_engine.domain.report import REPORT_TEMPLATE_VERSION, EvaluationReport
from qa_engine.domain.verification import Verdict, VerificationResult
from qa_engine.services import access
from qa_engine.services.report_data import build_report
from qa_engine.services.reporting import Generator
from qa_engine.services.rows import get_or_raise
from qa_engine.store import case_repo
from qa_engine.store.models import Decision, Report

MAX_VERIFY_BYTES = 50 * 1024 * 1024


class ReportOutput(Protocol):
    """Turns report data into the bytes of one file and keeps them where reports live."""

    def render(self, data: EvaluationReport, kind: str) -> bytes:
        """The file of this kind (a signed PDF, a workbook); `ValidationFailed` for an unknown
        kind."""
        ...

    def write(self, *, case_id: int, report_id: str, kind: str, payload: bytes) -> Path:
        """Keep the file (atomically, at a path that depends only on its arguments); return the
        path."""
        ...


def generate_report(session: Session, row: Report, *, output: ReportOutput) -> None:
    """Render (and for a PDF, sign) one requested report, in the row's language, and record where
    it is and its SHA-256."""
    decision = get_or_raise(session, Decision, row.decision_id, what="decision")
    case = access.get_case_or_raise(session, row.case_id)
    pdf_row = case_repo.get_report(session, row.decision_id, "pdf", row.language)
    data = build_report(
        session,
        case,
        decision,
        report_id=pdf_row.report_id if pdf_row else row.report_id,
        language=row.language,
    )
    payload = output.render(data, row.kind)
    path = output.write(
        case_id=row.case_id, report_id=row.report_id, kind=row.kind, payload=payload
    )
    row.path = str(path)
    row.sha256 = hashlib.sha256(payload).hexdigest()
    row.template_version = REPORT_TEMPLATE_VERSION
    session.add(row)


def report_generator(output: ReportOutput) -> Generator:
    """The generator that `reporting.generate_reports` (and so `advance.run_step`) calls."""
    return functools.partial(generate_report, output=output)


def verify_bytes(
    data: bytes, *, check_signature: Callable[[bytes], Verdict], session: Session | None = None
) -> VerificationResult:
    """Check a report file: its signature (any validator would agree) and, with a session, the
    register: a case's report, or a file issued outside a case (a leadership report)."""
    check_size(len(data), MAX_VERIFY_BYTES, "the report")
    verdict = check_signature(data)
    digest = hashlib.sha256(data).hexdigest()
    registered = None
    if session is not None and verdict.report_id:
        row = case_repo.get_report_by_report_id(session, verdict.report_id)
        issued = None if row else case_repo.get_issued_file(session, digest)
        registered = bool(
            (row and row.sha256 == digest) or (issued and issued.report_id == verdict.report_id)
        )
    return VerificationResult(verdict, registered, digest)
