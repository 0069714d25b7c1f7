"""Versioned drafts: "no draft yet" is version 0, and every write that started from another version
than the stored one is refused, so two tabs (or a tab and a sheet upload) never overwrite each
other silently."""

from __future__ import annotations

import pytest

from qa_engine.domain.errors import StaleUpdate, ValidationFailed
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import cases as case_service
from qa_engine.services import credentials, decisions, reviews, self_assessments
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from tests.helpers import credential, full_review, full_self_assessment, people, to_state


@pytest.fixture
def p(session):
    return people(session)


def _reviewer(session, p, case_id):
    asg = next(
        a
        for a in case_repo.assignments_of(session, case_id, 1)
        if a.status == AssignmentStatus.ACCEPTED
    )
    actor = next(v for v in p.values() if v.user_id == asg.reviewer_id)
    return actor, asg.id


def test_a_review_draft_starts_at_version_0_and_a_stale_first_save_is_refused(session, p):
    case_id = to_state(session, p, "peer_review")
    rubric = case_service.rubric_of(session, case_repo.get_case(session, case_id))
    actor, asg_id = _reviewer(session, p, case_id)
    full = full_review(rubric, 3)
    # two tabs opened before the first save: both start from version 0
    with pytest.raises(StaleUpdate):
        reviews.save_review(
            session=session, actor=actor, assignment_id=asg_id, entries={}, expected_version=1
        )
    first = reviews.save_review(
        session=session,
        actor=actor,
        assignment_id=asg_id,
        entries=full,
        recommendation="approved",
        expected_version=0,
    )
    assert first.version == 1
    one = next(iter(full))
    with pytest.raises(StaleUpdate, match="saved elsewhere"):
        reviews.save_review(
            session=session,
            actor=actor,
            assignment_id=asg_id,
            entries={one: {"score": 1, "comment": "Only this."}},
            expected_version=0,
        )
    stored = case_repo.review_for_assignment(session, asg_id)
    assert stored.version == 1 and stored.scores == {
        cid: e["score"] for cid, e in full.items() if e.get("score") is not None
    }
    assert stored.recommendation == "approved", "the first tab's full draft is intact"
    # a save after a draft: the loaded version passes, an older one is refused
    second = reviews.save_review(
        session=session,
        actor=actor,
        assignment_id=asg_id,
        entries=full,
        recommendation="rejected",
        expected_version=1,
    )
    assert second.version == 2
    with pytest.raises(StaleUpdate, match="version 2, yours 1"):
        reviews.save_review(
            session=session, actor=actor, assignment_id=asg_id, entries={}, expected_version=1
        )
    assert case_repo.review_for_assignment(session, asg_id).recommendation == "rejected"


def test_a_stale_review_save_is_refused_before_its_entries_are_checked(session, p):
    case_id = to_state(session, p, "peer_review")
    actor, asg_id = _reviewer(session, p, case_id)
    reviews.save_review(
        session=session, actor=actor, assignment_id=asg_id, entries={}, expected_version=0
    )
    with pytest.raises(StaleUpdate):
        reviews.save_review(
            session=session,
            actor=actor,
            assignment_id=asg_id,
            entries={"esg-1.1": {"score": 99}},
            expected_version=0,
        )


def test_a_self_assessment_draft_starts_at_version_0_and_stale_saves_are_refused(session, p):
    case_id = to_state(session, p, "self_assessment")
    rubric = case_service.rubric_of(session, case_repo.get_case(session, case_id))
    prov = p["prov.cuni"]
    full = full_self_assessment(rubric)
    with pytest.raises(StaleUpdate):
        self_assessments.save_self_assessment(
            session=session, actor=prov, case_id=case_id, entries={}, expected_version=3
        )
    assert case_repo.get_self_assessment(session, case_id, 1) is None, "nothing was written"
    sa = self_assessments.save_self_assessment(
        session=session,
        actor=prov,
        case_id=case_id,
        entries=full,
        summary="All of it.",
        expected_version=0,
    )
    assert sa.version == 1
    one = next(iter(full))
    for stale in (0, 2):
        with pytest.raises(StaleUpdate):
            self_assessments.save_self_assessment(
                session=session,
                actor=prov,
                case_id=case_id,
                entries={one: full[one]},
                expected_version=stale,
            )
    stored = case_repo.get_self_assessment(session, case_id, 1)
    assert stored.version == 1 and stored.entries.keys() == full.keys()
    assert stored.summary == "All of it."
    sa = self_assessments.save_self_assessment(
        session=session, actor=prov, case_id=case_id, entries=full, expected_version=1
    )
    assert sa.version == 2


def test_a_credential_edit_names_the_version_it_edited(session, p):
    cred_id = credential(session)
    cred = repo.get_credential(session, cred_id)
    version = repo.get_credential_version(session, cred_id)
    prov = next(
        v for k, v in p.items() if k.startswith("prov.") and v.institution_id == cred.institution_id
    )
    raw = {**version.data, "title": version.data["title"] + " (edited)"}
    with pytest.raises(ValidationFailed, match="say which version"):
        credentials.submit_credential(session=session, actor=prov, raw=raw, credential_id=cred_id)
    with pytest.raises(StaleUpdate):
        credentials.submit_credential(
            session=session, actor=prov, raw=raw, credential_id=cred_id, expected_version=2
        )
    saved = credentials.submit_credential(
        session=session, actor=prov, raw=raw, credential_id=cred_id, expected_version=1
    )
    assert saved.version == 2


def test_a_decision_is_bound_to_the_case_version_the_approver_saw(session, p):
    case_id = to_state(session, p, "approval")
    case = case_repo.get_case(session, case_id)
    with pytest.raises(StaleUpdate):
        decisions.decide(
            session=session,
            actor=p["approver"],
            case_id=case_id,
            outcome="approved",
            rationale="Meets every standard we checked.",
            expected_version=case.version - 1,
        )
    assert case_repo.get_decision(session, case_id, 1) is None
    decision = decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case_id,
        outcome="approved",
        rationale="Meets every standard we checked.",
        expected_version=case.version,
    )
    assert decision.outcome == "approved"
