"""Outgoing messages: queued exactly once (by key); each delivery attempt recorded.

Rendering and sending are the mail adapter's; the delivery loop (one transaction per message)
runs beside the flows (`qa_engine.workflows.delivery`) and passes the sending in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.errors import QAError
from qa_engine.domain.statuses import NotificationStatus
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Notification, User

MAX_ATTEMPTS = 5


def queue(
    *,
    session: Session,
    key: str,
    recipient: User | str,
    template: str,
    context: dict[str, Any],
    case_id: int | None = None,
) -> Notification:
    """Create the message with this key unless it already exists; return it either way."""
    existing = case_repo.get_notification_by_key(session, key)
    if existing is not None:
        return existing
    if isinstance(recipient, User):
        email, user_id, name = recipient.email, recipient.id, recipient.full_name
    else:
        email, user_id, name = recipient, None, recipient
    note = Notification(
        key=key,
        recipient=email,
        recipient_user_id=user_id,
        template=template,
        context={"recipient_name": name, **context},
        case_id=case_id,
    )
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:  # queued at the same moment by another run: keep theirs
        found = case_repo.get_notification_by_key(session, key)
        if found is None:
            raise
        return found
    return note


def pending_ids(
    *, session: Session, case_ids: Sequence[int] | None = None, limit: int = 500, after_id: int = 0
) -> list[int]:
    """Return the ids of the messages still to be sent (of the given cases), oldest first."""
    return [
        saved_id(n)
        for n in case_repo.pending_notifications(
            session, case_ids=case_ids, limit=limit, max_attempts=MAX_ATTEMPTS, after_id=after_id
        )
    ]


def deliver(
    *, session: Session, notification_id: int, send: Callable[[Notification], None]
) -> bool | None:
    """Try to send one pending message with `send` and record the attempt.

    True: sent. False: `send` failed; the message is tried again by a later sweep, and given up
    (failed) after `MAX_ATTEMPTS` attempts. None: no such message, or no longer pending.
    """
    note = session.get(Notification, notification_id)
    if note is None or note.status != NotificationStatus.PENDING:
        return None
    note.attempts += 1
    try:
        send(note)
    except QAError as exc:
        note.last_error = exc.message[:2000]
        if note.attempts >= MAX_ATTEMPTS:
            note.status = NotificationStatus.FAILED
        sent = False
    else:
        note.status = NotificationStatus.SENT
        note.sent_at = now()
        note.last_error = ""
        sent = True
    session.add(note)
    session.flush()
    return sent
