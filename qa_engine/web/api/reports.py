"""Report files (signed PDF, workbook) and the public verification of a report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from qa_engine.adapters.report_files import signature_checker
from qa_engine.adapters.translations import format_date, translations
from qa_engine.domain import i18n, verification
from qa_engine.domain.errors import NotFound
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor
from qa_engine.services import access, case_views
from qa_engine.services.report_files import MAX_VERIFY_BYTES, verify_bytes
from qa_engine.web.api.common import ReportId
from qa_engine.web.api.schemas import ERRORS, VerifyOut
from qa_engine.web.auth import CurrentActor, requires, settings_of
from qa_engine.web.db import DB
from qa_engine.web.templating import request_language
from qa_engine.web.uploads import read_limited

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=ERRORS)
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _day(when: datetime, lang: str) -> str:
    """The day of a signature as people of `lang` write it ("3 grudnia 2026" in pl; English keeps
    the engine's "3 December 2026", as the CLI and the reports write it)."""
    if lang == i18n.DEFAULT:
        return verification.day_words(when)
    return format_date(when.astimezone(UTC).date(), lang, "long")


def report_file_response(db: Session, actor: Actor, report_id: str) -> FileResponse:
    row = case_views.report_for_download(session=db, actor=actor, report_id=report_id)
    path = Path(row.path) if row.path else None
    if path is None or not path.is_file():
        raise NotFound(
            f"the file of report {report_id} is missing on the server; ask the QA office"
        )
    return FileResponse(
        path,
        media_type=MEDIA.get(row.kind, "application/octet-stream"),
        filename=f"{row.report_id}.{row.kind}",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/{report_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {v: {} for v in MEDIA.values()}, "description": "The report file"}},
    summary="Download a report (signed PDF or workbook) of a case you may read",
    dependencies=[requires(access.CASE_READERS, action=N_("read case reports"))],
)
def download(report_id: ReportId, db: DB, actor: CurrentActor) -> FileResponse:
    return report_file_response(db, actor, report_id)


def verify_upload(db: Session, data: bytes, lang: str = i18n.DEFAULT) -> VerifyOut:
    """Check a report file; the verdict and its message in `lang`, the status a stable code."""
    result = verify_bytes(data, session=db, check_signature=signature_checker())
    v = result.verdict
    catalog = translations(lang)
    return VerifyOut(
        status=v.status,
        verdict=result.headline_in(catalog.gettext, lambda when: _day(when, lang)),
        ok=result.ok,
        message=v.message_in(catalog.gettext, catalog.ngettext),
        signer=v.signer,
        signed_at=v.signed_at,
        report_id=v.report_id,
        registered=result.registered,
        sha256=result.sha256,
    )


@router.post(
    "/verify",
    response_model=VerifyOut,
    openapi_extra={"security": []},
    summary="Verify a report file (public): valid, modified, untrusted, unsigned …",
)
async def verify(
    request: Request,
    db: DB,
    file: Annotated[
        UploadFile, File(description="the PDF report", json_schema_extra={"format": "binary"})
    ],
) -> VerifyOut:
    limit = min(MAX_VERIFY_BYTES, settings_of(request).max_upload_bytes)
    data = await read_limited(file, limit)
    return await run_in_threadpool(verify_upload, db, data, request_language(request))
