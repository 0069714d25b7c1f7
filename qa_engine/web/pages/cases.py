"""Cases: the list (the QA officers' intake queue), the case page with its history, withdraw and
resubmit, and the reviews a person may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.roles import Role
from qa_engine.services import access, case_views, reviews
from qa_engine.services import cases as case_service
from qa_engine.store import repositories as repo
from qa_engine.store import web_repo
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.pages.common import CaseId, PageUser, attempt, redirect
from qa_engine.web.templating import render

router = APIRouter()
PAGE = 50
STATES = [s.value for s in CaseState]


@router.get("/cases")
def list_cases(request: Request, db: DB, principal: PageUser, state: str = "", offset: int = 0) -> Response:
    actor = principal.actor
    offset = max(0, min(offset, 1_000_000))
    chosen = [state] if state in STATES else None
    rows, total = case_views.cases_page(session=db, actor=actor, states=chosen, offset=offset, limit=PAGE)
    counts = web_repo.case_state_counts(db) if actor.has(*access.STAFF) else None
    codes = {i.id: i.code for i in repo.list_institutions(db)}
    titles = {c.id: (repo.get_credential(db, c.credential_id).title) for c in rows}
    title = "Intake queue" if actor.has(Role.QA_OFFICER, Role.ADMIN) else "Cases"
    return render(request, "cases/list.html", title=title, rows=rows, total=total, offset=offset, page=PAGE,
                  state=state if chosen else "", states=STATES, counts=counts, codes=codes, titles=titles)


def _case_page(request: Request, db, principal, case_id: int, *, error: str = "", status_code: int = 200) -> Response:
    actor = principal.actor
    detail = case_views.case_detail(session=db, actor=actor, case_id=case_id)
    history = case_views.case_history(session=db, actor=actor, case_id=case_id)
    case = detail.case
    is_provider = access.is_provider_of(actor, case)
    officer = actor.has(Role.QA_OFFICER, Role.ADMIN)
    open_ = CaseState(case.state).open
    return render(request, "cases/view.html", status_code=status_code, title=f"Case {case.id}", d=detail, case=case,
                  history=history, is_provider=is_provider, officer=officer,
                  may_withdraw=open_ and (is_provider or officer), may_resubmit=case.state == "returned" and (is_provider or officer),
                  staff=actor.has(*access.STAFF), approver=Role.APPROVER in actor.roles, error=error)


@router.get("/cases/{case_id}")
def view(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    return _case_page(request, db, principal, case_id)


@router.post("/cases/{case_id}/withdraw")
def withdraw(case_id: CaseId, request: Request, db: DB, principal: PageUser,
             reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    _, error = attempt(db, case_service.withdraw_case, session=db, actor=principal.actor, case_id=case_id, reason=reason)
    if error is not None:
        if error.status in (403, 404):
            raise error
        return _case_page(request, db, principal, case_id, error=error.message, status_code=error.status)
    return redirect(f"/cases/{case_id}", principal, f"Case {case_id} withdrawn.")


@router.post("/cases/{case_id}/resubmit")
def resubmit(case_id: CaseId, db: DB, principal: PageUser, background: BackgroundTasks) -> Response:
    case_service.resubmit_case(session=db, actor=principal.actor, case_id=case_id)
    advance_later(background, [case_id])
    return redirect(f"/cases/{case_id}", principal, "Resubmitted: screening runs again with the newest version.")


@router.get("/cases/{case_id}/reviews")
def case_reviews(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    case, rubric = case_views.case_rubric(session=db, actor=principal.actor, case_id=case_id)
    shown = reviews.visible_reviews(session=db, actor=principal.actor, case_id=case.id)
    mine = [v for v in shown if v.mine]
    waiting_for_own = (Role.REVIEWER in principal.actor.roles and mine and mine[0].review.status != "submitted")
    return render(request, "cases/reviews.html", title=f"Reviews of case {case.id}", case=case, rubric=rubric,
                  shown=shown, waiting_for_own=waiting_for_own, is_provider=access.is_provider_of(principal.actor, case))
