"""Why a case needs reviewers, as the QA officers are told: an extra reviewer names the criteria
the reviewers disagree on and their scores; a replacement says whom it replaces and why."""

from __future__ import annotations

import pytest

from qa_engine.adapters.mail import render
from qa_engine.config import packaged
from qa_engine.domain.case_states import CaseState
from qa_engine.services import assignments, reviews
from qa_engine.services import cases as case_service
from qa_engine.store import audit_repo, case_repo
from tests.helpers import drive, full_review, people, to_state

MAIL = packaged("qa_engine.reports", "mail")


@pytest.fixture
def p(session):
    return people(session)


def _mails(session, case_id: int) -> list[tuple[str, str]]:
    return [
        render(n.template, {"base_url": "https://qa.example.eu", **n.context}, templates_dir=MAIL)
        for n in case_repo.notifications_of(session, case_id=case_id)
        if n.template == "assignment_needed"
    ]


def _reviewer(p, asg):
    return next(v for v in p.values() if v.user_id == asg.reviewer_id)


def test_a_yes_no_disagreement_names_the_criterion_and_the_answers(session, p):
    case_id = to_state(session, p, "peer_review")
    case = case_repo.get_case(session, case_id)
    rubric = case_service.rubric_of(session, case)
    for asg, stackable in zip(
        case_repo.assignments_of(session, case_id), (True, False), strict=True
    ):
        entries = full_review(rubric, 3)
        entries["dg-stackable"]["score"] = stackable
        reviews.save_review(
            session=session,
            actor=_reviewer(p, asg),
            assignment_id=asg.id,
            entries=entries,
            recommendation="approved",
            submit=True,
        )
    drive(session, case_id)
    assert case.state == CaseState.PEER_REVIEW and case.extra_reviewers_requested == 1
    reason = (
        "An extra reviewer: the reviewers disagree on dg-stackable “Stackable towards at least "
        "one degree or credential” (yes, no)."
    )
    # recorded with the request
    event = [
        e
        for e in audit_repo.events_for(session, "case", case_id)
        if e.action == "case.peer_review" and e.payload.get("extra_reviewer")
    ][-1]
    assert event.payload["reason"] == reason
    assert event.payload["disagreements"] == [
        {
            "criterion": "dg-stackable",
            "title": "Stackable towards at least one degree or credential",
            "scores": ["yes", "no"],
        }
    ]
    assert assignments.reviewer_needs(session, case) == [assignments.ReviewerNeed(reason)]
    subject, body = _mails(session, case_id)[-1]
    assert subject.startswith("1 reviewer needed for ")
    assert f"Why: {reason}" in " ".join(body.split("\n"))
    assert "replaced" not in body


def test_a_declined_invitation_asks_for_a_replacement_with_its_reason(session, p):
    case_id = to_state(session, p, "invited")
    case = case_repo.get_case(session, case_id)
    first, second = case_repo.assignments_of(session, case_id)
    assignments.respond(
        session=session,
        actor=_reviewer(p, first),
        assignment_id=first.id,
        accept=False,
        reason="On leave until March",
    )
    drive(session, case_id)
    needs = assignments.reviewer_needs(session, case)
    assert len(needs) == 1 and needs[0].replacement
    assert needs[0].reason.startswith("A replacement for ")
    assert needs[0].reason.endswith(
        f"who declined the invitation on {first.responded_at:%Y-%m-%d}: “On leave until March”."
    )
    subject, body = _mails(session, case_id)[-1]
    assert subject.startswith("Replacement reviewer needed for ")
    assert "needs\na replacement reviewer." in body and "On leave until March" in body
    # once a replacement is invited, nothing is asked for any more
    plan_, _ = assignments.propose(session=session, actor=p["officer"], case_id=case_id)
    assignments.assign(
        session=session,
        actor=p["officer"],
        case_id=case_id,
        reviewer_ids=[plan_.proposals[0].reviewer_id],
    )
    assert assignments.reviewer_needs(session, case) == []
