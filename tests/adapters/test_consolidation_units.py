"""The consolidation table of the case PDF never mixes units in a column: single scores as whole
numbers, means and medians with two decimals, and an elements check's count in its own table as
"11 of 12 elements"."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

from pypdf import PdfReader
from reportlab.platypus import LongTable, Paragraph

from qa_engine.adapters.pdf_report import render_report
from qa_engine.adapters.pdf_scores import consolidation_section
from qa_engine.adapters.pdf_style import paragraph_styles, register_fonts
from qa_engine.domain.report import EvaluationReport, ReportCriterion
from tests.adapters.test_reports_pdf import build_report

ROOT = Path(__file__).resolve().parents[2]
WHOLE = re.compile(r"^(—|\d+)$")
TWO_DECIMALS = re.compile(r"^(—|\d+\.\d\d)$")


def _report() -> EvaluationReport:
    report = build_report(n_criteria=6, reviewers=3)
    check = ReportCriterion(
        id="eu-elements",
        title="The standard elements are present",
        kind="elements_check",
        maps_to=["EU-A1.1"],
        mean=11.0,
        effective_weight=0.05,
        elements_total=12,
    )
    # a criterion whose reviewers agree exactly: its mean is whole, and still printed "3.00"
    first = report.criteria[0]
    same = [(label, 3.0, comment) for label, _, comment in first.scores]
    agreed = dataclasses.replace(first, scores=same, mean=3.0, median=3.0, spread=0.0)
    return dataclasses.replace(report, criteria=[agreed, *report.criteria[1:], check])


def _text(cell: object) -> str:
    text = cell.text if isinstance(cell, Paragraph) else str(cell)
    return re.sub(r"<[^>]+>", "", text).strip()


def _tables() -> list[list[list[str]]]:
    register_fonts(ROOT / "reports")
    flowables = consolidation_section(_report(), paragraph_styles())
    return [
        [[_text(c) for c in row] for row in f._cellvalues]
        for f in flowables
        if isinstance(f, LongTable)
    ]


def test_one_kind_of_figure_per_column():
    main = _tables()[0]
    head, rows = main[0], main[1:]
    assert head[:2] == ["Criterion", "Self"] and head[-4:] == ["Mean", "Median", "Spread", "Weight"]
    assert all("eu-elements" not in row[0] for row in rows)  # the count is not a score
    for j, name in enumerate(head[1:-1], start=1):
        pattern = TWO_DECIMALS if name in ("Mean", "Median") else WHOLE
        for row in rows:
            assert pattern.match(row[j]), f"{name}: {row[j]!r} in {row[0]}"
    assert rows[0][head.index("Mean")] == "3.00"


def test_an_elements_check_reads_as_a_count_of_elements_in_its_own_table():
    checks = _tables()[1]
    assert checks[0] == ["Criterion", "Elements present", "Weight"]
    assert checks[1][0].startswith("eu-elements")
    assert checks[1][1] == "11 of 12 elements"


def test_the_printed_report_says_so():
    pdf = render_report(_report(), reports_dir=ROOT / "reports")
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "11 of 12 elements" in text
