"""Reviewer pages: invitations (accept; decline with a reason and a conflict declaration), the
review form generated from the rubric, the offline review sheet (download, upload)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from qa_engine.adapters import translations as tr
from qa_engine.adapters.review_sheet import ReviewSheetInvalid
from qa_engine.domain.errors import QAError, StaleUpdate, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import access, assignments, case_views, reviews
from qa_engine.store.db import read_only_session
from qa_engine.web.auth import SignedInPrincipal, requires, settings_of
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.errors import shows_upload_form
from qa_engine.web.forms import (
    DraftDifference,
    criterion_views,
    draft_differences,
    entries_from_form,
    form_int,
    form_text,
    needs_attention,
    problems_by_criterion,
    said,
)
from qa_engine.web.pages.common import AssignmentId, PageUser, attempt, error_text, redirect
from qa_engine.web.review_sheets import review_sheet_file, save_review_sheet
from qa_engine.web.templating import catalog_for, render, request_language
from qa_engine.web.uploads import read_limited, safe_name

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# the outcomes in words, as the review form offers them for the recommendation
OUTCOME_NAMES = {
    Outcome.APPROVED: N_("Approved"),
    Outcome.APPROVED_WITH_CONDITIONS: N_("Approved with conditions"),
    Outcome.REVISION_REQUESTED: N_("Revision requested"),
    Outcome.REJECTED: N_("Rejected"),
}


def _outcome_namer(request: Request) -> Callable[[str], str]:
    gettext = catalog_for(request).gettext

    def name(outcome: str) -> str:
        try:
            return gettext(OUTCOME_NAMES[Outcome(outcome)])
        except ValueError:
            return str(outcome).replace("_", " ")

    return name


@router.get("/invitations")
def invitations(request: Request, db: DB, principal: PageUser) -> Response:
    rows = case_views.my_assignments(session=db, actor=principal.actor)
    return render(
        request,
        "assignments/invitations.html",
        title=catalog_for(request).gettext("Invitations and reviews"),
        invited=[r for r in rows if r[0].status == AssignmentStatus.INVITED],
        accepted=[r for r in rows if r[0].status == AssignmentStatus.ACCEPTED],
        submitted=[r for r in rows if r[0].status == AssignmentStatus.SUBMITTED],
        error="",
    )


@router.post(
    "/assignments/{assignment_id}/respond",
    dependencies=[requires(access.REVIEWERS, action=N_("answer invitations to review"))],
)
def respond(
    assignment_id: AssignmentId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
    answer: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    conflict: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    accept = answer == "accept"
    asg = attempt(
        db,
        assignments.respond,
        session=db,
        actor=principal.actor,
        assignment_id=assignment_id,
        accept=accept,
        conflict=conflict == "yes",
        reason=reason,
    )
    if isinstance(asg, QAError):
        error = asg
        if error.status in (403, 404):
            raise error
        rows = case_views.my_assignments(session=db, actor=principal.actor)
        return render(
            request,
            "assignments/invitations.html",
            status_code=error.status,
            title=catalog_for(request).gettext("Invitations and reviews"),
            invited=[r for r in rows if r[0].status == AssignmentStatus.INVITED],
            accepted=[r for r in rows if r[0].status == AssignmentStatus.ACCEPTED],
            submitted=[r for r in rows if r[0].status == AssignmentStatus.SUBMITTED],
            error=error_text(request, error),
            error_for=assignment_id,
            reason=reason,
        )
    _ = catalog_for(request).gettext
    if accept:
        lang = request_language(request)
        due = tr.format_date(asg.due_at.date(), lang) if asg.due_at else "—"
        return redirect(
            f"/assignments/{asg.id}/review",
            principal,
            _("Thank you: you review case %(id)s, due %(day)s.") % {"id": asg.case_id, "day": due},
        )
    advance_later(background, [asg.case_id])
    return redirect(
        "/invitations",
        principal,
        _("Invitation declined. Your conflict of interest is recorded.")
        if conflict == "yes"
        else _("Invitation declined."),
    )


class _Entered(TypedDict):
    """What a refused review form sent, shown again as it was."""

    values: dict[str, dict[str, Any]]
    recommendation: str
    overall_comment: str
    version: int


def _page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    assignment_id: int,
    *,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    recommendation: str | None = None,
    overall_comment: str | None = None,
    errors: Mapping[str, str] | None = None,
    general: list[str] | None = None,
    version: int | None = None,
    sheet_problems: list[tuple[str, str]] | None = None,
    stale: bool = False,
    status_code: int = 200,
) -> Response:
    """The review form; with `values`, what the person sent (shown again as it was); with `stale`,
    beside the stored draft, the form then carrying the stored version ("keep mine")."""
    form = case_views.review_form(session=db, actor=principal.actor, assignment_id=assignment_id)
    mine, sa = form.mine, form.self_assessment
    review = mine.review
    scores = (review.scores or {}) if review else {}
    comments = (review.comments or {}) if review else {}
    stored = {
        cid: {"score": scores.get(cid), "comment": comments.get(cid, "")}
        for cid in {**scores, **comments}
    }
    stored_rec = (review.recommendation if review else None) or ""
    stored_overall = review.overall_comment if review else ""
    if values is None:
        values = stored
        recommendation = stored_rec
        overall_comment = stored_overall
        version = review.version if review else 0
    lang = request_language(request)
    _ = catalog_for(request).gettext
    outcome_name = _outcome_namer(request)
    criteria = criterion_views(mine.rubric, values, text_key="comment", errors=errors, lang=lang)
    conflict: list[DraftDifference] | None = None
    if stale:
        version = review.version if review else 0
        conflict = draft_differences(
            criteria,
            criterion_views(mine.rubric, stored, text_key="comment", lang=lang),
            [
                (
                    _("Overall recommendation"),
                    outcome_name(recommendation) if recommendation else "",
                    outcome_name(stored_rec) if stored_rec else "",
                ),
                (_("Overall comment"), overall_comment or "", stored_overall),
            ],
        )
    for cv in criteria:
        cv.context = (sa.entries or {}).get(cv.id, {}) if sa else {}
    return render(
        request,
        "assignments/review.html",
        status_code=status_code,
        title=_("Review of case %(id)s") % {"id": mine.case.id},
        mine=mine,
        criteria=criteria,
        sa=sa,
        recommendation=recommendation or "",
        overall_comment=overall_comment or "",
        version=version or 0,
        conflict=conflict,
        outcomes=list(Outcome),
        outcome_name=outcome_name,
        editable=mine.editable,
        general=general or [],
        sheet_problems=sheet_problems or [],
        credential=mine.credential.data,
    )


@router.get("/assignments/{assignment_id}/review")
def review_form(
    assignment_id: AssignmentId, request: Request, db: DB, principal: PageUser
) -> Response:
    return _page(request, db, principal, assignment_id)


@router.post(
    "/assignments/{assignment_id}/review",
    dependencies=[requires(access.REVIEWERS, action=N_("write reviews"))],
)
async def save_review(
    assignment_id: AssignmentId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
) -> Response:
    data = await request.form()
    return await run_in_threadpool(_save, assignment_id, request, db, principal, background, data)


def _save(
    assignment_id: int,
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    background: BackgroundTasks,
    data: FormData,
) -> Response:
    submit = data.get("action") == "submit"
    _ = catalog_for(request).gettext
    entries, problems = entries_from_form(data, text_key="comment", with_evidence=False, gettext=_)
    rec = form_text(data.get("recommendation"))
    overall = form_text(data.get("overall_comment"))
    version = form_int(data.get("version")) or 0  # no version: the page saw no draft
    keep = _Entered(values=entries, recommendation=rec, overall_comment=overall, version=version)
    if problems:
        return _page(
            request,
            db,
            principal,
            assignment_id,
            errors=problems,
            status_code=422,
            general=[_("Some scores could not be read; see the marked criteria.")],
            **keep,
        )
    review = attempt(
        db,
        reviews.save_review,
        session=db,
        actor=principal.actor,
        assignment_id=assignment_id,
        entries=entries,
        recommendation=rec or None,
        overall_comment=overall,
        submit=submit,
        expected_version=version,
    )
    if isinstance(review, QAError):
        error = review
        if error.status in (403, 404):
            raise error
        catalog = catalog_for(request)
        by, general = problems_by_criterion(error, catalog.gettext, catalog.ngettext)
        if by:
            general = [needs_attention(catalog, len(by), submit=submit)]
        return _page(
            request,
            db,
            principal,
            assignment_id,
            errors=by,
            general=[] if isinstance(error, StaleUpdate) else general,
            stale=isinstance(error, StaleUpdate),
            status_code=error.status,
            **keep,
        )
    if submit:
        advance_later(background, [review.case_id])
        return redirect(
            f"/cases/{review.case_id}/reviews",
            principal,
            _("Review submitted. You can now read the other submitted reviews of this case."),
        )
    return redirect(f"/assignments/{assignment_id}/review", principal, _("Draft saved."))


@router.get("/assignments/{assignment_id}/review-sheet")
def download_sheet(
    assignment_id: AssignmentId, request: Request, db: DB, principal: PageUser
) -> Response:
    data, name = review_sheet_file(db, principal.actor, assignment_id, request_language(request))
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@shows_upload_form("/assignments/{assignment_id}/review-sheet")
def _sheet_too_large(request: Request, message: str) -> Response:
    with read_only_session() as db:
        return _page(
            request,
            db,
            SignedInPrincipal.of(request.state.principal, "sign in first"),
            int(request.path_params["assignment_id"]),
            sheet_problems=[("", message)],
            status_code=413,
        )


@router.post(
    "/assignments/{assignment_id}/review-sheet",
    dependencies=[requires(access.REVIEWERS, action=N_("write reviews"))],
)
async def upload_sheet(
    assignment_id: AssignmentId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
) -> Response:
    settings = settings_of(request)
    form = await request.form()
    upload = form.get("file")
    submit = form.get("action") == "submit"
    # whose review this is (a 404 for anyone else) comes first, then what was sent
    mine = await run_in_threadpool(
        case_views.my_review, session=db, actor=principal.actor, assignment_id=assignment_id
    )
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await run_in_threadpool(
            _page,
            request,
            db,
            principal,
            assignment_id,
            sheet_problems=[
                (
                    "",
                    catalog_for(request).gettext(
                        "Choose the filled-in review sheet (.xlsx) to upload."
                    ),
                )
            ],
            status_code=422,
        )
    try:
        data = await read_limited(upload, settings.max_upload_bytes)
    except ValidationFailed as exc:
        return await run_in_threadpool(
            _page,
            request,
            db,
            principal,
            assignment_id,
            sheet_problems=[("", error_text(request, exc))],
            status_code=exc.status,
        )
    review = await run_in_threadpool(
        attempt,
        db,
        save_review_sheet,
        db,
        principal.actor,
        mine,
        data,
        safe_name(upload, "review.xlsx"),
        submit=submit,
        settings=settings,
    )
    if isinstance(review, QAError):
        error = review
        if error.status in (403, 404):
            raise error
        catalog = catalog_for(request)
        if isinstance(error, ReviewSheetInvalid):
            problems = [
                (p.where, said(p.message, catalog.gettext, catalog.ngettext))
                for p in error.problems
            ]
        else:
            message, details = error.in_language(catalog.gettext, catalog.ngettext)
            problems = [("", m) for m in (message, *details)]
        return await run_in_threadpool(
            _page,
            request,
            db,
            principal,
            assignment_id,
            sheet_problems=problems,
            status_code=error.status,
        )
    _ = catalog_for(request).gettext
    if submit:
        advance_later(background, [review.case_id])
        return redirect(
            f"/cases/{review.case_id}/reviews", principal, _("Review sheet read and submitted.")
        )
    return redirect(
        f"/assignments/{assignment_id}/review",
        principal,
        _("Review sheet read and saved as your draft; check it below, then submit."),
    )
