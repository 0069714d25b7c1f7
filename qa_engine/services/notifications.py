"""Outgoing messages: queued exactly once (by key); each delivery attempt recorded.

Rendering and sending are the mail adapter's; the delivery loop (one transaction per message)
runs beside the flows (`qa_engine.workflows.delivery`) and passes the sending in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from qa_engine.domain import i18n
from qa_engine.domain.errors import QAError
from qa_engine.domain.statuses import NotificationStatus
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, Notification, User

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
    """Create the message with this key unless it already exists; return it either way.

    The message is written in the recipient's language (`recipient_language`), kept in its
    context as `language`: every attempt to send it renders the same text."""
    existing = case_repo.get_notification_by_key(session, key)
    if existing is not None:
        return existing
    if isinstance(recipient, User):
        email, user_id, name = recipient.email, recipient.id, recipient.full_name
    else:
        email, user_id, name = recipient, None, recipient
    language = recipient_language(session, recipient, case_id=case_id)
    note = Notification(
        key=key,
        recipient=email,
        recipient_user_id=user_id,
        template=template,
        context={"recipient_name": name, "language": language, **context},
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


def recipient_language(
    session: Session, recipient: User | str, *, case_id: int | None = None
) -> str:
    """The language a mail to `recipient` is written in: the account's preferred language, else
    the language of the account's institution (from its country), else English. A mail to an
    address (a credential's contact) is read by the account with that address when there is one,
    else by the case's provider institution."""
    user = recipient if isinstance(recipient, User) else _account_of(session, recipient)
    if user is not None:
        chosen = i18n.supported(user.language)
        if chosen:
            return chosen
        if user.institution_id is not None:
            country = repo.institution_country(session, user.institution_id)
            return i18n.of_country(country) or i18n.DEFAULT
        if isinstance(recipient, User):
            return i18n.DEFAULT
    case = session.get(Case, case_id) if case_id is not None else None
    if case is None:
        return i18n.DEFAULT
    return i18n.of_country(repo.institution_country(session, case.institution_id)) or i18n.DEFAULT


def _account_of(session: Session, address: str) -> User | None:
    """The active account with this e-mail address (one with a language set first)."""
    found = [u for u in session.exec(select(User).where(User.email == address.strip())) if u.active]
    return next((u for u in found if u.language), found[0] if found else None)


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
