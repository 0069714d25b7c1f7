"""Cases: list, read, open, withdraw, resubmit, submit a revision, history; the self-assessment;
the consolidated view and the decision; the reports of a case."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from sqlmodel import Session

from qa_engine.adapters.export_files import MEDIA as EXPORT_MEDIA
from qa_engine.adapters.export_files import file_name as export_file_name
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import NotFound
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor
from qa_engine.services import access, case_views, decisions, exports, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services.rows import saved_id
from qa_engine.web.api.common import (
    CaseId,
    Limit,
    Offset,
    assignment_line_out,
    case_out,
    draft_version,
    etag,
    report_out,
    self_assessment_out,
)
from qa_engine.web.api.schemas import (
    ERRORS,
    CaseDetailOut,
    CaseOut,
    CasePage,
    ConsolidationOut,
    CredentialChangeOut,
    CriterionStatsOut,
    DecisionIn,
    DecisionOut,
    HistoryEventOut,
    HistoryOut,
    OpenCaseIn,
    ReportsOut,
    ResubmitIn,
    RevisionIn,
    RevisionOut,
    SelfAssessmentIn,
    SelfAssessmentOut,
    WithdrawIn,
)
from qa_engine.web.auth import CurrentActor, requires
from qa_engine.web.background import advance_later
from qa_engine.web.db import DB

READS_CASES = requires(access.CASE_READERS, action=N_("read cases"))
WRITES_SA = requires(access.SELF_ASSESSMENT_WRITERS, action=N_("write self-assessments"))
router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=ERRORS)


@router.get(
    "",
    response_model=CasePage,
    summary="The cases you may see, a page at a time",
    dependencies=[READS_CASES],
)
def list_cases(
    db: DB,
    actor: CurrentActor,
    offset: Offset = 0,
    limit: Limit = 50,
    state: Annotated[list[CaseState] | None, Query(description="only these states")] = None,
) -> CasePage:
    page = case_views.cases_page(
        session=db,
        actor=actor,
        states=[s.value for s in state] if state else None,
        offset=offset,
        limit=limit,
    )
    return CasePage(
        items=[case_out(r) for r in page.rows], total=page.total, offset=offset, limit=limit
    )


def _detail(db: Session, actor: Actor, case_id: int) -> CaseDetailOut:
    d = case_views.case_detail(session=db, actor=actor, case_id=case_id)
    return CaseDetailOut(
        **case_out(d.row).model_dump(),
        rubric=d.rubric_ref,
        credential=d.version.data,
        assignments=[assignment_line_out(x) for x in d.assignments],
        decisions=[DecisionOut.model_validate(x) for x in d.decisions],
        reports=[report_out(r) for r in d.reports],
        my_assignment_id=d.my_assignment.id if d.my_assignment else None,
    )


@router.get(
    "/{case_id}",
    response_model=CaseDetailOut,
    summary="One case (404 unless you may see it)",
    dependencies=[READS_CASES],
)
def get_case(case_id: CaseId, db: DB, actor: CurrentActor, response: Response) -> CaseDetailOut:
    out = _detail(db, actor, case_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post(
    "",
    response_model=CaseOut,
    status_code=201,
    summary="Open a review case for a credential's current version",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("open review cases"))],
)
def open_case(
    body: OpenCaseIn, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> CaseOut:
    case = case_service.open_case(
        session=db, actor=actor, credential_id=body.credential_id, rubric_id=body.rubric_id
    )
    case_id = saved_id(case)
    advance_later(background, [case_id])
    return case_out(case_views.case_row(session=db, actor=actor, case_id=case_id))


@router.post(
    "/{case_id}/withdraw",
    response_model=CaseOut,
    summary="Withdraw an open case (a reason is required)",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("withdraw cases"))],
)
def withdraw(case_id: CaseId, body: WithdrawIn, db: DB, actor: CurrentActor) -> CaseOut:
    case_service.withdraw_case(
        session=db, actor=actor, case_id=case_id, reason=body.reason, expected_version=body.version
    )
    return case_out(case_views.case_row(session=db, actor=actor, case_id=case_id))


@router.post(
    "/{case_id}/resubmit",
    response_model=CaseOut,
    summary="Send a returned case through screening again with the credential's newest version",
    dependencies=[requires(access.CASE_MANAGERS, action=N_("resubmit cases"))],
)
def resubmit(
    case_id: CaseId,
    db: DB,
    actor: CurrentActor,
    background: BackgroundTasks,
    body: ResubmitIn | None = None,
) -> CaseOut:
    case_service.resubmit_case(
        session=db, actor=actor, case_id=case_id, expected_version=body.version if body else None
    )
    advance_later(background, [case_id])
    return case_out(case_views.case_row(session=db, actor=actor, case_id=case_id))


@router.post(
    "/{case_id}/revision",
    response_model=RevisionOut,
    summary=(
        "After a revision request, submit the revised credential into the case's new round"
        " (a stored version by number, default the newest, or the revised content)"
    ),
    description=(
        "Allowed to the provider and the QA office while the new round waits for the"
        " self-assessment. The round's self-assessment, reviews and report then use this"
        " version; earlier rounds keep theirs. 409 when no revision was requested, the round"
        " already reviews this version, or the case version is stale; 422 when the version"
        " does not pass screening."
    ),
    dependencies=[requires(access.CASE_MANAGERS, action=N_("submit revised credentials"))],
)
def revision(
    case_id: CaseId, db: DB, actor: CurrentActor, body: RevisionIn | None = None
) -> RevisionOut:
    body = body or RevisionIn()
    data = (
        parse_credential(body.credential.model_dump(exclude_none=True))
        if body.credential is not None
        else None
    )
    version = case_service.submit_revision(
        session=db,
        actor=actor,
        case_id=case_id,
        number=body.credential_version,
        data=data,
        expected_version=body.version,
        source="api",
    )
    case = case_views.case_row(session=db, actor=actor, case_id=case_id).case
    changes = case_service.round_changes(db, case, case.round)
    return RevisionOut(
        case_id=case_id,
        round=case.round,
        credential_version=version.number,
        previous_version=changes.before.number if changes else version.number,
        changes=[
            CredentialChangeOut(
                field=c.field,
                element=c.element,
                label=c.label,
                before=c.before,
                after=c.after,
                added=list(c.added),
                removed=list(c.removed),
            )
            for c in (changes.changes if changes else [])
        ],
    )


@router.get(
    "/{case_id}/history",
    response_model=HistoryOut,
    summary="The case's history (names for QA staff only)",
    dependencies=[READS_CASES],
)
def history(case_id: CaseId, db: DB, actor: CurrentActor) -> HistoryOut:
    events = case_views.case_history(session=db, actor=actor, case_id=case_id)
    return HistoryOut(case_id=case_id, items=[HistoryEventOut(**e.__dict__) for e in events])


# --------------------------------------------------------------------------- self-assessment


@router.get(
    "/{case_id}/self-assessment",
    response_model=SelfAssessmentOut,
    summary="The self-assessment of the current round",
    dependencies=[READS_CASES],
)
def get_self_assessment(
    case_id: CaseId, db: DB, actor: CurrentActor, response: Response
) -> SelfAssessmentOut:
    view = self_assessments.self_assessment_view(session=db, actor=actor, case_id=case_id)
    sa = view.self_assessment
    response.headers["ETag"] = etag(sa.version if sa else None)
    return self_assessment_out(case_id, view.case.round, sa)


def _save_sa(
    case_id: int,
    body: SelfAssessmentIn,
    request: Request,
    db: Session,
    actor: Actor,
    *,
    submit: bool,
) -> SelfAssessmentOut:
    expected = draft_version(request, body.version)
    entries = {cid: e.model_dump() for cid, e in body.entries.items()}
    sa = self_assessments.save_self_assessment(
        session=db,
        actor=actor,
        case_id=case_id,
        entries=entries,
        summary=body.summary,
        submit=submit,
        expected_version=expected,
    )
    return self_assessment_out(sa.case_id, sa.round, sa)


@router.put(
    "/{case_id}/self-assessment",
    response_model=SelfAssessmentOut,
    summary=(
        "Save the self-assessment as a draft (send the version you started from; 0: no draft yet)"
    ),
    dependencies=[WRITES_SA],
)
def save_self_assessment(
    case_id: CaseId,
    body: SelfAssessmentIn,
    request: Request,
    db: DB,
    actor: CurrentActor,
    response: Response,
) -> SelfAssessmentOut:
    out = _save_sa(case_id, body, request, db, actor, submit=False)
    response.headers["ETag"] = etag(out.version)
    return out


@router.post(
    "/{case_id}/self-assessment/submit",
    response_model=SelfAssessmentOut,
    summary="Submit the self-assessment (complete, with a narrative per criterion)",
    dependencies=[WRITES_SA],
)
def submit_self_assessment(
    case_id: CaseId,
    body: SelfAssessmentIn,
    request: Request,
    db: DB,
    actor: CurrentActor,
    background: BackgroundTasks,
) -> SelfAssessmentOut:
    out = _save_sa(case_id, body, request, db, actor, submit=True)
    advance_later(background, [case_id])
    return out


# ----------------------------------------------------------------------- consolidation and decision


@router.get(
    "/{case_id}/consolidation",
    response_model=ConsolidationOut,
    summary=(
        "Scores side by side, spread, agreement, gates, recommendation (QA staff and approvers)"
    ),
    dependencies=[requires(access.STAFF, action=N_("read the consolidated reviews"))],
)
def consolidation(case_id: CaseId, db: DB, actor: CurrentActor) -> ConsolidationOut:
    view = case_views.consolidated_view(session=db, actor=actor, case_id=case_id)
    result = view.result
    by_id = {s.criterion_id: s for s in result.criteria}
    gates = {c.criterion_id: c for c in result.breakdown.criteria}
    rows = []
    for rc in view.rubric.reviewer_criteria:
        if not rc.criterion.scored:
            continue
        stats = by_id.get(rc.id)
        scores = {v.label: (v.review.scores or {}).get(rc.id) for v in view.reviews}
        gate = gates.get(rc.id)
        rows.append(
            CriterionStatsOut(
                criterion_id=rc.id,
                title=rc.criterion.title,
                scores=scores,
                mean=stats.mean if stats else None,
                median=stats.median if stats else None,
                spread=stats.spread if stats else None,
                disagreement=bool(stats and stats.disagreement),
                gate_min=gate.gate_min if gate else None,
                gate_passed=gate.gate_passed if gate else None,
            )
        )
    rec = result.breakdown.recommended_outcome
    return ConsolidationOut(
        case_id=view.case.id,
        round=view.case.round,
        reviewers=result.reviewers,
        overall=result.overall,
        agreement=result.agreement,
        agreement_label=result.agreement_label,
        agreement_summary=result.agreement_summary,
        yes_no_summary=result.yes_no_summary,
        disagreement=list(result.disagreement),
        gates_failed=list(result.breakdown.gates_failed),
        recommended_outcome=rec.value if rec else None,
        recommendations=dict(result.recommendations),
        criteria=rows,
        explanation=list(result.breakdown.explanation),
    )


@router.post(
    "/{case_id}/decision",
    response_model=DecisionOut,
    status_code=201,
    summary="Decide on a case in approval (approvers)",
    dependencies=[requires(access.APPROVERS, action=N_("decide on cases"))],
)
def decide(
    case_id: CaseId, body: DecisionIn, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> DecisionOut:
    decision = decisions.decide(
        session=db,
        actor=actor,
        case_id=case_id,
        outcome=body.outcome,
        rationale=body.rationale,
        conditions=body.conditions,
        expected_version=body.version,
    )
    advance_later(background, [case_id])
    return DecisionOut.model_validate(decision)


# --------------------------------------------------------------------------- reports


@router.get(
    "/{case_id}/reports",
    response_model=ReportsOut,
    summary="The reports of a case",
    dependencies=[READS_CASES],
)
def reports(case_id: CaseId, db: DB, actor: CurrentActor) -> ReportsOut:
    rows = case_views.reports_of_case(session=db, actor=actor, case_id=case_id)
    return ReportsOut(case_id=case_id, items=[report_out(r) for r in rows])


# --------------------------------------------------------------------------- exports

ExportKind = Annotated[
    Literal["elm", "edc", "ob3", "deqar"],
    PathParam(description="elm, edc (sample issued credential), ob3 or deqar"),
]


@router.get(
    "/{case_id}/exports/{kind}",
    response_class=FileResponse,
    responses={
        200: {
            "content": {v: {} for k, v in EXPORT_MEDIA.items() if k != "pdf"},
            "description": "The export file of the case's latest decision (or that of `round`)",
        }
    },
    summary="Download an interop export of a decided case (ELM, sample EDC, OB 3.0, DEQAR)",
    dependencies=[requires(access.EXPORT_READERS, action=N_("download exports"))],
)
def export_file(
    case_id: CaseId,
    kind: ExportKind,
    db: DB,
    actor: CurrentActor,
    round: Annotated[int | None, Query(ge=1, le=1000)] = None,  # noqa: A002 - the API's name
) -> FileResponse:
    found = exports.case_export(session=db, actor=actor, case_id=case_id, kind=kind, round_=round)
    if not found.path.is_file():
        raise NotFound(f"the file of {found.report_id} is missing on the server; ask the QA office")
    return FileResponse(
        found.path,
        media_type=EXPORT_MEDIA[kind],
        filename=export_file_name(found.report_id, kind),
        headers={"Cache-Control": "no-store"},
    )
