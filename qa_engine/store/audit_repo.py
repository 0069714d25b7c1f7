"""Appending to and reading the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from qa_engine.domain.audit import ChainEvent, ChainHead, NewEvent, canonical_json, link
from qa_engine.store.models import AuditEvent
from qa_engine.store.types import utcnow

PG_AUDIT_LOCK = 0x4155_4449  # "AUDI": one appender at a time, held to the end of the transaction


def lock_chain(db: Session | Connection) -> None:
    """Hold the chain for this transaction (PostgreSQL; SQLite's single writer already does)."""
    bind = db.get_bind() if isinstance(db, Session) else db
    if bind.dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_AUDIT_LOCK})


def head(db: Session | Connection) -> ChainHead:
    """The chain's last event as it is in the database now."""
    seq = col(AuditEvent.seq)
    last = db.execute(select(seq, AuditEvent.hash).order_by(seq.desc()).limit(1)).first()
    return ChainHead(last[0], last[1]) if last else ChainHead()


def row(event: ChainEvent) -> dict[str, Any]:
    """The audit_event columns of a linked event (without the id)."""
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event (stamped now unless `at` is given) to the chain."""
    lock_chain(session)
    new = NewEvent(
        at or utcnow(), actor, action, subject_type, str(subject_id), _jsonable(payload or {})
    )
    (event,) = link(head(session), [new])
    ev = AuditEvent(**row(event))
    session.add(ev)
    session.flush()
    return ev


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads back from a JSON column (dates and other values become strings)."""
    loaded: dict[str, Any] = json.loads(canonical_json(value))
    return loaded


def iter_chain(session: Session, batch: int = 5000) -> Iterator[ChainEvent]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > last)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield ChainEvent(
                r.seq,
                r.at,
                r.actor,
                r.action,
                r.subject_type,
                r.subject_id,
                r.payload,
                r.prev_hash,
                r.hash,
            )
        last = rows[-1].seq


def events_for(session: Session, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
            )
            .order_by(col(AuditEvent.seq))
        )
    )


def last_seq_for(session: Session, subject_type: str, subject_id: str | int) -> int:
    value = session.exec(
        select(func.max(col(AuditEvent.seq))).where(
            AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
        )
    ).one()
    return int(value or 0)
