"""The public, sealed record of a decision, for anyone (no sign-in): the page, the same as JSON with
its JWS seal (`Accept: application/json`) or the JWS alone (`Accept: application/jose`), and the
decision's public files: the signed PDF report and the interop exports. An unknown id, or a decision
whose signed report is not generated yet, is the same 404 as any missing page."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from qa_engine.adapters.export_files import (
    MEDIA,
    file_name,
    record_document,
    seal_record,
    sealed_record,
)
from qa_engine.domain.errors import NotFound
from qa_engine.domain.i18n import N_
from qa_engine.services import exports
from qa_engine.services.context import now
from qa_engine.services.reporting import EXPORT_KINDS
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageVisitor
from qa_engine.web.templating import gettext_for, render

router = APIRouter()

DecisionId = Annotated[str, Path(max_length=60)]
HTML, JSON, JOSE = "text/html", "application/json", "application/jose"


def preferred(accept: str) -> str:
    """The representation the Accept header prefers: the page, the sealed JSON or the JWS alone."""
    best, best_q = HTML, 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        wanted = {JSON: JSON, JOSE: JOSE, HTML: HTML, "application/xhtml+xml": HTML}.get(media)
        if wanted and q > best_q:
            best, best_q = wanted, q
    return best


def _document(public: exports.PublicDecision) -> dict[str, object]:
    record = public.record
    files = {
        f.kind: (record.report_url if f.kind == "pdf" else f"{record.page_url}/{f.kind}", f.sha256)
        for f in public.files
    }
    return record_document(record, files)


@router.get("/decisions/{report_id}")
def decision_record(
    report_id: DecisionId, request: Request, db: DB, principal: PageVisitor
) -> Response:
    public = exports.public_decision(session=db, report_id=report_id)
    want = preferred(request.headers.get("accept", ""))
    headers = {"Vary": "Accept", "Cache-Control": "no-store"}
    if want == JSON:
        body = sealed_record(_document(public), at=now())
        return Response(
            json.dumps(body, ensure_ascii=False, indent=2),
            media_type="application/json",
            headers=headers,
        )
    if want == JOSE:
        return Response(seal_record(_document(public), at=now()), media_type=JOSE, headers=headers)
    response = render(
        request,
        "decision_record.html",
        title=gettext_for(request)(N_("Decision %(id)s")) % {"id": public.record.report_id},
        r=public.record,
        files=public.files,
        names=exports.KIND_NAMES,
    )
    response.headers["Vary"] = "Accept"
    return response


def _file(db: DB, report_id: str, kind: str) -> FileResponse:
    found = exports.public_file(session=db, report_id=report_id, kind=kind)
    if not found.path.is_file():
        raise NotFound(
            N_("the file %(id)s is missing on the server; ask the QA office"), id=found.report_id
        )
    return FileResponse(
        found.path,
        media_type=MEDIA[kind],
        filename=file_name(found.report_id, kind),
        headers={"Cache-Control": "no-store"},
    )


@router.get("/decisions/{report_id}/report.pdf")
def decision_report(report_id: DecisionId, db: DB, principal: PageVisitor) -> FileResponse:
    return _file(db, report_id, "pdf")


@router.get("/decisions/{report_id}/{kind}")
def decision_export(
    report_id: DecisionId, kind: Annotated[str, Path(max_length=8)], db: DB, principal: PageVisitor
) -> FileResponse:
    if kind not in EXPORT_KINDS:
        raise NotFound(N_("decision %(id)s has no %(kind)s file"), id=report_id, kind=kind)
    return _file(db, report_id, kind)
