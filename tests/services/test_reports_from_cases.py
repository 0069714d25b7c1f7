"""Reports built from real cases: the data model, the PDF's text, the workbook, formula injection,
the CLI verdicts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.report_files import ReportFiles, signature_checker
from qa_engine.cli.main import app
from qa_engine.domain.statuses import ReportStatus
from qa_engine.services import cases as case_service
from qa_engine.services import decisions, reporting, reviews
from qa_engine.services.report_data import build_report
from qa_engine.services.report_files import generate_report, verify_bytes
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import full_review, people, to_state

ROOT = Path(__file__).resolve().parents[2]


def _decided_case(session, p, *, injection: str | None = None):
    case_id = to_state(session, p, "peer_review")
    case = case_repo.get_case(session, case_id)
    rubric = case_service.rubric_of(session, case)
    for k, a in enumerate(case_repo.assignments_of(session, case_id)):
        actor = next(v for v in p.values() if v.user_id == a.reviewer_id)
        entries = full_review(rubric, 2 + k)
        if injection and k == 0:
            first = next(iter(entries))
            entries[first]["comment"] = injection
        reviews.save_review(
            session=session,
            actor=actor,
            assignment_id=a.id,
            entries=entries,
            recommendation="approved_with_conditions",
            submit=True,
        )
    from tests.helpers import drive

    drive(session, case_id)
    decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case_id,
        outcome="approved_with_conditions",
        rationale="Good design; publish the assessment rubric.",
        conditions=[injection or "Publish the rubric", "Collect learner feedback"],
    )
    return case_id


def test_report_data_on_a_known_case(session):
    p = people(session)
    case_id = _decided_case(session, p)
    case = case_repo.get_case(session, case_id)
    decision = case_repo.get_decision(session, case_id, 1)
    data = build_report(session, case, decision, report_id="QA-TEST-1")
    rubric = case_service.rubric_of(session, case)
    assert [c.id for c in data.criteria] == [rc.id for rc in rubric.criteria]
    assert data.reviewer_labels == ["Reviewer A", "Reviewer B"]
    scale_criterion = next(c for c in data.criteria if c.kind == "scale")
    assert [s for _, s, _ in scale_criterion.scores] == [2, 3]
    assert scale_criterion.mean == pytest.approx(2.5) and scale_criterion.spread == 1
    assert data.decision_outcome == "approved_with_conditions" and len(data.conditions) == 2
    assert data.rubric_hash == rubric.content_hash
    assert {r.reference for r in data.esg_rows} == {f"ESG-1.{i}" for i in range(1, 11)}
    assert any(e.action == "submitted the self-assessment" for e in data.history)
    # reviewers appear only as labels in the history, never by name
    names = {v.username for v in p.values()} | {"Jiří Dvořák", "Łucja Żółkiewska", "Søren Kjær"}
    assert not any(ev.actor_label in names for ev in data.history)


def test_pdf_text_has_every_criterion_and_the_decision(session, tmp_path):
    p = people(session)
    case_id = _decided_case(session, p)
    case = case_repo.get_case(session, case_id)
    data = build_report(
        session, case, case_repo.get_decision(session, case_id, 1), report_id="QA-TEST-2"
    )
    pdf = render_report(data, reports_dir=ROOT / "reports")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for c in data.criteria:
        assert c.id in flat, c.id
    assert "Approved with conditions" in flat
    assert "QA-TEST-2" in flat


def test_workbook_keeps_formula_text_as_text(session):
    p = people(session)
    payload = '=HYPERLINK("http://evil.example","click")'
    case_id = _decided_case(session, p, injection=payload)
    case = case_repo.get_case(session, case_id)
    data = build_report(
        session, case, case_repo.get_decision(session, case_id, 1), report_id="QA-TEST-3"
    )
    wb = load_workbook(io.BytesIO(workbook_bytes(data)))
    cells = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith(payload)
    ]
    assert len(cells) >= 2  # the comment and the condition
    assert all(c.data_type == "s" for c in cells)
    scores = wb["Scores"]
    assert scores.freeze_panes == "C5"
    assert scores.conditional_formatting  # colour scale on the scores


def test_generated_report_verifies_and_cli_verdicts(engine_env, tmp_path):
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
        case_id = _decided_case(s, p)
        rows = [
            r
            for r in reporting.request_reports(session=s, case_id=case_id)
            if r.kind in reporting.REPORT_KINDS  # the exports: tests/services/test_exports.py
        ]
        for row in rows:
            generate_report(s, row, output=ReportFiles.from_settings())
            row.status = ReportStatus.GENERATED
        pdf_path = Path(next(r.path for r in rows if r.kind == "pdf"))
    data = pdf_path.read_bytes()
    with session_scope() as s:
        result = verify_bytes(data, session=s, check_signature=signature_checker())
    assert result.ok and result.registered is True

    runner = CliRunner()
    ok = runner.invoke(app, ["reports", "verify", str(pdf_path)])
    assert ok.exit_code == 0 and "Valid — issued by" in ok.output
    tampered = tmp_path / "tampered.pdf"
    i = (
        data.index(b"Approved with conditions")
        if b"Approved with conditions" in data
        else len(data) // 3
    )
    tampered.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :])
    bad = runner.invoke(app, ["reports", "verify", str(tampered)])
    assert bad.exit_code == 1 and "Valid" not in bad.output
    junk = tmp_path / "junk.pdf"
    junk.write_text("hello")
    res = runner.invoke(app, ["reports", "verify", str(junk)])
    assert res.exit_code == 1 and "Not a PDF" in res.output and "Traceback" not in res.output
    out = tmp_path / "case.xlsx"
    res = runner.invoke(app, ["reports", "xlsx", str(case_id), "-o", str(out)])
    assert res.exit_code == 0 and out.exists()
    assert runner.invoke(app, ["reports", "xlsx", "99999"]).exit_code == 1


def test_report_carries_the_score_of_each_part_and_the_element_totals(session):
    from qa_engine.services import consolidation as consolidation_service

    p = people(session)
    case_id = _decided_case(session, p)
    case = case_repo.get_case(session, case_id)
    decision = case_repo.get_decision(session, case_id, 1)
    data = build_report(session, case, decision, report_id="QA-TEST-PARTS")
    rubric = case_service.rubric_of(session, case)
    by_part = consolidation_service.compute(session, case, 1).breakdown.by_part
    assert len(by_part) > 1  # the alliance rubric is composite
    assert [(r.part, r.score, r.weight) for r in data.parts] == [
        (k, g.score, g.weight) for k, g in by_part.items()
    ]
    for rc in rubric.criteria:
        c = next(x for x in data.criteria if x.id == rc.id)
        if rc.criterion.kind == "elements_check":
            assert c.elements_total == len(rc.criterion.elements) > 0
        else:
            assert c.elements_total is None
