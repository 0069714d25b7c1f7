"""Queries for cases, self-assessments, assignments, reviews, decisions, reports, notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_
from sqlmodel import Session, col, select

from qa_engine.domain.case_states import FINISHED, CaseState
from qa_engine.domain.outcomes import APPROVING
from qa_engine.domain.statuses import (
    LIVE_ASSIGNMENT,
    OPEN_ASSIGNMENT,
    AssignmentStatus,
    NotificationStatus,
    ReviewStatus,
)
from qa_engine.store.models import (
    Assignment,
    Case,
    CaseRound,
    ConflictDeclaration,
    Consolidation,
    Credential,
    CredentialVersion,
    Decision,
    Institution,
    IssuedFile,
    Notification,
    Report,
    Review,
    SelfAssessment,
)

# a select of any columns, refined by a helper that keeps its type (the row type of the caller's)
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case | None:
    if for_update:
        return session.exec(select(Case).where(Case.id == case_id).with_for_update()).one_or_none()
    return session.get(Case, case_id)


def open_case_for_credential(session: Session, credential_id: int) -> Case | None:
    return session.exec(
        select(Case).where(Case.credential_id == credential_id, col(Case.state).not_in(FINISHED))
    ).first()


def credentials_with_open_cases(
    session: Session,
    *,
    institution_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
    with_versions: bool = False,
) -> list[tuple[Credential, Institution, Case | None, CredentialVersion | None]]:
    """A page of credentials (by institution code and reference), each with its institution, its
    open case if it has one and, when asked, its current version, in one query."""
    open_case_id = (
        select(func.min(col(Case.id)))
        .where(Case.credential_id == Credential.id, col(Case.state).not_in(FINISHED))
        .correlate(Credential)
        .scalar_subquery()
    )

    def page(q: _Query) -> _Query:
        q = q.join(Institution, col(Institution.id) == Credential.institution_id).outerjoin(
            Case, col(Case.id) == open_case_id
        )
        if with_versions:
            q = q.outerjoin(
                CredentialVersion,
                (col(CredentialVersion.credential_id) == Credential.id)
                & (col(CredentialVersion.number) == Credential.current_version),
            )
        if institution_id is not None:
            q = q.where(col(Credential.institution_id) == institution_id)
        q = q.order_by(col(Institution.code), col(Credential.reference)).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return q

    # the outer joins give None for a credential without an open case (or version)
    if with_versions:
        rows = session.exec(page(select(Credential, Institution, Case, CredentialVersion))).all()
        return [(c, i, k, v) for c, i, k, v in rows]
    return [
        (c, i, k, None)
        for c, i, k in session.exec(page(select(Credential, Institution, Case))).all()
    ]


def case_labels(session: Session, case_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The credential title and the institution code of each case, in one query."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(col(Case.id), Credential.title, Institution.code)
        .join(Credential, col(Credential.id) == Case.credential_id)
        .join(Institution, col(Institution.id) == Case.institution_id)
        .where(col(Case.id).in_(list(case_ids)))
    ).all()
    return {case_id: (title, code) for case_id, title, code in rows if case_id is not None}


def list_cases(
    session: Session,
    *,
    states: Sequence[str] | None = None,
    institution_id: int | None = None,
    case_ids: Sequence[int] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Case]:
    q = select(Case)
    if states:
        q = q.where(col(Case.state).in_(list(states)))
    if institution_id is not None:
        q = q.where(Case.institution_id == institution_id)
    if case_ids is not None:
        q = q.where(col(Case.id).in_(list(case_ids)))
    q = q.order_by(col(Case.id)).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.exec(q))


def count_cases(
    session: Session,
    *,
    states: Sequence[str] | None = None,
    institution_id: int | None = None,
    case_ids: Sequence[int] | None = None,
) -> int:
    q = select(func.count(col(Case.id)))
    if states:
        q = q.where(col(Case.state).in_(list(states)))
    if institution_id is not None:
        q = q.where(Case.institution_id == institution_id)
    if case_ids is not None:
        q = q.where(col(Case.id).in_(list(case_ids)))
    return int(session.exec(q).one())


def cases_idle_in(session: Session, states: Sequence[str], before: datetime) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .where(col(Case.state).in_(list(states)), Case.state_since < before)
            .order_by(col(Case.id))
        )
    )


# --------------------------------------------------------------------------- rounds


def get_case_round(session: Session, case_id: int, round_: int) -> CaseRound | None:
    return session.exec(
        select(CaseRound).where(CaseRound.case_id == case_id, CaseRound.round == round_)
    ).one_or_none()


def case_rounds_of(session: Session, case_id: int) -> list[CaseRound]:
    return list(
        session.exec(
            select(CaseRound).where(CaseRound.case_id == case_id).order_by(col(CaseRound.round))
        )
    )


# --------------------------------------------------------------------------- self-assessment


def get_self_assessment(session: Session, case_id: int, round_: int) -> SelfAssessment | None:
    return session.exec(
        select(SelfAssessment).where(
            SelfAssessment.case_id == case_id, SelfAssessment.round == round_
        )
    ).one_or_none()


def self_assessments_of(session: Session, case_id: int) -> list[SelfAssessment]:
    return list(
        session.exec(
            select(SelfAssessment)
            .where(SelfAssessment.case_id == case_id)
            .order_by(col(SelfAssessment.round))
        )
    )


# --------------------------------------------------------------------------- assignments


def get_assignment(session: Session, assignment_id: int) -> Assignment | None:
    return session.get(Assignment, assignment_id)


def assignments_of(
    session: Session, case_id: int, round_: int | None = None, statuses: Sequence[str] | None = None
) -> list[Assignment]:
    q = select(Assignment).where(Assignment.case_id == case_id)
    if round_ is not None:
        q = q.where(Assignment.round == round_)
    if statuses:
        q = q.where(col(Assignment.status).in_(list(statuses)))
    return list(session.exec(q.order_by(col(Assignment.id))))


def assignment_for(
    session: Session, case_id: int, reviewer_id: int, round_: int | None = None
) -> Assignment | None:
    q = select(Assignment).where(
        Assignment.case_id == case_id, Assignment.reviewer_id == reviewer_id
    )
    if round_ is not None:
        q = q.where(Assignment.round == round_)
    return session.exec(q.order_by(col(Assignment.round).desc())).first()


def live_assignment_for(
    session: Session, case_id: int, reviewer_id: int, round_: int | None = None
) -> Assignment | None:
    """The reviewer's invitation or assignment (invited, accepted or submitted) of the case, in
    `round_` when given, else the latest."""
    q = select(Assignment).where(
        Assignment.case_id == case_id,
        Assignment.reviewer_id == reviewer_id,
        col(Assignment.status).in_(LIVE_ASSIGNMENT),
    )
    if round_ is not None:
        q = q.where(Assignment.round == round_)
    return session.exec(q.order_by(col(Assignment.round).desc())).first()


def assignments_of_reviewer(
    session: Session, reviewer_id: int, statuses: Sequence[str] | None = None
) -> list[Assignment]:
    q = select(Assignment).where(Assignment.reviewer_id == reviewer_id)
    if statuses:
        q = q.where(col(Assignment.status).in_(list(statuses)))
    return list(session.exec(q.order_by(col(Assignment.id))))


def open_review_counts(session: Session) -> dict[int, int]:
    rows = session.exec(
        select(Assignment.reviewer_id, func.count(col(Assignment.id)))
        .join(Case, col(Case.id) == Assignment.case_id)
        .where(col(Assignment.status).in_(OPEN_ASSIGNMENT), col(Case.state).not_in(FINISHED))
        .group_by(col(Assignment.reviewer_id))
    ).all()
    return {r: int(n) for r, n in rows}


def assignments_with_status_due_before(
    session: Session, status: str, field: str, before: datetime
) -> list[Assignment]:
    column = col(getattr(Assignment, field))
    return list(
        session.exec(
            select(Assignment)
            .join(Case, col(Case.id) == Assignment.case_id)
            .where(
                Assignment.status == status,
                column.is_not(None),
                column < before,
                col(Case.state).not_in(FINISHED),
            )
            .order_by(col(Assignment.id))
        )
    )


def open_assignments(session: Session) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment)
            .join(Case, col(Case.id) == Assignment.case_id)
            .where(col(Assignment.status).in_(OPEN_ASSIGNMENT), col(Case.state).not_in(FINISHED))
            .order_by(col(Assignment.id))
        )
    )


# --------------------------------------------------------------------------- conflicts


def conflicts_of_users(session: Session, user_ids: Sequence[int]) -> list[ConflictDeclaration]:
    if not user_ids:
        return []
    return list(
        session.exec(
            select(ConflictDeclaration).where(col(ConflictDeclaration.user_id).in_(list(user_ids)))
        )
    )


def conflicts_of_user(session: Session, user_id: int) -> list[ConflictDeclaration]:
    return conflicts_of_users(session, [user_id])


# --------------------------------------------------------------------------- reviews


def get_review(session: Session, review_id: int) -> Review | None:
    return session.get(Review, review_id)


def review_for_assignment(session: Session, assignment_id: int) -> Review | None:
    return session.exec(select(Review).where(Review.assignment_id == assignment_id)).one_or_none()


def reviews_of(
    session: Session, case_id: int, round_: int | None = None, *, submitted_only: bool = False
) -> list[Review]:
    q = select(Review).where(Review.case_id == case_id)
    if round_ is not None:
        q = q.where(Review.round == round_)
    if submitted_only:
        q = q.where(Review.status == ReviewStatus.SUBMITTED)
    return list(session.exec(q.order_by(col(Review.submitted_at), col(Review.id))))


def submitted_review_count(session: Session, case_id: int, round_: int) -> int:
    return int(
        session.exec(
            select(func.count(col(Review.id)))
            .join(Assignment, col(Assignment.id) == Review.assignment_id)
            .where(
                Review.case_id == case_id,
                Review.round == round_,
                Review.status == ReviewStatus.SUBMITTED,
                Assignment.status == AssignmentStatus.SUBMITTED,
            )
        ).one()
    )


# --------------------------------------------------------------- consolidation, decisions, reports


def latest_consolidation(session: Session, case_id: int, round_: int) -> Consolidation | None:
    return session.exec(
        select(Consolidation)
        .where(Consolidation.case_id == case_id, Consolidation.round == round_)
        .order_by(col(Consolidation.pass_no).desc())
    ).first()


def get_decision(session: Session, case_id: int, round_: int) -> Decision | None:
    return session.exec(
        select(Decision).where(Decision.case_id == case_id, Decision.round == round_)
    ).one_or_none()


def decisions_of(session: Session, case_id: int) -> list[Decision]:
    return list(
        session.exec(
            select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.round))
        )
    )


def latest_decisions(
    session: Session,
    *,
    credential_ids: Sequence[int] | None = None,
    institution_id: int | None = None,
) -> dict[int, tuple[Case, Decision]]:
    """The newest decision on each of these credentials (or an institution's), with its case, by
    credential id."""
    q = select(Case, Decision).join(Decision, col(Decision.case_id) == Case.id)
    if credential_ids is not None:
        if not credential_ids:
            return {}
        q = q.where(col(Case.credential_id).in_(list(credential_ids)))
    if institution_id is not None:
        q = q.where(Case.institution_id == institution_id)
    out: dict[int, tuple[Case, Decision]] = {}
    for case, decision in session.exec(
        q.order_by(col(Decision.decided_at), col(Decision.id))
    ).all():
        out[case.credential_id] = (case, decision)
    return out


def next_decision_on_credential(session: Session, decision: Decision) -> Decision | None:
    """The first decision taken after this one on the same credential (a later round of the case,
    or a re-review case), if any."""
    case = session.get(Case, decision.case_id)
    if case is None:
        return None
    return session.exec(
        select(Decision)
        .join(Case, col(Decision.case_id) == Case.id)
        .where(
            Case.credential_id == case.credential_id,
            col(Decision.id) != decision.id,
            or_(
                col(Decision.decided_at) > decision.decided_at,
                and_(
                    col(Decision.decided_at) == decision.decided_at,
                    col(Decision.id) > decision.id,
                ),
            ),
        )
        .order_by(col(Decision.decided_at), col(Decision.id))
    ).first()


def decisions_between(
    session: Session, start: datetime, end: datetime
) -> list[tuple[Case, Decision]]:
    """The decisions taken in [start, end), oldest first, with their cases."""
    return [
        (c, d)
        for c, d in session.exec(
            select(Case, Decision)
            .join(Decision, col(Decision.case_id) == Case.id)
            .where(col(Decision.decided_at) >= start, col(Decision.decided_at) < end)
            .order_by(col(Decision.decided_at), col(Decision.id))
        ).all()
    ]


def expired_approvals(session: Session, now: datetime) -> list[tuple[Case, Decision]]:
    """Closed approved cases whose approval ran out and that have no follow-up case yet."""
    follow = select(col(Case.previous_case_id)).where(col(Case.previous_case_id).is_not(None))
    valid_until = col(Decision.valid_until)
    rows = session.exec(
        select(Case, Decision)
        .join(Decision, and_(col(Decision.case_id) == Case.id, col(Decision.round) == Case.round))
        .where(
            Case.state == CaseState.CLOSED,
            col(Decision.outcome).in_(APPROVING),
            valid_until.is_not(None),
            valid_until < now,
            col(Case.id).not_in(follow),
        )
        .order_by(col(Case.id))
    ).all()
    return [(c, d) for c, d in rows]


def get_report(
    session: Session, decision_id: int, kind: str = "pdf", language: str = "en"
) -> Report | None:
    """A decision's file of this kind in this language (English unless said)."""
    return session.exec(
        select(Report).where(
            Report.decision_id == decision_id, Report.kind == kind, Report.language == language
        )
    ).one_or_none()


def get_report_by_report_id(session: Session, report_id: str) -> Report | None:
    return session.exec(select(Report).where(Report.report_id == report_id)).one_or_none()


def get_issued_file(session: Session, sha256: str) -> IssuedFile | None:
    """The register's entry of a signed file issued outside a case, by the hash of its bytes."""
    return session.exec(select(IssuedFile).where(IssuedFile.sha256 == sha256)).one_or_none()


def issued_file_exists(session: Session, report_id: str) -> bool:
    found = session.exec(select(IssuedFile.id).where(IssuedFile.report_id == report_id)).first()
    return found is not None


def reports_of(session: Session, case_id: int) -> list[Report]:
    return list(
        session.exec(select(Report).where(Report.case_id == case_id).order_by(col(Report.id)))
    )


# --------------------------------------------------------------------------- notifications


def get_notification_by_key(session: Session, key: str) -> Notification | None:
    return session.exec(select(Notification).where(Notification.key == key)).one_or_none()


def pending_notifications(
    session: Session,
    *,
    case_ids: Sequence[int] | None = None,
    limit: int = 500,
    max_attempts: int = 5,
    after_id: int = 0,
) -> list[Notification]:
    q = select(Notification).where(
        Notification.status == NotificationStatus.PENDING,
        Notification.attempts < max_attempts,
        col(Notification.id) > after_id,
    )
    if case_ids is not None:
        q = q.where(col(Notification.case_id).in_(list(case_ids)))
    return list(session.exec(q.order_by(col(Notification.id)).limit(limit)))


def notifications_of(session: Session, *, case_id: int | None = None) -> list[Notification]:
    q = select(Notification)
    if case_id is not None:
        q = q.where(Notification.case_id == case_id)
    return list(session.exec(q.order_by(col(Notification.id))))
