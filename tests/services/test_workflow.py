"""The whole cycle through the services on both databases (no Prefect here: see test_flows)."""

from __future__ import annotations

import pytest

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.errors import (
    Conflict,
    ConflictOfInterest,
    Forbidden,
    InvalidTransition,
    NotFound,
    StaleUpdate,
    ValidationFailed,
)
from qa_engine.domain.statuses import AssignmentStatus, SelfAssessmentStatus
from qa_engine.services import (
    access,
    assignments,
    audit,
    decisions,
    reviews,
    self_assessments,
)
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from tests.helpers import drive, full_review, full_self_assessment, people, to_state


@pytest.fixture
def p(session):
    return people(session)


def test_full_cycle_to_closed(session, p):
    case_id = to_state(session, p, "closed")
    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.CLOSED and case.outcome == "approved"
    decision = case_repo.get_decision(session, case_id, 1)
    assert decision.valid_until is not None
    # the reports, then the interop exports of the approval
    assert [r.kind for r in case_repo.reports_of(session, case_id)] == [
        "pdf",
        "xlsx",
        "elm",
        "edc",
        "ob3",
        "deqar",
    ]
    actions = [e.action for e in audit.audit_repo.events_for(session, "case", case_id)]
    for expected in (
        "case.opened",
        "case.screening",
        "case.self_assessment",
        "self_assessment.submitted",
        "case.assignment",
        "assignment.invited",
        "case.peer_review",
        "review.submitted",
        "case.consolidation",
        "case.approval",
        "case.reporting",
        "report.requested",
        "case.closed",
    ):
        assert expected in actions, expected
    count, problems = audit.verify(session)
    assert problems == []
    keys = [n.key for n in case_repo.notifications_of(session, case_id=case_id)]
    assert any(k.startswith("invitation:") for k in keys) and any(
        k.startswith("decision:") for k in keys
    )


def test_screening_returns_a_credential_missing_elements(session, p):
    # A stored credential edited behind the model's back (e.g. an older import) lacks learning
    # outcomes
    case_id = to_state(session, p, "submitted")
    case = case_repo.get_case(session, case_id)
    version = case_service.credential_version_of(session, case)
    version.data = {**version.data, "learning_outcomes": [], "assessment_type": ""}
    session.add(version)
    session.flush()
    drive(session, case_id)
    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.RETURNED
    text = "\n".join(case.screening_problems)
    assert "learning_outcomes" in text and "assessment_type" in text
    assert any(
        n.template == "returned" for n in case_repo.notifications_of(session, case_id=case_id)
    )


def test_revision_opens_a_new_round_and_keeps_history(session, p):
    case_id = to_state(session, p, "approval")
    decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case_id,
        outcome="revision_requested",
        rationale="Assessment methods need work.",
        conditions=["Describe the oral exam"],
    )
    drive(session, case_id)
    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.SELF_ASSESSMENT and case.round == 2
    assert case_repo.get_decision(session, case_id, 1).outcome == "revision_requested"
    assert len(case_repo.reviews_of(session, case_id, 1)) == 2
    assert (
        case_repo.get_self_assessment(session, case_id, 1).status == SelfAssessmentStatus.SUBMITTED
    )
    assert case_repo.get_self_assessment(session, case_id, 2) is None


def test_disagreement_requests_one_extra_reviewer(session, p):
    case_id = to_state(session, p, "approval", scores=(0, 4))
    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.PEER_REVIEW
    assert case.extra_reviewers_requested == 1
    assert any(
        n.template == "assignment_needed"
        for n in case_repo.notifications_of(session, case_id=case_id)
    )
    plan_, _ = assignments.propose(session=session, actor=p["officer"], case_id=case_id)
    assert len(plan_.proposals) == 1


def test_hard_rules_enforced_on_manual_assignment(session, p):
    case_id = to_state(session, p, "assignment", index=0)
    case = case_repo.get_case(session, case_id)
    same_inst = next(
        a
        for a in p.values()
        if a.username.startswith("rev.") and a.institution_id == case.institution_id
    )
    with pytest.raises(ConflictOfInterest, match="same institution"):
        assignments.assign(
            session=session, actor=p["officer"], case_id=case_id, reviewer_ids=[same_inst.user_id]
        )
    with pytest.raises(Forbidden):
        assignments.assign(
            session=session, actor=p["approver"], case_id=case_id, reviewer_ids=[same_inst.user_id]
        )


def test_declined_with_conflict_is_recorded_and_blocks(session, p):
    case_id = to_state(session, p, "invited")
    asg = case_repo.assignments_of(session, case_id)[0]
    reviewer = next(v for v in p.values() if v.user_id == asg.reviewer_id)
    with pytest.raises(ValidationFailed):
        assignments.respond(session=session, actor=reviewer, assignment_id=asg.id, accept=False)
    assignments.respond(
        session=session,
        actor=reviewer,
        assignment_id=asg.id,
        accept=False,
        conflict=True,
        reason="I co-taught this course",
    )
    case = case_repo.get_case(session, case_id)
    need = assignments.case_need(session, case)
    assert need.needed == 1 and asg.reviewer_id in need.excluded_reviewers
    with pytest.raises(ConflictOfInterest):
        assignments.assign(
            session=session, actor=p["officer"], case_id=case_id, reviewer_ids=[asg.reviewer_id]
        )


def test_reviewer_visibility_rules(session, p):
    case_id = to_state(session, p, "peer_review")
    a1, a2 = case_repo.assignments_of(session, case_id)
    r1 = next(v for v in p.values() if v.user_id == a1.reviewer_id)
    r2 = next(v for v in p.values() if v.user_id == a2.reviewer_id)
    rubric = case_service.rubric_of(session, case_repo.get_case(session, case_id))
    reviews.save_review(
        session=session,
        actor=r2,
        assignment_id=a2.id,
        entries=full_review(rubric, 2),
        recommendation="approved",
        submit=True,
    )
    # r1 has not submitted: sees nothing of r2's review
    assert [
        v.mine for v in reviews.visible_reviews(session=session, actor=r1, case_id=case_id)
    ] == []
    reviews.save_review(
        session=session,
        actor=r1,
        assignment_id=a1.id,
        entries=full_review(rubric, 3),
        recommendation="approved",
        submit=False,
    )
    assert [
        v.mine for v in reviews.visible_reviews(session=session, actor=r1, case_id=case_id)
    ] == [True]
    reviews.save_review(
        session=session,
        actor=r1,
        assignment_id=a1.id,
        entries=full_review(rubric, 3),
        recommendation="approved",
        submit=True,
    )
    seen = reviews.visible_reviews(session=session, actor=r1, case_id=case_id)
    assert len(seen) == 2 and all(v.reviewer_name is None for v in seen)
    # the provider sees nothing before the decision
    prov = (
        p["prov.cuni"]
        if case_repo.get_case(session, case_id).institution_id == p["prov.cuni"].institution_id
        else None
    )
    if prov:
        assert reviews.visible_reviews(session=session, actor=prov, case_id=case_id) == []
    # another reviewer, not assigned: the case does not exist for them
    outsider = next(
        v
        for v in p.values()
        if v.username.startswith("rev.") and v.user_id not in (r1.user_id, r2.user_id)
    )
    with pytest.raises(NotFound):
        access.case_for(session, outsider, case_id)
    with pytest.raises(NotFound):
        access.case_for(session, outsider, 999999)


def test_same_reviewer_cannot_submit_twice(session, p):
    case_id = to_state(session, p, "peer_review")
    a1 = case_repo.assignments_of(session, case_id)[0]
    r1 = next(v for v in p.values() if v.user_id == a1.reviewer_id)
    rubric = case_service.rubric_of(session, case_repo.get_case(session, case_id))
    reviews.save_review(
        session=session,
        actor=r1,
        assignment_id=a1.id,
        entries=full_review(rubric),
        recommendation="approved",
        submit=True,
    )
    with pytest.raises(Conflict, match="already submitted"):
        reviews.save_review(
            session=session,
            actor=r1,
            assignment_id=a1.id,
            entries=full_review(rubric),
            recommendation="approved",
            submit=True,
        )


def test_a_write_from_a_stale_version_is_refused(session, p):
    case_id = to_state(session, p, "peer_review")
    a1 = case_repo.assignments_of(session, case_id)[0]
    r1 = next(v for v in p.values() if v.user_id == a1.reviewer_id)
    rubric = case_service.rubric_of(session, case_repo.get_case(session, case_id))
    first = reviews.save_review(
        session=session,
        actor=r1,
        assignment_id=a1.id,
        entries=full_review(rubric),
        recommendation="approved",
    )
    loaded = first.version
    kept = dict(
        reviews.save_review(
            session=session,
            actor=r1,
            assignment_id=a1.id,
            entries=full_review(rubric, 2),
            recommendation="approved",
            expected_version=loaded,
        ).scores
    )
    stale = (
        f"the review changed since you loaded it \\(version {loaded + 1}, yours {loaded}\\); "
        "reload it"
    )
    with pytest.raises(StaleUpdate, match=stale):
        reviews.save_review(
            session=session,
            actor=r1,
            assignment_id=a1.id,
            entries=full_review(rubric, 4),
            recommendation="approved",
            expected_version=loaded,
        )
    with pytest.raises(
        StaleUpdate, match=stale
    ):  # refused before the entries are read: even invalid ones
        reviews.save_review(
            session=session,
            actor=r1,
            assignment_id=a1.id,
            entries={"nonsense": 9},
            recommendation="approved",
            expected_version=loaded,
        )
    stored = case_repo.review_for_assignment(session, a1.id)
    assert (stored.version, stored.scores) == (loaded + 1, kept)
    case = case_repo.get_case(session, case_id)
    with pytest.raises(StaleUpdate, match=f"case {case_id} changed since you loaded it"):
        case_service.withdraw_case(
            session=session,
            actor=p["officer"],
            case_id=case_id,
            reason="A test.",
            expected_version=case.version - 1,
        )
    assert case_repo.get_case(session, case_id).state == CaseState.PEER_REVIEW


def test_wrong_state_and_wrong_role(session, p):
    case_id = to_state(session, p, "self_assessment")
    with pytest.raises(InvalidTransition):
        decisions.decide(
            session=session,
            actor=p["approver"],
            case_id=case_id,
            outcome="approved",
            rationale="Looks fine to me.",
        )
    with pytest.raises(Forbidden):
        decisions.decide(
            session=session,
            actor=p["officer"],
            case_id=case_id,
            outcome="approved",
            rationale="Looks fine to me.",
        )
    case = case_repo.get_case(session, case_id)
    rubric = case_service.rubric_of(session, case)
    other_provider = next(
        v for k, v in p.items() if k.startswith("prov.") and v.institution_id != case.institution_id
    )
    with pytest.raises(NotFound):
        self_assessments.save_self_assessment(
            session=session,
            actor=other_provider,
            case_id=case_id,
            entries=full_self_assessment(rubric),
            submit=True,
        )


def test_withdraw_ends_open_assignments(session, p):
    case_id = to_state(session, p, "invited")
    case = case_repo.get_case(session, case_id)
    prov = next(
        v for k, v in p.items() if k.startswith("prov.") and v.institution_id == case.institution_id
    )
    with pytest.raises(ValidationFailed):
        case_service.withdraw_case(session=session, actor=prov, case_id=case_id, reason=" ")
    case_service.withdraw_case(
        session=session, actor=prov, case_id=case_id, reason="Course cancelled"
    )
    assert case_repo.get_case(session, case_id).state == CaseState.WITHDRAWN
    assert {a.status for a in case_repo.assignments_of(session, case_id)} == {
        AssignmentStatus.WITHDRAWN
    }
    with pytest.raises(InvalidTransition):
        case_service.withdraw_case(session=session, actor=prov, case_id=case_id, reason="again")
