"""Reviews: drafts, submission, and who may read which review when."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.entries import check_recommendation, clean_entries
from qa_engine.domain.errors import Conflict, NotFound, StaleUpdate, check_version
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.statuses import LIVE_ASSIGNMENT, AssignmentStatus, ReviewStatus
from qa_engine.services import access, audit
from qa_engine.services.cases import rubric_and_hash_of
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Assignment, Case, Review, User


def save_review(
    *,
    session: Session,
    actor: Actor,
    assignment_id: int,
    entries: dict[str, Any],
    recommendation: str | None = None,
    overall_comment: str = "",
    submit: bool = False,
    expected_version: int | None = None,
) -> Review:
    """Save the reviewer's draft; with `submit`, check it is complete and make it final.

    `expected_version` is the version of the draft the person started from (0: no draft yet); a
    stale one is refused (`StaleUpdate`) before the entries are checked."""
    asg = own_assignment(session, actor, assignment_id)
    case = access.get_case_or_raise(session, asg.case_id)
    if asg.status == AssignmentStatus.SUBMITTED:
        raise Conflict(N_("this review is already submitted"))
    if asg.status == AssignmentStatus.INVITED:
        raise Conflict(N_("the invitation is not answered yet; accept it before reviewing"))
    if asg.status != AssignmentStatus.ACCEPTED:
        raise Conflict(N_("this assignment is %(status)s"), status=str(asg.status))
    require_state(case.state, CaseState.PEER_REVIEW, action="review")
    review = case_repo.review_for_assignment(session, saved_id(asg))
    check_version("the review", review.version if review else 0, expected_version)
    rubric, rubric_hash = rubric_and_hash_of(session, case)
    clean = clean_entries(
        rubric,
        entries,
        text_key="comment",
        require_complete=submit,
        require_text=submit,
        allow_evidence=False,
    )
    rec = check_recommendation(recommendation, required=submit)
    if review is None:
        review = Review(
            assignment_id=saved_id(asg),
            case_id=saved_id(case),
            round=asg.round,
            reviewer_id=asg.reviewer_id,
            rubric_hash=rubric_hash,
        )
    review.scores = {cid: e["score"] for cid, e in clean.items() if e["score"] is not None}
    review.comments = {cid: e["comment"] for cid, e in clean.items() if e["comment"]}
    review.recommendation = rec.value if rec else None
    review.overall_comment = (overall_comment or "").strip()[:20000]
    review.updated_at = now()
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now()
        asg.status = AssignmentStatus.SUBMITTED
        session.add(asg)
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:  # another first save of this draft came at the same moment
        raise StaleUpdate(
            N_("the review was saved elsewhere at the same moment; nothing was saved")
        ) from None
    audit.record(
        session,
        actor=actor,
        action="review.submitted" if submit else "review.saved",
        subject_type="case",
        subject_id=saved_id(case),
        payload={
            "assignment_id": asg.id,
            "round": asg.round,
            "scores": review.scores if submit else None,
            "recommendation": review.recommendation,
        },
    )
    return review


def own_assignment(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    """The reviewer's own invitation or assignment that is still live; for anyone else it does not
    exist."""
    asg = case_repo.get_assignment(session, assignment_id)
    if (
        asg is None
        or actor.user_id is None
        or asg.reviewer_id != actor.user_id
        or asg.status not in LIVE_ASSIGNMENT
    ):
        raise NotFound(N_("assignment %(id)s not found"), id=assignment_id)
    return asg


@dataclass(frozen=True)
class VisibleReview:
    label: str
    reviewer_name: str | None
    review: Review
    mine: bool


def reviewer_labels(session: Session, case: Case) -> dict[int, str]:
    """Reviewer A, B, … in the order they were first invited to the case."""
    labels: dict[int, str] = {}
    for asg in case_repo.assignments_of(session, saved_id(case)):
        if asg.reviewer_id not in labels:
            n = len(labels)
            labels[asg.reviewer_id] = "Reviewer " + (
                string.ascii_uppercase[n] if n < 26 else str(n + 1)
            )
    return labels


def visible_reviews(
    *, session: Session, actor: Actor, case_id: int, round_: int | None = None
) -> list[VisibleReview]:
    """The reviews of a round this actor may read.

    A draft is its author's alone. Staff read every submitted review; a reviewer of that round
    reads their own, and the others only once their own is submitted; the provider reads them once
    the round's decision is made.
    """
    case = access.case_for(session, actor, case_id)
    return _visible(session, actor, case, round_ or case.round)


def _visible(session: Session, actor: Actor, case: Case, rnd: int) -> list[VisibleReview]:
    labels = reviewer_labels(session, case)
    names = access.sees_reviewer_names(actor)
    all_reviews = case_repo.reviews_of(session, saved_id(case), rnd)
    out: list[VisibleReview] = []
    if actor.has(*access.STAFF):
        chosen = [r for r in all_reviews if r.status == ReviewStatus.SUBMITTED]
    elif access.round_assignment(session, actor, case, rnd) is not None:
        mine = [r for r in all_reviews if r.reviewer_id == actor.user_id]
        own_submitted = any(r.status == ReviewStatus.SUBMITTED for r in mine)
        chosen = mine + (
            [
                r
                for r in all_reviews
                if r.status == ReviewStatus.SUBMITTED and r.reviewer_id != actor.user_id
            ]
            if own_submitted
            else []
        )
    elif access.is_provider_of(actor, case):
        released = case_repo.get_decision(session, saved_id(case), rnd) is not None
        chosen = [r for r in all_reviews if r.status == ReviewStatus.SUBMITTED] if released else []
    else:
        chosen = []
    for r in chosen:
        user = session.get(User, r.reviewer_id) if names else None
        out.append(
            VisibleReview(
                labels.get(r.reviewer_id, "Reviewer"),
                user.full_name if user else None,
                r,
                r.reviewer_id == actor.user_id,
            )
        )
    return out


@dataclass(frozen=True)
class CaseReviews:
    case: Case
    rubric: Rubric
    shown: list[VisibleReview]
    waiting_for_own: (
        bool  # a reviewer whose own review is not submitted yet: the others come after it
    )
    is_provider: bool


def case_reviews(*, session: Session, actor: Actor, case_id: int) -> CaseReviews:
    """The reviews of the current round this actor may read, with the rubric they score against."""
    case = access.case_for(session, actor, case_id)
    shown = _visible(session, actor, case, case.round)
    mine = [v for v in shown if v.mine]
    waiting = (
        Role.REVIEWER in actor.roles
        and bool(mine)
        and mine[0].review.status != ReviewStatus.SUBMITTED
    )
    return CaseReviews(
        case,
        rubric_and_hash_of(session, case)[0],
        shown,
        waiting,
        access.is_provider_of(actor, case),
    )
