"""Record and verify the audit trail."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from qa_engine.domain.audit import ChainProblem, verify_chain
from qa_engine.domain.roles import Actor
from qa_engine.store import audit_repo
from qa_engine.store.models import AuditEvent


def record(
    session: Session,
    *,
    actor: Actor | str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain."""
    name = actor if isinstance(actor, str) else actor.username
    return audit_repo.append(
        session,
        actor=name,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
    )


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain and report every broken link."""
    return verify_chain(audit_repo.iter_chain(session))
