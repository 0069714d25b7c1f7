"""What the pages and the API read comes from services, each page of rows in a fixed number of
queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from qa_engine.domain.errors import Forbidden, NotFound, StaleUpdate, ValidationFailed
from qa_engine.domain.statuses import AssignmentStatus, SelfAssessmentStatus
from qa_engine.services import assignments, case_views, reviews, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from qa_engine.store import case_repo
from tests.helpers import SAMPLES, credential, people, to_state


@contextmanager
def counted(session) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    statements: list[str] = []
    conn = session.connection()

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(conn, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(conn, "before_cursor_execute", seen)


def test_a_page_of_credentials_with_their_open_cases_in_three_queries(seeded):
    p = people(seeded)
    ids = [credential(seeded, i) for i in range(6)]
    opened = case_service.open_case(session=seeded, actor=p["officer"], credential_id=ids[0])
    withdrawn = case_service.open_case(session=seeded, actor=p["officer"], credential_id=ids[1])
    case_service.withdraw_case(
        session=seeded, actor=p["officer"], case_id=withdrawn.id, reason="Not this year."
    )
    with counted(seeded) as statements:
        page = credential_service.credentials_page(session=seeded, actor=p["officer"], limit=50)
        open_cases = {r.credential.id: r.open_case.id if r.open_case else None for r in page.rows}
        codes = {r.credential.id: r.institution.code for r in page.rows}
    # the page, the count, and the newest decision of each credential on the page
    assert len(statements) == 3, statements
    assert page.total == 6 and page.may_write
    assert open_cases == {i: (opened.id if i == ids[0] else None) for i in ids}
    assert codes[ids[0]] == SAMPLES[0]["provider"]
    with pytest.raises(Forbidden):
        credential_service.credentials_page(session=seeded, actor=p["rev.cuni"])


def test_one_credential_with_its_versions_and_who_may_change_it(seeded):
    p = people(seeded)
    cred_id = credential(seeded, 0)
    own = p[f"prov.{SAMPLES[0]['provider'].lower()}"]
    raw = {**SAMPLES[0], "title": "A renamed course for the test"}
    saved = credential_service.submit_credential(
        session=seeded, actor=own, raw=raw, credential_id=cred_id, expected_version=1
    )
    assert (saved.version, saved.outcome) == (2, "new_version")
    with pytest.raises(StaleUpdate):
        credential_service.submit_credential(
            session=seeded, actor=own, raw=raw, credential_id=cred_id, expected_version=1
        )
    with pytest.raises(ValidationFailed, match="cannot change"):
        credential_service.submit_credential(
            session=seeded,
            actor=own,
            raw={**raw, "reference": "X-1"},
            credential_id=cred_id,
            expected_version=2,
        )
    with pytest.raises(Forbidden):  # an approver reads credentials but submits none
        credential_service.submit_credential(
            session=seeded, actor=p["approver"], raw=raw, credential_id=cred_id
        )
    with pytest.raises(Forbidden):
        credential_service.submit_credential(session=seeded, actor=p["rev.cuni"], raw={})
    detail = credential_service.credential_detail(session=seeded, actor=own, credential_id=cred_id)
    assert [v.number for v in detail.versions] == [1, 2] and detail.data["title"] == raw["title"]
    assert detail.may_write and detail.open_case is None
    assert not credential_service.credential_detail(
        session=seeded, actor=p["approver"], credential_id=cred_id
    ).may_write
    with pytest.raises(NotFound):
        credential_service.credential_detail(
            session=seeded, actor=p["rev.cuni"], credential_id=cred_id
        )


def test_a_page_of_cases_with_titles_and_institutions_in_a_fixed_number_of_queries(seeded):
    p = people(seeded)
    ids = [
        case_service.open_case(
            session=seeded, actor=p["officer"], credential_id=credential(seeded, i)
        ).id
        for i in range(5)
    ]
    for limit in (2, 5):
        with counted(seeded) as statements:
            page = case_views.cases_page(
                session=seeded, actor=p["officer"], limit=limit, with_counts=True
            )
            labels = [(r.case.id, r.credential_title, r.institution) for r in page.rows]
        assert len(statements) == 4, (
            statements
        )  # the cases, how many, their labels, the counts by state
        assert (
            [x[0] for x in labels] == ids[:limit]
            and page.total == 5
            and page.counts == {"submitted": 5}
        )
    assert labels[0][1:] == (SAMPLES[0]["title"], SAMPLES[0]["provider"]) and page.intake_queue
    own = p[f"prov.{SAMPLES[0]['provider'].lower()}"]
    mine = case_views.cases_page(session=seeded, actor=own, with_counts=True)
    assert (
        [r.case.id for r in mine.rows] == [ids[0]] and mine.counts is None and not mine.intake_queue
    )
    with pytest.raises(Forbidden):
        case_views.cases_page(session=seeded, actor=p["leader"])


def test_what_a_case_page_offers_follows_the_services_rules(seeded):
    p = people(seeded)
    case_id = to_state(seeded, p, "self_assessment")
    own = p[f"prov.{SAMPLES[0]['provider'].lower()}"]
    mine = case_views.case_detail(session=seeded, actor=own, case_id=case_id).may
    assert mine.is_provider and mine.may_withdraw and not mine.may_resubmit and not mine.staff
    officer = case_views.case_detail(session=seeded, actor=p["officer"], case_id=case_id).may
    assert officer.officer and officer.staff and officer.may_withdraw and not officer.approver
    approver = case_views.case_detail(session=seeded, actor=p["approver"], case_id=case_id).may
    assert approver.staff and approver.approver and not approver.may_withdraw
    view = self_assessments.self_assessment_view(session=seeded, actor=own, case_id=case_id)
    assert view.editable and view.self_assessment is None
    assert not self_assessments.self_assessment_view(
        session=seeded, actor=p["officer"], case_id=case_id
    ).editable
    with pytest.raises(StaleUpdate):
        case_service.withdraw_case(
            session=seeded, actor=own, case_id=case_id, reason="Not now.", expected_version=0
        )
    case_service.withdraw_case(
        session=seeded,
        actor=own,
        case_id=case_id,
        reason="Not now.",
        expected_version=view.case.version,
    )
    assert not case_views.case_detail(session=seeded, actor=own, case_id=case_id).may.may_withdraw


def test_a_stale_review_is_refused_before_its_entries_are_checked(seeded):
    p = people(seeded)
    case_id = to_state(seeded, p, "peer_review")
    asg = next(
        a
        for a in case_repo.assignments_of(seeded, case_id)
        if a.status == AssignmentStatus.ACCEPTED
    )
    reviewer = next(v for v in p.values() if v.user_id == asg.reviewer_id)
    draft = reviews.save_review(session=seeded, actor=reviewer, assignment_id=asg.id, entries={})
    reviews.save_review(
        session=seeded,
        actor=reviewer,
        assignment_id=asg.id,
        entries={},
        expected_version=draft.version,
    )
    with pytest.raises(StaleUpdate):
        reviews.save_review(
            session=seeded,
            actor=reviewer,
            assignment_id=asg.id,
            entries={"nonsense": {}},
            submit=True,
            expected_version=draft.version - 1,
        )
    form = case_views.review_form(session=seeded, actor=reviewer, assignment_id=asg.id)
    assert form.mine.editable and form.self_assessment.status == SelfAssessmentStatus.SUBMITTED
    for other in ("officer", "rev.cuni"):
        if p[other].user_id != reviewer.user_id:
            with pytest.raises(NotFound):
                reviews.save_review(
                    session=seeded, actor=p[other], assignment_id=asg.id, entries={}
                )


def test_only_the_qa_office_assigns_in_a_batch(seeded):
    p = people(seeded)
    case_id = to_state(seeded, p, "assignment")
    for who in ("approver", f"prov.{SAMPLES[0]['provider'].lower()}", "rev.cuni"):
        with pytest.raises(Forbidden):
            assignments.auto_assign(session=seeded, actor=p[who], case_ids=[case_id])
    assert assignments.auto_assign(session=seeded, actor=p["officer"], case_ids=[case_id])[
        case_id
    ].proposals


def test_the_own_account_of_whoever_is_signed_in(seeded):
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services import users

    p = people(seeded)
    account = users.own_account(session=seeded, actor=p["prov.cuni"])
    assert (account.username, account.institution_code, account.must_change) == (
        "prov.cuni",
        "CUNI",
        False,
    )
    with pytest.raises(NotFound):
        users.own_account(session=seeded, actor=SYSTEM)


def test_credentials_of_one_institution_with_their_current_versions(seeded):
    p = people(seeded)
    ids = [credential(seeded, i) for i in range(6)]
    code = SAMPLES[0]["provider"]
    page = credential_service.credentials_page(
        session=seeded, actor=p["officer"], institution=code.lower(), limit=None, with_versions=True
    )
    assert {r.credential.id for r in page.rows} == {
        i for i, s in zip(ids, SAMPLES, strict=False) if s["provider"] == code
    }
    assert all(
        r.version.number == r.credential.current_version and r.version.data["provider"] == code
        for r in page.rows
    )
    assert (
        credential_service.credentials_page(session=seeded, actor=p["officer"]).rows[0].version
        is None
    )
    with pytest.raises(ValidationFailed, match="unknown institution"):
        credential_service.credentials_page(session=seeded, actor=p["officer"], institution="MIT")
