"""A revision round reviews the revised credential: submitted into the case, used by the round's
self-assessment, reviews and report, with the changes shown; an import cannot silently change the
credential of an open case."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.pdf_report import render_report
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.credential_diff import diff_credentials
from qa_engine.domain.errors import (
    ConfirmationNeeded,
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import (
    assignments,
    case_views,
    credential_import,
    decisions,
    reviews,
    self_assessments,
)
from qa_engine.services import cases as case_service
from qa_engine.services.report_data import build_report
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from tests.helpers import (
    SAMPLES,
    drive,
    full_review,
    full_self_assessment,
    people,
    revision_requested,
    to_state,
)

ROOT = Path(__file__).resolve().parents[2]
INDEX = 2  # a UNIMI credential of 5 ECTS with four learning outcomes
EXTRA = "Design a monitoring plan for the measures the course proposes"


@pytest.fixture
def p(session):
    return people(session)


def revised_sample() -> dict:
    """The sample credential revised: 6 ECTS (with the hours to match) and one more outcome."""
    sample = SAMPLES[INDEX]
    return {
        **sample,
        "ects": 6,
        "workload_hours": 160,
        "learning_outcomes": [*sample["learning_outcomes"], EXTRA],
    }


def _revision_requested(session, p) -> int:
    case_id = revision_requested(session, p, index=INDEX)
    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.SELF_ASSESSMENT and case.round == 2
    return case_id


def _finish_round(session, p, case_id: int) -> None:
    """Self-assessment, two fresh reviews and an approval for the case's current round."""
    case = case_repo.get_case(session, case_id)
    prov = p["prov.unimi"]
    rubric = case_service.rubric_of(session, case)
    self_assessments.save_self_assessment(
        session=session,
        actor=prov,
        case_id=case_id,
        entries=full_self_assessment(rubric),
        summary="We raised the workload to 6 ECTS.",
        submit=True,
    )
    drive(session, case_id)
    plan_, _ = assignments.propose(session=session, actor=p["officer"], case_id=case_id)
    assignments.assign(
        session=session,
        actor=p["officer"],
        case_id=case_id,
        reviewer_ids=[x.reviewer_id for x in plan_.proposals],
    )
    live = [
        a
        for a in case_repo.assignments_of(session, case_id, case.round)
        if a.status == AssignmentStatus.INVITED
    ]
    for a in live:
        actor = next(v for v in p.values() if v.user_id == a.reviewer_id)
        assignments.respond(session=session, actor=actor, assignment_id=a.id, accept=True)
        mine = case_views.my_review(session=session, actor=actor, assignment_id=a.id)
        # the reviewer of the revision round reads the revised credential
        assert mine.credential.data["ects"] == "6.0"
        assert EXTRA in mine.credential.data["learning_outcomes"]
        reviews.save_review(
            session=session,
            actor=actor,
            assignment_id=a.id,
            entries=full_review(rubric, 3),
            recommendation="approved",
            submit=True,
        )
    drive(session, case_id)
    decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case_id,
        outcome="approved",
        rationale="The revised workload fits the outcomes.",
    )
    drive(session, case_id)


def _pdf_text(session, case_id: int, round_: int) -> str:
    case = case_repo.get_case(session, case_id)
    decision = case_repo.get_decision(session, case_id, round_)
    data = build_report(session, case, decision, report_id=f"QA-T-{round_}")
    reader = PdfReader(io.BytesIO(render_report(data, reports_dir=ROOT / "reports")))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())


def test_the_revision_round_reviews_the_revised_credential(session, p):
    case_id = _revision_requested(session, p)
    v1 = case_service.credential_version_of(session, case_repo.get_case(session, case_id))
    version = case_service.submit_revision(
        session=session,
        actor=p["prov.unimi"],
        case_id=case_id,
        data=parse_credential(revised_sample()),
        source="revised.json",
    )
    assert version.number == 2 and version.id != v1.id
    case = case_repo.get_case(session, case_id)
    assert case.credential_version_id == version.id and case.state == CaseState.SELF_ASSESSMENT
    assert case_service.credential_version_for_round(session, case, 1).id == v1.id
    assert case_service.credential_version_for_round(session, case, 2).id == version.id
    assert [r.credential_version_id for r in case_repo.case_rounds_of(session, case_id)] == [
        v1.id,
        version.id,
    ]
    changes = case_service.round_changes(session, case, 2)
    assert changes is not None and changes.before.id == v1.id
    assert [c.field for c in changes.changes] == ["learning_outcomes", "ects", "workload_hours"]
    _finish_round(session, p, case_id)

    case = case_repo.get_case(session, case_id)
    assert case.state == CaseState.CLOSED and case.outcome == "approved"
    round2 = build_report(
        session, case, case_repo.get_decision(session, case_id, 2), report_id="QA-T-2"
    )
    assert round2.credential.ects == "6.0" and EXTRA in round2.credential.learning_outcomes
    assert round2.credential_version == 2
    assert round2.changes_since is not None and round2.changes_since.version == 1
    ects = next(c for c in round2.changes_since.changes if c.field == "ects")
    assert (ects.element, ects.before, ects.after) == ("EU-A1.7", "5.0", "6.0")
    outcomes = next(c for c in round2.changes_since.changes if c.field == "learning_outcomes")
    assert outcomes.added == (EXTRA,) and outcomes.removed == ()
    round1 = build_report(
        session, case, case_repo.get_decision(session, case_id, 1), report_id="QA-T-1"
    )
    assert round1.credential.ects == "5.0" and EXTRA not in round1.credential.learning_outcomes
    assert round1.credential_version == 1 and round1.changes_since is None

    text2 = _pdf_text(session, case_id, 2)
    assert "Changes since round 1 (credential version 1)" in text2
    assert "6.0 ECTS" in text2 and "+ Design a monitoring plan" in text2
    sheet = load_workbook(io.BytesIO(workbook_bytes(round2)))["Changes"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["ECTS"][:4] == ("EU-A1.7", "ECTS", "5.0", "6.0")
    assert rows["Learning outcomes"][5] == EXTRA
    assert "Changes" not in load_workbook(io.BytesIO(workbook_bytes(round1))).sheetnames
    text1 = _pdf_text(session, case_id, 1)
    assert "5.0 ECTS" in text1 and "Changes since round" not in text1


def test_the_newest_stored_version_or_a_chosen_one_is_submitted(session, p):
    case_id = _revision_requested(session, p)
    stored = credential_import.import_credentials(
        session=session,
        actor=p["prov.unimi"],
        items=[parse_credential(revised_sample())],
        open_cases=False,
        confirm=True,
    )
    assert stored.new_versions == ["UNIMI/" + SAMPLES[INDEX]["reference"]]
    case = case_repo.get_case(session, case_id)
    assert case_service.credential_version_of(session, case).number == 1  # not yet submitted
    version = case_service.submit_revision(
        session=session, actor=p["officer"], case_id=case_id, expected_version=case.version
    )
    assert version.number == 2
    with pytest.raises(Conflict, match="round 2 already reviews version 2"):
        case_service.submit_revision(session=session, actor=p["prov.unimi"], case_id=case_id)
    first = repo.get_credential_version(session, case.credential_id, 1)
    back = case_service.submit_revision(
        session=session,
        actor=p["prov.unimi"],
        case_id=case_id,
        credential_version_id=first.id,
    )
    assert back.number == 1
    other = to_state(session, p, "submitted", index=0)
    foreign = case_service.credential_version_of(session, case_repo.get_case(session, other))
    with pytest.raises(NotFound, match="not a version of the case's credential"):
        case_service.submit_revision(
            session=session,
            actor=p["prov.unimi"],
            case_id=case_id,
            credential_version_id=foreign.id,
        )


def test_a_revision_is_refused_without_a_revision_request(session, p):
    case_id = to_state(session, p, "self_assessment", index=INDEX)
    with pytest.raises(InvalidTransition, match="no revision was requested"):
        case_service.submit_revision(
            session=session,
            actor=p["prov.unimi"],
            case_id=case_id,
            data=parse_credential(revised_sample()),
        )


def test_a_revision_comes_from_the_provider_and_is_the_case_s_own_credential(session, p):
    case_id = _revision_requested(session, p)
    with pytest.raises(NotFound):
        case_service.submit_revision(
            session=session,
            actor=p["prov.cuni"],
            case_id=case_id,
            data=parse_credential(revised_sample()),
        )
    other = {**SAMPLES[INDEX], "reference": "UNIMI-OTHER-1"}
    with pytest.raises(ValidationFailed, match="must be the case's own"):
        case_service.submit_revision(
            session=session, actor=p["prov.unimi"], case_id=case_id, data=parse_credential(other)
        )


def test_an_import_that_would_change_an_open_case_needs_confirmation(session, p):
    case_id = _revision_requested(session, p)
    original = parse_credential(SAMPLES[INDEX])
    revised = parse_credential(revised_sample())
    result = credential_import.import_credentials(
        session=session,
        actor=p["prov.unimi"],
        items=[revised],
        open_cases=False,
        case_id=case_id,
        source="revised.json",
    )
    assert result.revised_case == case_id and len(result.new_versions) == 1
    case = case_repo.get_case(session, case_id)
    assert case_service.credential_version_of(session, case).number == 2
    # the original file again: refused, saying it would undo the revision
    with pytest.raises(ConfirmationNeeded, match="open case") as raised:
        credential_import.import_credentials(
            session=session, actor=p["prov.unimi"], items=[original], open_cases=False
        )
    detail = "\n".join(raised.value.details)
    assert f"case {case_id}" in detail and "reviews version 2" in detail
    assert "holds version 1 again and would undo" in detail
    assert case.credential_id is not None
    assert repo.get_credential(session, case.credential_id).current_version == 2
    # confirmed, it is stored, and the case goes on reviewing the revision
    confirmed = credential_import.import_credentials(
        session=session, actor=p["prov.unimi"], items=[original], open_cases=False, confirm=True
    )
    assert len(confirmed.new_versions) == 1
    assert repo.get_credential(session, case.credential_id).current_version == 3
    assert case_service.credential_version_of(session, case).number == 2
    # the same content as the newest version is no change and needs nothing
    again = credential_import.import_credentials(
        session=session, actor=p["prov.unimi"], items=[original], open_cases=False
    )
    assert len(again.unchanged) == 1


def test_an_import_naming_a_case_must_hold_its_credential(session, p):
    case_id = _revision_requested(session, p)
    with pytest.raises(ValidationFailed, match=f"does not hold the credential of case {case_id}"):
        credential_import.import_credentials(
            session=session,
            actor=p["prov.unimi"],
            items=[parse_credential({**SAMPLES[INDEX], "reference": "UNIMI-NEW-9"})],
            open_cases=False,
            case_id=case_id,
            source="other.json",
        )


def test_the_diff_names_elements_and_list_items():
    before = parse_credential(SAMPLES[INDEX])
    after = parse_credential(
        {
            **revised_sample(),
            "learning_outcomes": [*SAMPLES[INDEX]["learning_outcomes"][1:], EXTRA],
            "languages": ["en", "it"],
        }
    )
    changes = {c.field: c for c in diff_credentials(before, after)}
    assert set(changes) >= {"learning_outcomes", "ects"}
    lo = changes["learning_outcomes"]
    assert lo.element == "EU-A1.6" and lo.label == "Learning outcomes"
    assert lo.added == (EXTRA,) and lo.removed == (SAMPLES[INDEX]["learning_outcomes"][0],)
    assert diff_credentials(before, before) == []
