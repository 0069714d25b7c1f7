"""Wherever a gate is shown, the rule that judges it is said: the case PDF and the case
workbook (the decision page: tests/web/test_pages.py)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from qa_engine.adapters.case_workbook import workbook_bytes
from qa_engine.adapters.pdf_report import render_report
from qa_engine.domain.scoring import GATE_RULE
from tests.adapters.test_reports_pdf import build_report

ROOT = Path(__file__).resolve().parents[2]


def test_the_case_pdf_states_the_gate_rule():
    pdf = render_report(build_report(n_criteria=8, reviewers=2), reports_dir=ROOT / "reports")
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert GATE_RULE in text


def test_the_case_workbook_states_the_gate_rule_on_the_scores_and_the_consolidation():
    wb = load_workbook(io.BytesIO(workbook_bytes(build_report(n_criteria=8, reviewers=2))))
    assert GATE_RULE in [c.value for row in wb["Scores"].iter_rows(max_row=4) for c in row]
    rows = {r[0]: r[1] for r in wb["Consolidation"].iter_rows(min_row=2, values_only=True)}
    assert rows["Gate rule"] == GATE_RULE
