"""The sweep: deadlines, reminders (each once), replacement of late reviewers, expired approvals,
stalled cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import assignments
from qa_engine.services.context import now, set_clock
from qa_engine.services.sweep import sweep
from qa_engine.store import case_repo
from tests.helpers import people, to_state


@pytest.fixture
def p(session):
    yield people(session)
    set_clock(None)


def _later(days: float):
    set_clock(now() + timedelta(days=days))


def test_unanswered_invitation_expires_and_is_replaced(session, p):
    case_id = to_state(session, p, "invited")
    _later(8)
    result = sweep(session=session)
    asg = case_repo.assignments_of(session, case_id)
    assert {a.status for a in asg} == {AssignmentStatus.EXPIRED}
    assert case_id in result.to_advance
    assert assignments.case_need(session, case_repo.get_case(session, case_id)).needed == 2
    replaced = [
        n for n in case_repo.notifications_of(session, case_id=case_id) if n.template == "replaced"
    ]
    assert len(replaced) == 2
    again = sweep(session=session)
    assert again.expired_invitations == []


def test_reminders_once_each_then_replacement(session, p):
    case_id = to_state(session, p, "peer_review")
    asg = case_repo.assignments_of(session, case_id)[0]
    due = asg.due_at
    set_clock(due - timedelta(days=1, hours=12))  # within 2 days of the deadline
    first = sweep(session=session)
    assert f"{asg.id}:before2" in first.reminders
    assert f"{asg.id}:before7" in first.reminders  # 7 days before has also passed
    assert sweep(session=session).reminders == []  # no reminder twice
    set_clock(due + timedelta(days=1, hours=1))
    assert f"{asg.id}:after1" in sweep(session=session).reminders
    set_clock(due + timedelta(days=7, hours=1))
    late = sweep(session=session)
    assert asg.id in late.replaced
    session.refresh(asg)
    assert asg.status == AssignmentStatus.REPLACED
    reminders = [
        n
        for n in case_repo.notifications_of(session, case_id=case_id)
        if n.template == "reminder" and n.key.startswith(f"reminder:{asg.id}:")
    ]
    assert len(reminders) == 3


def test_expired_approval_opens_a_re_review_case_once(session, p):
    case_id = to_state(session, p, "closed")
    decision = case_repo.get_decision(session, case_id, 1)
    set_clock(decision.valid_until + timedelta(days=1))
    result = sweep(session=session)
    assert len(result.re_review_cases) == 1
    new = case_repo.get_case(session, result.re_review_cases[0])
    assert (
        new.previous_case_id == case_id
        and new.credential_id == case_repo.get_case(session, case_id).credential_id
    )
    assert new.state == CaseState.SUBMITTED
    assert sweep(session=session).re_review_cases == []


def test_stalled_automated_case_is_picked_up(session, p):
    case_id = to_state(session, p, "submitted")
    assert case_id not in sweep(session=session).to_advance
    _later(1)
    assert case_id in sweep(session=session).to_advance
