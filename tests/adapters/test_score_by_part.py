"""The per-part totals of a composite rubric are shown: a "Score by part" table in the case PDF
and a block on the case workbook's Consolidation sheet."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.pdf_report import render_report
from qa_engine.domain.report import EvaluationReport, ReportPartRow
from tests.adapters.test_reports_pdf import build_report

ROOT = Path(__file__).resolve().parents[2]
PARTS = [
    ReportPartRow("4eu-mici", 0.625, 0.1, ["mici-recognition", "mici-review-cycle"]),
    ReportPartRow("esg-2015-part1", 0.5, 0.36, ["esg-1.1", "esg-1.2"]),
    ReportPartRow("eu-microcredentials-2022", 0.8125, 0.315, ["eu-p1"]),
]


def _report(parts: list[ReportPartRow]) -> EvaluationReport:
    return dataclasses.replace(build_report(n_criteria=6, reviewers=2), parts=parts)


def _pdf_text(report: EvaluationReport) -> str:
    pdf = render_report(report, reports_dir=ROOT / "reports")
    return " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split()
    )


def test_the_case_pdf_has_a_score_by_part_table():
    text = _pdf_text(_report(PARTS))
    assert "Score by part" in text
    for line in (
        "4eu-mici 62.5 % 10.0 % 2",
        "esg-2015-part1 50.0 % 36.0 % 2",
        "eu-microcredentials-2022 81.3 % 31.5 % 1",
    ):
        assert line in text, line


def test_a_single_part_rubric_has_no_such_table():
    assert "Score by part" not in _pdf_text(_report(PARTS[:1]))


def test_the_case_workbook_has_the_score_by_part_block_as_percentages():
    ws = load_workbook(io.BytesIO(workbook_bytes(_report(PARTS))))["Consolidation"]
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Score by part")
    assert [c.value for c in ws[start + 1]][:4] == ["Part", "Criteria", "Weighted score", "Weight"]
    rows = [[c.value for c in ws[start + 2 + i]][:4] for i in range(len(PARTS))]
    assert rows[0] == ["4eu-mici", "mici-recognition, mici-review-cycle", 0.625, 0.1]
    for i in range(len(PARTS)):
        assert ws.cell(start + 2 + i, 3).number_format == "0.0%"
        assert ws.cell(start + 2 + i, 4).number_format == "0.0%"
