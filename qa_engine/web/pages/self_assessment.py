"""The provider's self-assessment, generated from the rubric: guidance and scale descriptors shown,
save a draft, submit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from qa_engine.domain.errors import QAError, StaleUpdate
from qa_engine.domain.i18n import N_
from qa_engine.services import access, case_views, self_assessments
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.forms import (
    DraftDifference,
    criterion_views,
    draft_differences,
    entries_from_form,
    form_int,
    form_text,
    needs_attention,
    problems_by_criterion,
)
from qa_engine.web.pages.common import CaseId, PageUser, attempt, redirect
from qa_engine.web.templating import catalog_for, render, request_language

router = APIRouter()


def _page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    case_id: int,
    *,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    summary: str | None = None,
    errors: Mapping[str, str] | None = None,
    general: list[str] | None = None,
    version: int | None = None,
    stale: bool = False,
    status_code: int = 200,
) -> Response:
    """The self-assessment form; with `values`, what the person sent (shown again as it was); with
    `stale`, beside the stored draft, the form then carrying the stored version ("keep mine")."""
    actor = principal.actor
    view = self_assessments.self_assessment_view(session=db, actor=actor, case_id=case_id)
    sa = view.self_assessment
    stored = dict(sa.entries or {}) if sa else {}
    stored_summary = sa.summary if sa else ""
    if values is None:
        values = stored
        summary = stored_summary
        version = sa.version if sa else 0
    lang = request_language(request)
    _ = catalog_for(request).gettext
    criteria = criterion_views(view.rubric, values, text_key="narrative", errors=errors, lang=lang)
    conflict: list[DraftDifference] | None = None
    if stale:
        version = sa.version if sa else 0
        conflict = draft_differences(
            criteria,
            criterion_views(view.rubric, stored, text_key="narrative", lang=lang),
            [(_("Summary"), summary or "", stored_summary)],
        )
    detail = case_views.case_detail(session=db, actor=actor, case_id=case_id)
    return render(
        request,
        "cases/self_assessment.html",
        status_code=status_code,
        title=_("Self-assessment, case %(id)s") % {"id": view.case.id},
        case=view.case,
        d=detail,
        rubric=view.rubric,
        sa=sa,
        criteria=criteria,
        summary=summary or "",
        version=version or 0,
        conflict=conflict,
        editable=view.editable,
        general=general or [],
    )


@router.get("/cases/{case_id}/self-assessment")
def form(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    return _page(request, db, principal, case_id)


@router.post(
    "/cases/{case_id}/self-assessment",
    dependencies=[requires(access.SELF_ASSESSMENT_WRITERS, action=N_("write self-assessments"))],
)
async def save(
    case_id: CaseId, request: Request, db: DB, principal: PageUser, background: BackgroundTasks
) -> Response:
    data = await request.form()
    return await run_in_threadpool(_save, case_id, request, db, principal, background, data)


def _save(
    case_id: int,
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    background: BackgroundTasks,
    data: FormData,
) -> Response:
    submit = data.get("action") == "submit"
    catalog = catalog_for(request)
    _ = catalog.gettext
    entries, problems = entries_from_form(data, text_key="narrative", with_evidence=True, gettext=_)
    summary = form_text(data.get("summary"))
    version = form_int(data.get("version")) or 0  # no version: the page saw no draft
    if problems:
        return _page(
            request,
            db,
            principal,
            case_id,
            values=entries,
            summary=summary,
            errors=problems,
            version=version,
            general=[_("Some scores could not be read; see the marked criteria.")],
            status_code=422,
        )
    error = attempt(
        db,
        self_assessments.save_self_assessment,
        session=db,
        actor=principal.actor,
        case_id=case_id,
        entries=entries,
        summary=summary,
        submit=submit,
        expected_version=version,
    )
    if isinstance(error, QAError):
        if error.status in (403, 404):
            raise error
        by, general = problems_by_criterion(error, catalog.gettext, catalog.ngettext)
        if by:
            general = [needs_attention(catalog, len(by), submit=submit)]
        return _page(
            request,
            db,
            principal,
            case_id,
            values=entries,
            summary=summary,
            errors=by,
            general=[] if isinstance(error, StaleUpdate) else general,
            version=version,
            stale=isinstance(error, StaleUpdate),
            status_code=error.status,
        )
    if submit:
        advance_later(background, [case_id])
        return redirect(
            f"/cases/{case_id}",
            principal,
            _("Self-assessment submitted. The QA office now assigns reviewers."),
        )
    return redirect(f"/cases/{case_id}/self-assessment", principal, _("Draft saved."))
