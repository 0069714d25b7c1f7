"""The automated consolidation stage of a case round."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.consolidation import (
    ConsolidationResult,
    consolidate,
    disagreements,
    extra_reviewer_reason,
)
from qa_engine.domain.credential import element_report, parse_credential
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.domain.scoring import element_scores
from qa_engine.services import access, audit, notifications
from qa_engine.services.assignments import required_reviews
from qa_engine.services.cases import credential_version_for_round, credential_version_of, rubric_of
from qa_engine.services.context import transition, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, Consolidation


def compute(session: Session, case: Case, round_: int | None = None) -> ConsolidationResult:
    """Consolidate the submitted reviews of a round (no state change)."""
    rnd = round_ or case.round
    rubric = rubric_of(session, case)
    reviews = case_repo.reviews_of(session, saved_id(case), rnd, submitted_only=True)
    cred = parse_credential(credential_version_for_round(session, case, rnd).data)
    wanted = [el for rc in rubric.criteria for el in rc.criterion.elements]
    automated = element_scores(rubric, element_report(cred, wanted))
    return consolidate(
        rubric,
        [r.scores for r in reviews],
        automated=automated,
        threshold=workflow_settings().disagreement_threshold,
        recommendations=[r.recommendation for r in reviews],
    )


def consolidate_case(*, session: Session, case_id: int) -> Case:
    """Move a fully reviewed case to consolidation, aggregate, then on to approval or back for an
    extra reviewer."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    if case.state == CaseState.PEER_REVIEW.value:
        transition(session, case, CaseState.CONSOLIDATION, actor=SYSTEM)
    require_state(case.state, CaseState.CONSOLIDATION, action=N_("consolidate"))
    result = compute(session, case)
    previous = case_repo.latest_consolidation(session, case_id, case.round)
    pass_no = (previous.pass_no + 1) if previous else 1
    row = Consolidation(
        case_id=case_id,
        round=case.round,
        pass_no=pass_no,
        data=result.to_json(),
        overall=result.overall,
        agreement=result.agreement,
        recommended_outcome=result.breakdown.recommended_outcome.value
        if result.breakdown.recommended_outcome
        else None,
        disagreement=bool(result.disagreement),
    )
    session.add(row)
    session.flush()
    settings = workflow_settings()
    if result.disagreement and case.extra_reviewers_requested < settings.max_extra_reviewers:
        case.extra_reviewers_requested += 1
        # the reason is recorded with the request: the officers' pages and mails read it back
        items = disagreements(rubric_of(session, case), result)
        transition(
            session,
            case,
            CaseState.PEER_REVIEW,
            actor=SYSTEM,
            payload={
                "extra_reviewer": True,
                "disagreement": result.disagreement,
                "disagreements": [d.to_json() for d in items],
                "reason": extra_reviewer_reason(items),
                "required": required_reviews(case),
            },
        )
        return case
    transition(
        session,
        case,
        CaseState.APPROVAL,
        actor=SYSTEM,
        payload={
            "overall": result.overall,
            "agreement": result.agreement,
            "recommended": row.recommended_outcome,
            "pass": pass_no,
        },
    )
    version = credential_version_of(session, case)
    for approver in repo.users_with_role(session, Role.APPROVER):
        notifications.queue(
            session=session,
            key=f"decision_needed:{case.id}:{case.round}:{approver.id}",
            recipient=approver,
            template="decision_needed",
            case_id=case.id,
            context={
                "case_id": case.id,
                "credential_title": version.data.get("title", ""),
                "recommended_outcome": row.recommended_outcome or "",
                "overall": f"{result.overall:.2f}" if result.overall is not None else "-",
            },
        )
    audit.record(
        session,
        actor=SYSTEM,
        action="consolidation.done",
        subject_type="case",
        subject_id=case_id,
        payload={"round": case.round, "pass": pass_no, "overall": result.overall},
    )
    return case
