"""Queries for the rubric lifecycle: the stored versions of a rubric, which is active, and
whether a version has been replayed on past decisions."""

from __future__ import annotations

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from qa_engine.store.models import AuditEvent, RubricRelease, RubricSnapshot

REPLAYED = "rubric.replayed"  # the audit action the replay of a rubric version records


def active_release(
    session: Session, rubric_id: str, *, for_update: bool = False
) -> RubricRelease | None:
    query = select(RubricRelease).where(RubricRelease.active_key == rubric_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).one_or_none()


def releases_of(session: Session, rubric_id: str) -> list[RubricRelease]:
    return list(
        session.exec(
            select(RubricRelease)
            .where(RubricRelease.rubric_id == rubric_id)
            .order_by(col(RubricRelease.id))
        )
    )


def release_of_snapshot(session: Session, snapshot_id: int) -> RubricRelease | None:
    return session.exec(
        select(RubricRelease).where(RubricRelease.snapshot_id == snapshot_id)
    ).one_or_none()


def list_releases(session: Session) -> list[RubricRelease]:
    return list(session.exec(select(RubricRelease).order_by(col(RubricRelease.id))))


def snapshots_of(session: Session, rubric_id: str) -> list[RubricSnapshot]:
    """Every stored version of a rubric, oldest first."""
    return list(
        session.exec(
            select(RubricSnapshot)
            .where(RubricSnapshot.rubric_id == rubric_id)
            .order_by(col(RubricSnapshot.id))
        )
    )


def snapshot_versions(session: Session) -> list[tuple[int, str, str, str, str]]:
    """(id, rubric id, version, title, content hash) of every stored version, without their
    content."""
    rows = session.execute(
        sa_select(
            col(RubricSnapshot.id),
            col(RubricSnapshot.rubric_id),
            col(RubricSnapshot.version),
            col(RubricSnapshot.title),
            col(RubricSnapshot.content_hash),
        ).order_by(col(RubricSnapshot.rubric_id), col(RubricSnapshot.id))
    ).all()
    return [(i, r, v, t, h) for i, r, v, t, h in rows if i is not None]


def replay_event(session: Session, rubric_id: str, content_hash: str) -> AuditEvent | None:
    """The latest audit event saying that this rubric content was replayed on past decisions."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == REPLAYED).order_by(col(AuditEvent.seq).desc())
    )
    for event in events:
        payload = event.payload or {}
        if payload.get("rubric_id") == rubric_id and payload.get("content_hash") == content_hash:
            return event
    return None
