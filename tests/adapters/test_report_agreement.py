"""The case PDF and workbook say what the agreement figures mean: the case's own figures first,
alpha second with its label, "not computable" with its reason (never 0.00), the thresholds cited."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.pdf_report import render_report
from qa_engine.domain.consolidation import ConsolidationResult, consolidate
from qa_engine.domain.report import EvaluationReport
from qa_engine.domain.rubric_loader import load_library
from tests.adapters.test_reports_pdf import build_report

ROOT = Path(__file__).resolve().parents[2]
MICI = load_library([ROOT / "rubrics"]).get("4eu-mici")
REVIEWED = [rc for rc in MICI.scored_criteria if rc.criterion.kind != "elements_check"]
SCALE = [rc.id for rc in REVIEWED if rc.criterion.kind == "scale"]
YES_NO = [rc.id for rc in REVIEWED if rc.criterion.kind == "yes_no"]


def _review(scores: list[int]) -> dict[str, float | bool]:
    out: dict[str, float | bool] = dict(zip(SCALE, scores, strict=True))
    out.update({cid: True for cid in YES_NO})
    return out


def _report(result: ConsolidationResult) -> EvaluationReport:
    return dataclasses.replace(
        build_report(n_criteria=8, reviewers=2),
        agreement=result.agreement,
        agreement_label=result.agreement_label,
        agreement_summary=result.agreement_summary,
        yes_no_summary=result.yes_no_summary,
    )


def _pdf_text(report: EvaluationReport) -> str:
    pdf = render_report(report, reports_dir=ROOT / "reports")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def _consolidation_sheet(report: EvaluationReport) -> dict[str, object]:
    ws = load_workbook(io.BytesIO(workbook_bytes(report)))["Consolidation"]
    return {str(r[0]): r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def test_one_reviewer_reads_not_computable_in_the_pdf_and_the_workbook():
    report = _report(consolidate(MICI, [_review([3] * len(SCALE))], threshold=2))
    text = _pdf_text(report)
    assert "not computable: fewer than two reviewers" in text
    assert "α = 0.00" not in text and "= 0.000" not in text
    sheet = _consolidation_sheet(report)
    alpha_row = "Krippendorff's alpha (ordinal, scale criteria; secondary)"
    assert sheet[alpha_row] == "not computable: fewer than two reviewers"
    assert sheet["Reviewer agreement"] == "not computable: fewer than two reviewers"
    assert not any(v == 0 for v in sheet.values())


def test_a_negative_alpha_reads_systematic_disagreement():
    a = [1, 2, 3, 1, 2, 3] + [2] * (len(SCALE) - 6)
    b = [3, 2, 1, 3, 2, 1] + [2] * (len(SCALE) - 6)
    report = _report(consolidate(MICI, [_review(a), _review(b)], threshold=2))
    assert report.agreement is not None and report.agreement < 0
    assert "systematic disagreement (below chance)" in _pdf_text(report)
    assert _consolidation_sheet(report)["Alpha means"] == "systematic disagreement (below chance)"


def test_scores_within_one_level_read_so_with_no_low_agreement_verdict_and_the_thresholds_cited():
    a = [3, 2, 3, 4, 2, 3, 3, 2] + [3] * (len(SCALE) - 8)
    b = [2, 3, 3, 3, 3, 3, 2, 2] + [3] * (len(SCALE) - 8)
    report = _report(consolidate(MICI, [_review(a), _review(b)], threshold=2))
    text = _pdf_text(report)
    assert "all criteria within one level" in text
    assert "low agreement" not in text.lower()
    assert "Krippendorff (2004)" in text and "p. 241" in text
    sheet = _consolidation_sheet(report)
    assert str(sheet["Reviewer agreement"]).startswith("all criteria within one level")
    assert "low agreement" not in " ".join(str(v) for v in sheet.values()).lower()
    assert "p. 241" in str(sheet["Notes on agreement"])
