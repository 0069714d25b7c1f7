"""QA officer pages: the assignment page of a case (the engine's proposals and why, blocked
reviewers and the hard rules they break, load, deadlines, remind, reassign) and batch assignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from qa_engine.domain.errors import QAError
from qa_engine.domain.i18n import N_, Nn_
from qa_engine.services import access, assignments, case_views
from qa_engine.services.dashboard import cases_needing_reviewers, reviewer_load
from qa_engine.web.auth import SignedInPrincipal, requires
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.forms import form_int
from qa_engine.web.pages.common import (
    AssignmentId,
    CaseId,
    PageUser,
    attempt,
    error_text,
    redirect,
)
from qa_engine.web.templating import catalog_for, gettext_for, render

router = APIRouter()


def _page(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    case_id: int,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    actor = principal.actor
    plan, ranked = assignments.propose(session=db, actor=actor, case_id=case_id)
    detail = case_views.case_detail(session=db, actor=actor, case_id=case_id)
    load = {r.user_id: r for r in reviewer_load(session=db, actor=actor)}
    proposed = {p.reviewer_id for p in plan.proposals}
    _ = gettext_for(request)
    return render(
        request,
        "cases/assignment.html",
        status_code=status_code,
        title=_("Assign reviewers, case %(id)s") % {"id": case_id},
        d=detail,
        case=detail.case,
        plan=plan,
        ranked=ranked,
        proposed=proposed,
        load=load,
        error=error,
        open_statuses=assignments.OPEN_STATUSES,
    )


@router.get("/cases/{case_id}/assignment")
def assignment_page(case_id: CaseId, request: Request, db: DB, principal: PageUser) -> Response:
    return _page(request, db, principal, case_id)


@router.post(
    "/cases/{case_id}/assignment",
    dependencies=[requires(access.OFFICERS, action=N_("assign reviewers"))],
)
def assign(
    case_id: CaseId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
    reviewer_id: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies it per request
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ids = [i for i in (form_int(v) for v in reviewer_id) if i is not None]
    created = attempt(
        db,
        assignments.assign,
        session=db,
        actor=principal.actor,
        case_id=case_id,
        reviewer_ids=ids,
        reason=reason or "chosen by the QA office",
    )
    if isinstance(created, QAError):
        error = created
        if error.status in (403, 404):
            raise error
        return _page(
            request,
            db,
            principal,
            case_id,
            error=error_text(request, error),
            status_code=error.status,
        )
    advance_later(background, [case_id])
    catalog = catalog_for(request)
    invited = Nn_("%(num)s reviewer invited.", "%(num)s reviewers invited.", len(created))
    return redirect(
        f"/cases/{case_id}/assignment",
        principal,
        invited.render(catalog.gettext, catalog.ngettext),
    )


@router.post(
    "/assignments/{assignment_id}/remind",
    dependencies=[requires(access.OFFICERS, action=N_("send reminders"))],
)
def remind(
    assignment_id: AssignmentId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
) -> Response:
    asg = assignments.remind(session=db, actor=principal.actor, assignment_id=assignment_id)
    advance_later(background, [asg.case_id])
    _ = gettext_for(request)
    return redirect(f"/cases/{asg.case_id}/assignment", principal, _("Reminder sent."))


@router.post(
    "/assignments/{assignment_id}/reassign",
    dependencies=[requires(access.OFFICERS, action=N_("reassign reviews"))],
)
def reassign(
    assignment_id: AssignmentId,
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
    reviewer_id: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    new = attempt(
        db,
        assignments.reassign,
        session=db,
        actor=principal.actor,
        assignment_id=assignment_id,
        new_reviewer_id=form_int(reviewer_id),
        why=reason[:2000],
    )
    if isinstance(new, QAError):
        error = new
        if error.status in (403, 404):
            raise error
        case_id = assignments.case_of_assignment(
            session=db, actor=principal.actor, assignment_id=assignment_id
        )
        return _page(
            request,
            db,
            principal,
            case_id,
            error=error_text(request, error),
            status_code=error.status,
        )
    advance_later(background, [new.case_id])
    _ = gettext_for(request)
    return redirect(
        f"/cases/{new.case_id}/assignment",
        principal,
        _("Reviewer replaced; the new one is invited."),
    )


@router.get("/assign")
def batch_page(request: Request, db: DB, principal: PageUser) -> Response:
    return _batch(request, db, principal)


def _batch(
    request: Request,
    db: Session,
    principal: SignedInPrincipal,
    error: str = "",
    status_code: int = 200,
) -> Response:
    actor = principal.actor
    rows = cases_needing_reviewers(session=db, actor=actor)
    return render(
        request,
        "assignments/batch.html",
        status_code=status_code,
        title=catalog_for(request).gettext("Assign reviewers"),
        rows=rows,
        load=reviewer_load(session=db, actor=actor),
        error=error,
    )


@router.post("/assign", dependencies=[requires(access.OFFICERS, action=N_("assign reviewers"))])
def batch_assign(
    request: Request,
    db: DB,
    principal: PageUser,
    background: BackgroundTasks,
    case_id: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies it per request
) -> Response:
    ids = [i for i in (form_int(v) for v in case_id) if i is not None]
    catalog = catalog_for(request)
    _ = catalog.gettext
    if not ids:  # the batch page itself is the QA office's: anyone else is refused there
        return _batch(request, db, principal, error=_("Select at least one case."), status_code=422)
    plans = attempt(db, assignments.auto_assign, session=db, actor=principal.actor, case_ids=ids)
    if isinstance(plans, QAError):
        error = plans
        if error.status in (403, 404):
            raise error
        return _batch(
            request, db, principal, error=error_text(request, error), status_code=error.status
        )
    advance_later(background, plans.keys())
    invited = sum(len(p.proposals) for p in plans.values())
    short = [
        _("case %(id)s: %(note)s") % {"id": cid, "note": p.note}
        for cid, p in plans.items()
        if p.shortfall
    ]
    sent = catalog.ngettext("%(num)s invitation sent", "%(num)s invitations sent", invited) % {
        "num": invited
    }
    text = catalog.ngettext(
        "%(invitations)s for %(num)s case.", "%(invitations)s for %(num)s cases.", len(plans)
    ) % {"invitations": sent, "num": len(plans)}
    return redirect("/assign", principal, text + (" " + "; ".join(short) if short else ""))
