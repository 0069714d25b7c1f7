"""Report downloads for those who may read the case, and the public verification page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.services import case_views
from qa_engine.services.report_files import MAX_VERIFY_BYTES
from qa_engine.web.api.reports import report_file_response, verify_upload
from qa_engine.web.auth import settings_of
from qa_engine.web.db import DB
from qa_engine.web.errors import shows_upload_form
from qa_engine.web.pages.common import PageUser, PageVisitor
from qa_engine.web.templating import catalog_for, gettext_for, render, request_language
from qa_engine.web.uploads import read_limited, safe_name

router = APIRouter()


@router.get("/reports/{report_id}/download")
def download(report_id: str, db: DB, principal: PageUser) -> Response:
    return report_file_response(db, principal.actor, report_id[:60])


@shows_upload_form("/verify", public=True)
def _verify_form(request: Request, error: str, status_code: int = 413) -> Response:
    _ = gettext_for(request)
    return render(
        request,
        "verify.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Verify a report")),
        report_id="",
        known=None,
        result=None,
        error=error,
    )


@router.get("/verify")
def verify_page(request: Request, db: DB, principal: PageVisitor, id: str = "") -> Response:
    report_id = id.strip()[:60]
    known = case_views.report_exists(session=db, report_id=report_id) if report_id else None
    _ = gettext_for(request)
    return render(
        request,
        "verify.html",
        title=gettext_for(request)(N_("Verify a report")),
        report_id=report_id,
        known=known,
        result=None,
        error="",
    )


@router.post("/verify")
async def verify(request: Request, db: DB, principal: PageVisitor) -> Response:
    form = await request.form()
    upload = form.get("file")
    _ = gettext_for(request)
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _verify_form(
            request, gettext_for(request)(N_("Choose the PDF report to check.")), status_code=422
        )
    limit = min(MAX_VERIFY_BYTES, settings_of(request).max_upload_bytes)
    try:
        data = await read_limited(upload, limit)
    except ValidationFailed as exc:
        catalog = catalog_for(request)
        message, _details = exc.in_language(catalog.gettext, catalog.ngettext)
        return _verify_form(request, message, status_code=exc.status)
    # the verdict in the visitor's language (Accept-Language: nobody is signed in here)
    result = await run_in_threadpool(verify_upload, db, data, request_language(request))
    return render(
        request,
        "verify.html",
        title=gettext_for(request)(N_("Verify a report")),
        report_id="",
        known=None,
        result=result,
        filename=safe_name(upload, "report.pdf"),
        error="",
    )
