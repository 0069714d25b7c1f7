"""Appending to and reading the audit chain."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select, text
from sqlmodel import Session

from qa_engine.domain.audit import GENESIS, ChainEvent, event_hash
from qa_engine.store.models import AuditEvent
from qa_engine.store.types import utcnow

PG_AUDIT_LOCK = 0x4155_4449  # "AUDI": one appender at a time, held to the end of the transaction


def append(session: Session, *, actor: str, action: str, subject_type: str, subject_id: str | int,
           payload: dict | None = None) -> AuditEvent:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = utcnow()
    payload = _jsonable(payload or {})
    ev = AuditEvent(
        seq=seq, at=at, actor=actor, action=action, subject_type=subject_type,
        subject_id=str(subject_id), payload=payload, prev_hash=prev,
        hash=event_hash(prev_hash=prev, seq=seq, at=at, actor=actor, action=action,
                        subject_type=subject_type, subject_id=str(subject_id), payload=payload),
    )
    session.add(ev)
    session.flush()
    return ev


def _jsonable(value):
    import json

    from qa_engine.domain.audit import canonical_json

    return json.loads(canonical_json(value))


def iter_chain(session: Session, batch: int = 5000) -> Iterator[ChainEvent]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        for r in rows:
            yield ChainEvent(r.seq, r.at, r.actor, r.action, r.subject_type, r.subject_id,
                             r.payload, r.prev_hash, r.hash)
        last = rows[-1].seq


def events_for(session: Session, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def last_seq_for(session: Session, subject_type: str, subject_id: str | int) -> int:
    from sqlalchemy import func

    value = session.execute(
        select(func.max(AuditEvent.seq))
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
    ).scalar_one()
    return int(value or 0)
