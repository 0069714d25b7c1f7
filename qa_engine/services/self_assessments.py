"""The provider's self-assessment: save drafts, submit once per round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.entries import clean_entries
from qa_engine.domain.errors import Conflict, Forbidden, StaleUpdate, check_version
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.statuses import SelfAssessmentStatus
from qa_engine.services import access, audit
from qa_engine.services.cases import rubric_of
from qa_engine.services.context import now, transition
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Case, SelfAssessment


def save_self_assessment(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    entries: dict[str, Any],
    summary: str = "",
    submit: bool = False,
    expected_version: int | None = None,
) -> SelfAssessment:
    """Save the self-assessment of the case's current round; with `submit`, check completeness and
    hand over. `expected_version` is the version of the draft the person started from (0: no
    draft yet); a stale one is refused (`StaleUpdate`)."""
    case = access.case_for(session, actor, case_id)
    if not (access.is_provider_of(actor, case) or actor.is_system):
        raise Forbidden(N_("only the provider's institution writes the self-assessment"))
    require_state(case.state, CaseState.SELF_ASSESSMENT, action="change the self-assessment")
    sa = case_repo.get_self_assessment(session, case_id, case.round)
    if sa is not None and sa.status == SelfAssessmentStatus.SUBMITTED:
        raise Conflict(N_("the self-assessment of this round is already submitted"))
    check_version("the self-assessment", sa.version if sa else 0, expected_version)
    rubric = rubric_of(session, case)
    clean = clean_entries(
        rubric,
        entries,
        text_key="narrative",
        require_complete=submit,
        require_text=submit,
        allow_evidence=True,
    )
    if sa is None:
        sa = SelfAssessment(case_id=case_id, round=case.round)
    sa.entries = clean
    sa.summary = (summary or "").strip()[:20000]
    sa.updated_at = now()
    if submit:
        sa.status = SelfAssessmentStatus.SUBMITTED
        sa.submitted_at = now()
    try:
        with session.begin_nested():
            session.add(sa)
            session.flush()
    except IntegrityError:  # another first save of this draft came at the same moment
        raise StaleUpdate(
            N_("the self-assessment was saved elsewhere at the same moment; nothing was saved")
        ) from None
    audit.record(
        session,
        actor=actor,
        action="self_assessment.submitted" if submit else "self_assessment.saved",
        subject_type="case",
        subject_id=case_id,
        payload={"round": case.round, "criteria": len(clean)},
    )
    if submit:
        case.due_at = None
        transition(session, case, CaseState.ASSIGNMENT, actor=actor)
    return sa


@dataclass(frozen=True)
class SelfAssessmentView:
    case: Case
    rubric: Rubric
    self_assessment: SelfAssessment | None
    editable: bool  # the provider, while the case waits for it and it is not submitted


def self_assessment_view(*, session: Session, actor: Actor, case_id: int) -> SelfAssessmentView:
    """The self-assessment with its rubric, for anyone who may read the case.

    A draft is its author's alone: the provider's institution reads the current round's, draft or
    submitted; everyone else reads the latest submitted one, which while the current round's is
    still a draft is the previous round's (its `round` says so), or none."""
    case = access.case_for(session, actor, case_id)
    sa = case_repo.get_self_assessment(session, case_id, case.round)
    provider = access.is_provider_of(actor, case)
    if not provider and (sa is None or sa.status != SelfAssessmentStatus.SUBMITTED):
        sa = latest_submitted(session, case)
    editable = (
        provider
        and case.state == CaseState.SELF_ASSESSMENT.value
        and (sa is None or sa.status != SelfAssessmentStatus.SUBMITTED)
    )
    return SelfAssessmentView(case, rubric_of(session, case), sa, editable)


def latest_submitted(session: Session, case: Case) -> SelfAssessment | None:
    """The case's latest submitted self-assessment, of any round so far."""
    submitted = [
        sa
        for sa in case_repo.self_assessments_of(session, saved_id(case))
        if sa.status == SelfAssessmentStatus.SUBMITTED and sa.round <= case.round
    ]
    return submitted[-1] if submitted else None
