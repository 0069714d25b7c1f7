"""Queries for the web app: browser sessions, failed sign-ins, API tokens, and the aggregate counts
of the dashboards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from qa_engine.domain.case_states import FINISHED
from qa_engine.store.models import (
    ApiToken,
    Assignment,
    Case,
    Institution,
    LoginAttempt,
    User,
    WebSession,
)

# --------------------------------------------------------------------------- sessions


def get_web_session(session: Session, token_hash: str) -> WebSession | None:
    return session.exec(select(WebSession).where(WebSession.token_hash == token_hash)).one_or_none()


def get_web_session_with_user(
    session: Session, token_hash: str
) -> tuple[WebSession, User | None] | None:
    """The session row and its user in one query (every signed-in request asks)."""
    row = session.exec(
        select(WebSession, User)
        .outerjoin(User, col(User.id) == WebSession.user_id)
        .where(WebSession.token_hash == token_hash)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def delete_web_session(session: Session, token_hash: str) -> int:
    deleted = session.exec(delete(WebSession).where(col(WebSession.token_hash) == token_hash))
    return deleted.rowcount or 0


def delete_expired_web_sessions(session: Session, before: datetime) -> int:
    deleted = session.exec(delete(WebSession).where(col(WebSession.expires_at) < before))
    return deleted.rowcount or 0


def delete_web_sessions_of(session: Session, user_id: int) -> int:
    deleted = session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))
    return deleted.rowcount or 0


def web_sessions_of(session: Session, user_id: int) -> list[WebSession]:
    return list(session.exec(select(WebSession).where(WebSession.user_id == user_id)))


# --------------------------------------------------------------------------- failed sign-ins


def failures_since(
    session: Session, *, since: datetime, username: str | None = None, client_ip: str | None = None
) -> tuple[int, datetime | None]:
    """How many failures match since `since`, and the oldest of them."""
    q = select(func.count(col(LoginAttempt.id)), func.min(col(LoginAttempt.at))).where(
        LoginAttempt.at >= since
    )
    if username is not None:
        q = q.where(LoginAttempt.username == username)
    if client_ip is not None:
        q = q.where(LoginAttempt.client_ip == client_ip)
    count, oldest = session.exec(q).one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)  # aggregate results bypass the column type
    return int(count or 0), oldest


def clear_failures(session: Session, *, username: str) -> None:
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.username) == username))


def delete_old_failures(session: Session, before: datetime) -> None:
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < before))


# --------------------------------------------------------------------------- API tokens


def get_api_token(session: Session, token_hash: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()


def end_api_tokens_of(session: Session, user_id: int, at: datetime) -> int:
    """Make every token of a user that is still valid at `at` expire then; how many."""
    expires_at = col(ApiToken.expires_at)
    live = (col(ApiToken.user_id) == user_id) & (expires_at.is_(None) | (expires_at > at))
    return session.exec(update(ApiToken).where(live).values(expires_at=at)).rowcount or 0


def api_tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.exec(select(ApiToken).where(ApiToken.user_id == user_id).order_by(col(ApiToken.id)))
    )


# --------------------------------------------------------------------------- aggregates


def case_counts_by_institution_and_state(session: Session) -> list[tuple[str, str, int]]:
    rows = session.exec(
        select(Institution.code, Case.state, func.count(col(Case.id)))
        .join(Institution, col(Institution.id) == Case.institution_id)
        .group_by(col(Institution.code), col(Case.state))
    ).all()
    return [(code, state, int(n)) for code, state, n in rows]


def case_counts_by_institution_and_outcome(session: Session) -> list[tuple[str, str, int]]:
    outcome = col(Case.outcome)
    rows = session.exec(
        select(Institution.code, outcome, func.count(col(Case.id)))
        .join(Institution, col(Institution.id) == Case.institution_id)
        .where(outcome.is_not(None))
        .group_by(col(Institution.code), outcome)
    ).all()
    return [(code, outcome, int(n)) for code, outcome, n in rows if outcome is not None]


def case_state_counts(session: Session, *, institution_id: int | None = None) -> dict[str, int]:
    q = select(Case.state, func.count(col(Case.id))).group_by(col(Case.state))
    if institution_id is not None:
        q = q.where(Case.institution_id == institution_id)
    return {state: int(n) for state, n in session.exec(q).all()}


def assignments_with_cases(
    session: Session,
    *,
    reviewer_id: int | None = None,
    statuses: tuple[str, ...] | None = None,
    open_cases_only: bool = True,
) -> list[tuple[Assignment, Case]]:
    q = select(Assignment, Case).join(Case, col(Case.id) == Assignment.case_id)
    if reviewer_id is not None:
        q = q.where(Assignment.reviewer_id == reviewer_id)
    if statuses:
        q = q.where(col(Assignment.status).in_(list(statuses)))
    if open_cases_only:
        q = q.where(col(Case.state).not_in(FINISHED))
    q = q.order_by(col(Assignment.due_at), col(Assignment.id))
    return [(a, c) for a, c in session.exec(q).all()]
