"""Reviewer assignment (proposals, assign, batch auto-assign, answer, reassign, remind) and reviews
(draft, submit, the visible reviews of a case, the offline review sheet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from fastapi.responses import Response as RawResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from qa_engine.domain.assignment import Proposal
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor
from qa_engine.services import access, assignments, case_views, reviews
from qa_engine.web.api.common import AssignmentId, CaseId, draft_version, etag, review_out
from qa_engine.web.api.schemas import (
    ERRORS,
    AssignIn,
    AssignmentOut,
    AutoAssignIn,
    AutoAssignOut,
    BlockedOut,
    MyAssignmentOut,
    MyAssignmentsOut,
    PlanOut,
    ProposalOut,
    ProposalsOut,
    ReassignIn,
    RespondIn,
    ReviewIn,
    ReviewOut,
    VisibleReviewOut,
    VisibleReviewsOut,
)
from qa_engine.web.auth import CurrentActor, requires, settings_of
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB
from qa_engine.web.review_sheets import review_sheet_file, save_review_sheet
from qa_engine.web.uploads import read_limited, safe_name

READS_CASES = requires(access.CASE_READERS, action=N_("read cases"))
OFFICE = requires(access.OFFICERS, action=N_("assign reviewers"))
REVIEWS = requires(access.REVIEWERS, action=N_("write reviews"))
router = APIRouter(prefix="/api/v1", tags=["assignments and reviews"], responses=ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _proposal(p: Proposal) -> ProposalOut:
    return ProposalOut(
        reviewer_id=p.reviewer_id, name=p.name, score=round(p.score, 3), reasons=list(p.reasons)
    )


@router.get(
    "/cases/{case_id}/proposals",
    response_model=ProposalsOut,
    summary=(
        "The engine's proposed reviewers with reasons, every eligible one, and who is blocked "
        "and why"
    ),
    dependencies=[requires(access.OFFICERS, action=N_("see reviewer proposals"))],
)
def proposals(case_id: CaseId, db: DB, actor: CurrentActor) -> ProposalsOut:
    plan, ranked = assignments.propose(session=db, actor=actor, case_id=case_id)
    return ProposalsOut(
        case_id=case_id,
        needed=plan.needed,
        shortfall=plan.shortfall,
        note=plan.note,
        proposals=[_proposal(p) for p in plan.proposals],
        eligible=[_proposal(p) for p in ranked],
        blocked=[
            BlockedOut(reviewer_id=b.reviewer_id, name=b.name, reasons=list(b.reasons))
            for b in plan.blocked
        ],
    )


@router.post(
    "/cases/{case_id}/assignments",
    response_model=list[AssignmentOut],
    status_code=201,
    summary="Invite reviewers to a case (every hard rule is checked again)",
    dependencies=[OFFICE],
)
def assign(
    case_id: CaseId, body: AssignIn, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> list[AssignmentOut]:
    created = assignments.assign(
        session=db,
        actor=actor,
        case_id=case_id,
        reviewer_ids=body.reviewer_ids,
        reason=body.reason or "chosen by the QA office",
    )
    advance_later(background, [case_id])
    return [AssignmentOut.model_validate(a) for a in created]


@router.post(
    "/assignments/auto",
    response_model=AutoAssignOut,
    summary="Assign the engine's proposals to many cases at once (one optimisation)",
    dependencies=[OFFICE],
)
def auto_assign(
    body: AutoAssignIn, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> AutoAssignOut:
    plans = assignments.auto_assign(session=db, actor=actor, case_ids=body.case_ids)
    advance_later(background, plans.keys())
    return AutoAssignOut(
        plans=[
            PlanOut(
                case_id=cid,
                invited=[_proposal(p) for p in plan.proposals],
                shortfall=plan.shortfall,
                note=plan.note,
            )
            for cid, plan in sorted(plans.items())
        ]
    )


@router.get(
    "/assignments",
    response_model=MyAssignmentsOut,
    summary="Your invitations and reviews (reviewers)",
    dependencies=[requires(access.REVIEWERS, action=N_("have review assignments"))],
)
def my_assignments(db: DB, actor: CurrentActor) -> MyAssignmentsOut:
    rows = case_views.my_assignments(session=db, actor=actor)
    return MyAssignmentsOut(
        items=[
            MyAssignmentOut(
                **AssignmentOut.model_validate(a).model_dump(),
                credential_title=title,
                case_state=c.state,
            )
            for a, c, title in rows
        ]
    )


@router.post(
    "/assignments/{assignment_id}/respond",
    response_model=AssignmentOut,
    summary=(
        "Accept an invitation, or decline it with a reason (and a declared conflict if there is "
        "one)"
    ),
    dependencies=[requires(access.REVIEWERS, action=N_("answer invitations to review"))],
)
def respond(
    assignment_id: AssignmentId,
    body: RespondIn,
    db: DB,
    actor: CurrentActor,
    background: BackgroundTasks,
) -> AssignmentOut:
    asg = assignments.respond(
        session=db,
        actor=actor,
        assignment_id=assignment_id,
        accept=body.accept,
        conflict=body.conflict,
        reason=body.reason,
    )
    if not body.accept:
        advance_later(background, [asg.case_id])
    return AssignmentOut.model_validate(asg)


@router.post(
    "/assignments/{assignment_id}/reassign",
    response_model=AssignmentOut,
    summary="Replace a reviewer who has not submitted (QA officers)",
    dependencies=[requires(access.OFFICERS, action=N_("reassign reviews"))],
)
def reassign(
    assignment_id: AssignmentId,
    body: ReassignIn,
    db: DB,
    actor: CurrentActor,
    background: BackgroundTasks,
) -> AssignmentOut:
    new = assignments.reassign(
        session=db,
        actor=actor,
        assignment_id=assignment_id,
        new_reviewer_id=body.reviewer_id,
        why=body.reason,
    )
    advance_later(background, [new.case_id])
    return AssignmentOut.model_validate(new)


@router.post(
    "/assignments/{assignment_id}/remind",
    response_model=AssignmentOut,
    summary="Send the reviewer a reminder now (QA officers)",
    dependencies=[requires(access.OFFICERS, action=N_("send reminders"))],
)
def remind(
    assignment_id: AssignmentId, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> AssignmentOut:
    asg = assignments.remind(session=db, actor=actor, assignment_id=assignment_id)
    advance_later(background, [asg.case_id])  # delivers the reminder
    return AssignmentOut.model_validate(asg)


# --------------------------------------------------------------------------- reviews


@router.get(
    "/cases/{case_id}/reviews",
    response_model=VisibleReviewsOut,
    summary="The reviews you may read (a reviewer sees the others only after submitting their own)",
    dependencies=[READS_CASES],
)
def visible(case_id: CaseId, db: DB, actor: CurrentActor) -> VisibleReviewsOut:
    view = reviews.case_reviews(session=db, actor=actor, case_id=case_id)
    return VisibleReviewsOut(
        case_id=view.case.id,
        round=view.case.round,
        items=[
            VisibleReviewOut(
                label=v.label,
                reviewer=v.reviewer_name,
                mine=v.mine,
                status=v.review.status,
                scores={k: int(s) for k, s in (v.review.scores or {}).items()},
                comments=dict(v.review.comments or {}),
                recommendation=v.review.recommendation,
                overall_comment=v.review.overall_comment,
                submitted_at=v.review.submitted_at,
            )
            for v in view.shown
        ],
    )


@router.get(
    "/assignments/{assignment_id}/review",
    response_model=ReviewOut,
    summary="Your review (draft or submitted)",
    dependencies=[REVIEWS],
)
def get_review(
    assignment_id: AssignmentId, db: DB, actor: CurrentActor, response: Response
) -> ReviewOut:
    mine = case_views.my_review(session=db, actor=actor, assignment_id=assignment_id)
    response.headers["ETag"] = etag(mine.review.version if mine.review else None)
    return review_out(assignment_id, mine.assignment.case_id, mine.assignment.round, mine.review)


def _save_review(
    assignment_id: int,
    body: ReviewIn,
    request: Request,
    db: Session,
    actor: Actor,
    *,
    submit: bool,
) -> ReviewOut:
    expected = draft_version(request, body.version)
    entries = {cid: e.model_dump() for cid, e in body.entries.items()}
    review = reviews.save_review(
        session=db,
        actor=actor,
        assignment_id=assignment_id,
        entries=entries,
        recommendation=body.recommendation,
        overall_comment=body.overall_comment,
        submit=submit,
        expected_version=expected,
    )
    return review_out(assignment_id, review.case_id, review.round, review)


@router.put(
    "/assignments/{assignment_id}/review",
    response_model=ReviewOut,
    summary="Save your review as a draft (send the version you started from; 0: no draft yet)",
    dependencies=[REVIEWS],
)
def save_review(
    assignment_id: AssignmentId,
    body: ReviewIn,
    request: Request,
    db: DB,
    actor: CurrentActor,
    response: Response,
) -> ReviewOut:
    out = _save_review(assignment_id, body, request, db, actor, submit=False)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post(
    "/assignments/{assignment_id}/review/submit",
    response_model=ReviewOut,
    summary="Submit your review (a score and a comment per criterion, and a recommendation)",
    dependencies=[REVIEWS],
)
def submit_review(
    assignment_id: AssignmentId,
    body: ReviewIn,
    request: Request,
    db: DB,
    actor: CurrentActor,
    background: BackgroundTasks,
) -> ReviewOut:
    out = _save_review(assignment_id, body, request, db, actor, submit=True)
    advance_later(background, [out.case_id])
    return out


@router.get(
    "/assignments/{assignment_id}/review-sheet",
    response_class=RawResponse,
    responses={200: {"content": {XLSX: {}}, "description": "The offline review workbook"}},
    summary="Download the offline review sheet (pre-filled with your draft)",
    dependencies=[REVIEWS],
)
def download_sheet(assignment_id: AssignmentId, db: DB, actor: CurrentActor) -> RawResponse:
    data, name = review_sheet_file(db, actor, assignment_id)
    return RawResponse(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post(
    "/assignments/{assignment_id}/review-sheet",
    response_model=ReviewOut,
    summary=(
        "Upload a filled-in review sheet (errors name the cell, e.g. Review!C7); submit=true to "
        "submit"
    ),
    dependencies=[REVIEWS],
)
async def upload_sheet(
    assignment_id: AssignmentId,
    db: DB,
    actor: CurrentActor,
    request: Request,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description=".xlsx", json_schema_extra={"format": "binary"})],
    submit: Annotated[bool, Form()] = False,
) -> ReviewOut:
    settings = settings_of(request)
    mine = await run_in_threadpool(
        case_views.my_review, session=db, actor=actor, assignment_id=assignment_id
    )
    data = await read_limited(file, settings.max_upload_bytes)
    review = await run_in_threadpool(
        save_review_sheet,
        db,
        actor,
        mine,
        data,
        safe_name(file, "review.xlsx"),
        submit=submit,
        settings=settings,
    )
    if submit:
        advance_later(background, [review.case_id])
    return review_out(assignment_id, review.case_id, review.round, review)
