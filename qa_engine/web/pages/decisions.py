"""The approver's page: the consolidated view (scores side by side, spread, agreement, gates, the
recommendation) and the decision form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from qa_engine.domain.errors import QAError, StaleUpdate
from qa_engine.domain.i18n import N_
from qa_engine.domain.outcomes import Outcome
from qa_engine.services import access, case_views, decisions
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.forms import form_int
from qa_engine.web.pages.common import CaseId, PageUser, attempt, error_text, redirect
from qa_engine.web.templating import gettext_for, outcome_name, render

router = APIRouter()


def _page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    case_id: int,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    view = case_views.consolidated_view(session=db, actor=principal.actor, case_id=case_id)
    stats = {s.criterion_id: s for s in view.result.criteria}
    scored = {c.criterion_id: c for c in view.result.breakdown.criteria}
    detail = case_views.case_detail(session=db, actor=principal.actor, case_id=case_id)
    _ = gettext_for(request)
    return render(
        request,
        "cases/decision.html",
        status_code=status_code,
        title=_("Decision, case %(id)s") % {"id": case_id},
        v=view,
        d=detail,
        case=view.case,
        stats=stats,
        scored=scored,
        outcomes=list(Outcome),
        form=form or {"outcome": "", "rationale": "", "conditions": ""},
        error=error,
        may_decide=view.may_decide,
    )


@router.get("/cases/{case_id}/decision")
def decision_page(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    return _page(request, db, principal, case_id)


@router.post(
    "/cases/{case_id}/decision",
    dependencies=[requires(access.APPROVERS, action=N_("decide on cases"))],
)
def decide(
    case_id: CaseId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
    outcome: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=20000)] = "",
    conditions: Annotated[str, Form(max_length=20000)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    lines = [c.strip() for c in conditions.splitlines() if c.strip()]
    decision = attempt(
        db,
        decisions.decide,
        session=db,
        actor=principal.actor,
        case_id=case_id,
        outcome=outcome,
        rationale=rationale,
        conditions=lines,
        # the case version of the page the approver read; none sent is never the stored one
        expected_version=form_int(version) or 0,
    )
    if isinstance(decision, QAError):
        error = decision
        if error.status in (403, 404):
            raise error
        _ = gettext_for(request)
        message = error_text(request, error)
        if isinstance(error, StaleUpdate):
            message = _(
                "%(refusal)s. The page now shows the case as it is; your decision is still in the "
                "form: read it again and record it to decide on the case as it is now."
            ) % {"refusal": message}
        return _page(
            request,
            db,
            principal,
            case_id,
            error=message,
            status_code=error.status,
            form={"outcome": outcome, "rationale": rationale, "conditions": conditions},
        )
    advance_later(background, [case_id])
    _ = gettext_for(request)
    return redirect(
        f"/cases/{case_id}",
        principal,
        _("Decided: %(outcome)s. The signed report is being generated.")
        % {"outcome": outcome_name(decision.outcome, _)},
    )
