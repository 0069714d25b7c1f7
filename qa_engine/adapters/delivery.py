"""Deliver queued notifications through the configured mailer, one transaction per message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa_engine.adapters.mail import build_message, mailer_from_settings, render, templates_dir
from qa_engine.config import get_settings
from qa_engine.domain.errors import QAError
from qa_engine.services.context import now
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Notification


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0


def deliver_pending(*, case_ids: Sequence[int] | None = None, limit: int = 500) -> DeliveryResult:
    """Send the pending messages of the given cases (every one, `limit` at a time), or of all cases
    (at most `limit`: the sweep's share per pass); a failure is kept for the next sweep."""
    settings = get_settings()
    mailer = mailer_from_settings(settings)
    folder = templates_dir(settings)
    result = DeliveryResult()
    after = 0
    while True:
        with session_scope() as session:
            ids = [n.id for n in case_repo.pending_notifications(session, case_ids=case_ids, limit=limit,
                                                                 after_id=after)]
        _deliver(ids, mailer, folder, settings, result)
        if case_ids is None or len(ids) < limit:
            return result
        after = ids[-1]  # onwards: a message that failed in this pass waits for the next sweep


def _deliver(ids: Sequence[int], mailer, folder, settings, result: DeliveryResult) -> None:
    for nid in ids:
        with session_scope() as session:
            note = session.get(Notification, nid)
            if note is None or note.status != "pending":
                continue
            note.attempts += 1
            try:
                subject, body = render(note.template, {"base_url": settings.base_url, **note.context},
                                       templates_dir=folder)
                message = build_message(key=note.key, recipient=note.recipient, subject=subject, body=body,
                                        sender=settings.mail_from)
                mailer.send(message, note.key)
            except QAError as exc:
                note.last_error = exc.message[:2000]
                if note.attempts >= 5:
                    note.status = "failed"
                result.failed += 1
            else:
                note.status = "sent"
                note.sent_at = now()
                note.last_error = ""
                result.sent += 1
            session.add(note)
