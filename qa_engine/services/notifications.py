"""Queue outgoing messages exactly once (by key); delivery is an adapter's job."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.store import case_repo
from qa_engine.store.models import Notification, User


def queue(*, session: Session, key: str, recipient: User | str, template: str, context: dict,
          case_id: int | None = None) -> Notification:
    """Create the message with this key unless it already exists; return it either way."""
    existing = case_repo.get_notification_by_key(session, key)
    if existing is not None:
        return existing
    if isinstance(recipient, User):
        email, user_id, name = recipient.email, recipient.id, recipient.full_name
    else:
        email, user_id, name = recipient, None, recipient
    note = Notification(key=key, recipient=email, recipient_user_id=user_id, template=template,
                        context={"recipient_name": name, **context}, case_id=case_id)
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:  # queued at the same moment by another run: keep theirs
        found = case_repo.get_notification_by_key(session, key)
        if found is None:
            raise
        return found
    return note
