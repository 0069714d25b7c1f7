"""The scheduled sweep: deadlines, reminders, replacement of late reviewers, expired approvals, and
automated stages whose kick failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from qa_engine.domain.case_states import AUTOMATED, REVIEWING
from qa_engine.domain.roles import SYSTEM
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import assignments, audit, cases, notifications
from qa_engine.services.context import now, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo


@dataclass
class SweepResult:
    expired_invitations: list[int] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    replaced: list[int] = field(default_factory=list)
    re_review_cases: list[int] = field(default_factory=list)
    to_advance: set[int] = field(default_factory=set)

    def summary(self) -> str:
        return (
            f"{len(self.expired_invitations)} invitation(s) expired, "
            f"{len(self.reminders)} reminder(s), "
            f"{len(self.replaced)} late review(s) replaced, "
            f"{len(self.re_review_cases)} re-review case(s) opened, "
            f"{len(self.to_advance)} case(s) to advance"
        )


def sweep(*, session: Session) -> SweepResult:
    """Apply every deadline rule once; safe to run as often as wished (each effect has a unique
    key)."""
    settings = workflow_settings()
    t = now()
    result = SweepResult()

    # invitations nobody answered
    for asg in case_repo.assignments_with_status_due_before(
        session, AssignmentStatus.INVITED, "respond_by", t
    ):
        assignments.replace_assignment(
            session,
            asg,
            actor=SYSTEM,
            why="the invitation was not answered in time",
            status=AssignmentStatus.EXPIRED,
        )
        result.expired_invitations.append(saved_id(asg))
        result.to_advance.add(asg.case_id)

    # reminders and replacement of accepted reviews
    for asg in case_repo.open_assignments(session):
        if asg.status != AssignmentStatus.ACCEPTED or asg.due_at is None:
            continue
        overdue_days = (t - asg.due_at).total_seconds() / 86400
        if (
            overdue_days >= settings.replace_after_days_overdue
            and settings.replace_after_days_overdue > 0
        ):
            assignments.replace_assignment(session, asg, actor=SYSTEM, why="the review was overdue")
            result.replaced.append(saved_id(asg))
            result.to_advance.add(asg.case_id)
            continue
        for d in settings.reminders.days_before_due:
            if asg.due_at - timedelta(days=d) <= t < asg.due_at:
                if assignments.send_reminder(session, asg, label=f"before{d}"):
                    result.reminders.append(f"{asg.id}:before{d}")
        for d in settings.reminders.days_after_due:
            if t >= asg.due_at + timedelta(days=d):
                if assignments.send_reminder(session, asg, label=f"after{d}"):
                    result.reminders.append(f"{asg.id}:after{d}")

    # approvals that ran out: a re-review case opens
    for case, decision in case_repo.expired_approvals(session, t):
        expired_at = decision.valid_until
        if expired_at is None:  # never returned: only an approval with an end date runs out
            continue
        new = (
            cases.open_case(
                session=session,
                actor=SYSTEM,
                credential_id=case.credential_id,
                previous_case_id=case.id,
            )
            if case_repo.open_case_for_credential(session, case.credential_id) is None
            else None
        )
        if new is None:
            continue
        new_id = saved_id(new)
        result.re_review_cases.append(new_id)
        result.to_advance.add(new_id)
        version = cases.credential_version_of(session, new)
        notifications.queue(
            session=session,
            key=f"re_review:{case.id}",
            template="re_review_opened",
            recipient=version.data.get("contact_email") or "qa-office@4euplus.eu",
            case_id=new_id,
            context={
                "case_id": new_id,
                "previous_case_id": case.id,
                "credential_title": version.data.get("title", ""),
                "expired_on": expired_at.date().isoformat(),
            },
        )

    # automated stages left behind (a kick that failed), and waits that can move on
    stale = t - timedelta(minutes=settings.kick_retry_after_minutes)
    for case in case_repo.cases_idle_in(session, [s.value for s in AUTOMATED], stale):
        result.to_advance.add(saved_id(case))
    for case in case_repo.list_cases(session, states=REVIEWING):
        need = assignments.case_need(session, case)
        submitted = case_repo.submitted_review_count(session, saved_id(case), case.round)
        if need.needed > 0 or submitted >= assignments.required_reviews(case):
            result.to_advance.add(saved_id(case))
    if result.expired_invitations or result.reminders or result.replaced or result.re_review_cases:
        audit.record(
            session,
            actor=SYSTEM,
            action="sweep.done",
            subject_type="engine",
            subject_id="sweep",
            payload={"summary": result.summary()},
        )
    return result
