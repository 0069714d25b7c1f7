"""Races on a real, committed database (SQLite with WAL + BEGIN IMMEDIATE, and PostgreSQL):
no lost update, no duplicate, and a clear conflict error for the loser."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.errors import Conflict, QAError, StaleUpdate
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import assignments, reviews
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.conftest import throwaway_pg_database
from tests.helpers import full_review, people, to_state


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_db(request, tmp_path, monkeypatch):
    from qa_engine.config import reset_settings
    from qa_engine.services.setup import initialise
    from qa_engine.store.db import reset_engines

    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    with ExitStack() as stack:
        if request.param == "sqlite":
            monkeypatch.delenv("QA_DATABASE_URL", raising=False)
        else:
            monkeypatch.setenv(
                "QA_DATABASE_URL", stack.enter_context(throwaway_pg_database("qa_race")).url
            )
        reset_settings()
        reset_engines()
        initialise()
        with session_scope() as s:
            p = people(s)
        yield p
        reset_engines()
        reset_settings()


def race(*fns):
    """Run the functions at the same moment; return each one's result or exception."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _case_in(p, state):
    with session_scope() as s:
        return to_state(s, p, state)


def _submit(p, assignment_id, reviewer_id, case_id, score=3):
    def go():
        with session_scope() as s:
            rubric = case_service.rubric_of(s, case_repo.get_case(s, case_id))
            actor = next(v for v in p.values() if v.user_id == reviewer_id)
            return reviews.save_review(
                session=s,
                actor=actor,
                assignment_id=assignment_id,
                entries=full_review(rubric, score),
                recommendation="approved",
                submit=True,
            ).id

    return go


def test_two_reviewers_submit_at_once(live_db):
    p = live_db
    case_id = _case_in(p, "peer_review")
    with session_scope() as s:
        a1, a2 = case_repo.assignments_of(s, case_id)
    results = race(
        _submit(p, a1.id, a1.reviewer_id, case_id, 2), _submit(p, a2.id, a2.reviewer_id, case_id, 4)
    )
    assert all(isinstance(r, int) for r in results), results
    with session_scope() as s:
        revs = case_repo.reviews_of(s, case_id, submitted_only=True)
        assert sorted(r.scores[next(iter(r.scores))] for r in revs) == [2, 4]
        assert {a.status for a in case_repo.assignments_of(s, case_id)} == {
            AssignmentStatus.SUBMITTED
        }


def test_same_reviewer_submits_twice_at_once(live_db):
    p = live_db
    case_id = _case_in(p, "peer_review")
    with session_scope() as s:
        a1 = case_repo.assignments_of(s, case_id)[0]
    results = race(*[_submit(p, a1.id, a1.reviewer_id, case_id) for _ in range(2)])
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict), repr(losses[0])
    assert losses[0].status == 409
    with session_scope() as s:
        assert len(case_repo.reviews_of(s, case_id)) == 1
        events = [e for e in case_repo_events(s, case_id) if e.action == "review.submitted"]
        assert len(events) == 1


def case_repo_events(s, case_id):
    from qa_engine.store import audit_repo

    return audit_repo.events_for(s, "case", case_id)


def test_two_officers_assign_the_same_case_at_once(live_db):
    p = live_db
    case_id = _case_in(p, "assignment")
    with session_scope() as s:
        _, ranked = assignments.propose(session=s, actor=p["officer"], case_id=case_id)
    ids = [r.reviewer_id for r in ranked]
    first, second = ids[:2], ids[2:4]
    assert len(second) == 2

    def assign(reviewer_ids):
        def go():
            with session_scope() as s:
                return [
                    a.id
                    for a in assignments.assign(
                        session=s, actor=p["officer"], case_id=case_id, reviewer_ids=reviewer_ids
                    )
                ]

        return go

    results = race(assign(first), assign(second))
    wins = [r for r in results if isinstance(r, list)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], QAError) and losses[0].status == 409, repr(losses[0])
    with session_scope() as s:
        live = case_repo.assignments_of(s, case_id)
        assert len(live) == 2
        assert case_repo.get_case(s, case_id).state == CaseState.PEER_REVIEW


def test_many_writers_lose_no_update(live_db):
    """Eight threads each append audit events; the chain stays intact and every event is kept."""
    from qa_engine.services import audit

    def writer(i):
        def go():
            for j in range(10):
                with session_scope() as s:
                    audit.record(
                        s,
                        actor=f"w{i}",
                        action="race.test",
                        subject_type="race",
                        subject_id=i,
                        payload={"j": j},
                    )
            return i

        return go

    results = race(*[writer(i) for i in range(8)])
    assert results == list(range(8)), results
    with session_scope() as s:
        count, problems = audit.verify(s)
        assert problems == []
        from qa_engine.store.models import AuditEvent

        assert s.query(AuditEvent).filter(AuditEvent.action == "race.test").count() == 80


def test_two_tabs_save_the_first_draft_at_once(live_db):
    """Both started from "no draft yet" (version 0): one draft is stored whole, the other tab gets
    a stale-update 409, never a silent overwrite."""
    p = live_db
    case_id = _case_in(p, "peer_review")
    with session_scope() as s:
        a1 = case_repo.assignments_of(s, case_id)[0]
    actor = next(v for v in p.values() if v.user_id == a1.reviewer_id)

    def save(comment):
        def go():
            with session_scope() as s:
                return reviews.save_review(
                    session=s,
                    actor=actor,
                    assignment_id=a1.id,
                    entries={"esg-1.1": {"comment": comment}},
                    expected_version=0,
                ).version

        return go

    results = race(save("tab one"), save("tab two"))
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert wins == [1] and len(losses) == 1, results
    assert isinstance(losses[0], StaleUpdate), repr(losses[0])
    with session_scope() as s:
        stored = case_repo.review_for_assignment(s, a1.id)
        winner = "tab one" if results[0] == 1 else "tab two"
        assert stored.version == 1 and stored.comments == {"esg-1.1": winner}
