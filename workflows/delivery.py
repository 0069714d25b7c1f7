"""Deliver queued notifications through the configured mailer, one transaction per message.

The notifications service decides what a delivery attempt changes (attempts, sent, failed for
good); `qa_engine.adapters.mail` renders the message and hands it to the mail server or outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa_engine.adapters.mail import build_message, mailer_from_settings, render, templates_dir
from qa_engine.config import Settings, get_settings
from qa_engine.services import notifications
from qa_engine.services.context import now
from qa_engine.store.db import session_scope
from qa_engine.store.models import Notification


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0


def deliver_pending(*, case_ids: Sequence[int] | None = None, limit: int = 500) -> DeliveryResult:
    """Send the pending messages of the given cases (every one, `limit` at a time), or of all cases
    (at most `limit`: the sweep's share per pass); a failure is kept for the next sweep."""
    send = _sender(get_settings())
    result = DeliveryResult()
    after = 0
    while True:
        with session_scope() as session:
            ids = notifications.pending_ids(
                session=session, case_ids=case_ids, limit=limit, after_id=after
            )
        for nid in ids:
            with session_scope() as session:
                # The message's row stays locked until its transaction ends: another deliverer (a
                # worker's run on another host, the sweep) waits here, then finds it sent, instead
                # of sending it a second time. SQLite's writers are serialised already.
                session.get(Notification, nid, with_for_update=True)
                sent = notifications.deliver(session=session, notification_id=nid, send=send)
            if sent is True:
                result.sent += 1
            elif sent is False:
                result.failed += 1
        if case_ids is None or len(ids) < limit:
            return result
        after = ids[-1]  # onwards: a message that failed in this pass waits for the next sweep


def _sender(settings: Settings) -> Callable[[Notification], None]:
    """Render a queued message with its template in its recipient's language and hand it to the
    configured mailer."""
    mailer = mailer_from_settings(settings)
    folder = templates_dir(settings)

    def send(note: Notification) -> None:
        subject, body = render(
            note.template,
            {"base_url": settings.base_url, **note.context},
            templates_dir=folder,
            language=note.context.get("language"),  # the recipient's, chosen when it was queued
        )
        message = build_message(
            key=note.key,
            recipient=note.recipient,
            subject=subject,
            body=body,
            sender=settings.mail_from,
            date=now(),  # the engine's clock, as the notification's sent_at
        )
        mailer.send(message, note.key)

    return send
