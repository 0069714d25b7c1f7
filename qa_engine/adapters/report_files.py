"""The files of a decision, the adapters' half: render (and for a PDF, sign) the report data and
write the file where reports live; check a file's signature; the signer, the trust roots and the
development PKI from the settings. What is recorded in the store is
`qa_engine.services.report_files`'s.

Paths are deterministic (one folder per case, the report id as file name) and files are written
atomically, so a retried generation replaces its own half-finished attempt and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.dev_pki import DevPKI, create_dev_pki
from qa_engine.adapters.files import write_atomically
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.signing import Signer, load_signer, sign_pdf, verify_pdf
from qa_engine.config import Settings, get_settings
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.report import EvaluationReport
from qa_engine.domain.verification import Verdict


def signing_configured(settings: Settings) -> bool:
    return bool(settings.signing_p12 or (settings.signing_key and settings.signing_cert))


def ensure_dev_pki(settings: Settings | None = None) -> DevPKI | None:
    """Create the development CA and signing certificate under the data folder if none is
    configured."""
    settings = settings or get_settings()
    if signing_configured(settings):
        return None
    return create_dev_pki(settings.pki_dir)


def signer_from_settings(settings: Settings | None = None) -> Signer:
    settings = settings or get_settings()
    if settings.signing_p12:
        return load_signer(p12=settings.signing_p12, p12_password=settings.signing_p12_password)
    if settings.signing_key and settings.signing_cert:
        return load_signer(
            key=settings.signing_key,
            cert=settings.signing_cert,
            chain=settings.signing_chain,
            key_password=settings.signing_key_password,
        )
    return create_dev_pki(settings.pki_dir).signer()


def trust_roots(settings: Settings | None = None, *, create: bool = True) -> list[Path]:
    """The CA certificates reports must chain to: QA_TRUST_ROOTS, else the data folder's development
    CA (created when `create`; a read-only caller gets none when the data folder has none)."""
    settings = settings or get_settings()
    if settings.trust_roots:
        return list(settings.trust_roots)
    if signing_configured(settings):
        raise ValidationFailed(
            "QA_TRUST_ROOTS is not set: name the CA certificate(s) that reports must chain to"
        )
    if not create:
        ca = settings.pki_dir / "ca.pem"
        return [ca] if ca.exists() else []
    return [create_dev_pki(settings.pki_dir).ca_cert]


def report_path(settings: Settings, case_id: int, report_id: str, kind: str) -> Path:
    return settings.reports_out_dir / f"case-{case_id:06d}" / f"{report_id}.{kind}"


@dataclass(frozen=True)
class ReportFiles:
    """Report files as the settings say: the signed PDF, the workbook, under the reports folder.

    The `ReportOutput` that `qa_engine.services.report_files.generate_report` is given."""

    settings: Settings

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ReportFiles:
        return cls(settings or get_settings())

    def render(self, data: EvaluationReport, kind: str) -> bytes:
        """The signed PDF or the workbook of the report data."""
        if kind == "pdf":
            return sign_pdf(
                render_report(data, reports_dir=self.settings.reports_dir),
                signer_from_settings(self.settings),
                timestamp_url=self.settings.timestamp_url,
            )
        if kind == "xlsx":
            return workbook_bytes(data)
        raise ValidationFailed(f"unknown report kind {kind!r}")

    def write(self, *, case_id: int, report_id: str, kind: str, payload: bytes) -> Path:
        """Write the file atomically at its deterministic path; return the path."""
        path = report_path(self.settings, case_id, report_id, kind)
        write_atomically(path, payload, hint="the case stays in reporting and is retried")
        return path


def signature_checker(roots: list[Path] | None = None) -> Callable[[bytes], Verdict]:
    """Check a report's signature against `roots` (default: `trust_roots()`, looked up at each
    check)."""

    def check(data: bytes) -> Verdict:
        return verify_pdf(data, trust_roots=trust_roots() if roots is None else roots)

    return check
