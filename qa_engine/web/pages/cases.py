"""Cases: the list (the QA officers' intake queue), the case page with its history, withdraw,
resubmit, submit the revised credential, and the reviews a person may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_
from qa_engine.services import access, case_views, exports, reviews
from qa_engine.services import cases as case_service
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.pages.common import CaseId, PageUser, attempt, error_text, redirect
from qa_engine.web.templating import gettext_for, render

router = APIRouter()
PAGE = 50
STATES = [s.value for s in CaseState]


@router.get("/cases")
def list_cases(
    request: Request, db: DB, principal: PageUser, state: str = "", offset: int = 0
) -> Response:
    offset = max(0, min(offset, 1_000_000))
    chosen = [state] if state in STATES else None
    page = case_views.cases_page(
        session=db,
        actor=principal.actor,
        states=chosen,
        offset=offset,
        limit=PAGE,
        with_counts=True,
    )
    _ = gettext_for(request)
    return render(
        request,
        "cases/list.html",
        title=_("Intake queue") if page.intake_queue else _("Cases"),
        rows=page.rows,
        total=page.total,
        offset=offset,
        page=PAGE,
        state=state if chosen else "",
        states=STATES,
        counts=page.counts,
    )


def _case_page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    case_id: int,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    actor = principal.actor
    detail = case_views.case_detail(session=db, actor=actor, case_id=case_id)
    history = case_views.case_history(session=db, actor=actor, case_id=case_id)
    may = detail.may
    _ = gettext_for(request)
    return render(
        request,
        "cases/view.html",
        status_code=status_code,
        title=_("Case %(id)s") % {"id": detail.case.id},
        d=detail,
        case=detail.case,
        history=history,
        is_provider=may.is_provider,
        officer=may.officer,
        may_withdraw=may.may_withdraw,
        may_resubmit=may.may_resubmit,
        may_revise=may.may_revise,
        staff=may.staff,
        approver=may.approver,
        exports=exports.export_lines(session=db, actor=actor, case=detail.case),
        error=error,
    )


@router.get("/cases/{case_id}")
def view(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    return _case_page(request, db, principal, case_id)


@router.post(
    "/cases/{case_id}/withdraw",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("withdraw cases"))],
)
def withdraw(
    case_id: CaseId,
    request: Request,
    db: DB,
    principal: PageUser,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    error = attempt(
        db,
        case_service.withdraw_case,
        session=db,
        actor=principal.actor,
        case_id=case_id,
        reason=reason,
    )
    if isinstance(error, QAError):
        if error.status in (403, 404):
            raise error
        return _case_page(
            request,
            db,
            principal,
            case_id,
            error=error_text(request, error),
            status_code=error.status,
        )
    _ = gettext_for(request)
    return redirect(f"/cases/{case_id}", principal, _("Case %(id)s withdrawn.") % {"id": case_id})


@router.post(
    "/cases/{case_id}/resubmit",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("resubmit cases"))],
)
def resubmit(
    case_id: CaseId, request: Request, db: DB, principal: PageUser, background: BackgroundTasks
) -> Response:
    case_service.resubmit_case(session=db, actor=principal.actor, case_id=case_id)
    advance_later(background, [case_id])
    _ = gettext_for(request)
    return redirect(
        f"/cases/{case_id}",
        principal,
        _("Resubmitted: screening runs again with the newest version."),
    )


@router.post(
    "/cases/{case_id}/revision",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("submit revised credentials"))],
)
def revision(
    case_id: CaseId,
    request: Request,
    db: DB,
    principal: PageUser,
    credential_version: Annotated[int | None, Form(ge=1, le=1_000_000)] = None,
    expected_version: Annotated[int | None, Form(ge=1, le=2_000_000_000)] = None,
) -> Response:
    """Submit a stored version of the credential (the one the page showed) into the new round."""
    outcome = attempt(
        db,
        case_service.submit_revision,
        session=db,
        actor=principal.actor,
        case_id=case_id,
        number=credential_version,
        expected_version=expected_version,
    )
    if isinstance(outcome, QAError):
        if outcome.status == 403 or outcome.message == f"case {case_id} not found":
            raise outcome
        message = error_text(request, outcome, with_details=True)
        return _case_page(
            request, db, principal, case_id, error=message, status_code=outcome.status
        )
    _ = gettext_for(request)
    return redirect(
        f"/cases/{case_id}",
        principal,
        _("The new round now reviews version %(number)s of the credential.")
        % {"number": outcome.number},
    )


@router.get("/cases/{case_id}/reviews")
def case_reviews(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    view = reviews.case_reviews(session=db, actor=principal.actor, case_id=case_id)
    _ = gettext_for(request)
    return render(
        request,
        "cases/reviews.html",
        title=_("Reviews of case %(id)s") % {"id": view.case.id},
        case=view.case,
        rubric=view.rubric,
        shown=view.shown,
        waiting_for_own=view.waiting_for_own,
        is_provider=view.is_provider,
    )
