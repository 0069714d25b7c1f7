"""The case workbook and the leadership workbook print: every sheet one page wide on A4 with a
print area, its header rows repeated, a number format on every number (no raw float), and every
chart within the printable width of A4 landscape.

With LibreOffice installed, each workbook is also converted to PDF and its pages counted against
the budget stated in README.md (case workbook ≤ 6 pages, leadership workbook ≤ 20)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from pypdf import PdfReader

from qa_engine.adapters import aggregate_xlsx, case_workbook
from qa_engine.adapters.xlsx_print import PRINTABLE_HEIGHT_CM, PRINTABLE_WIDTH_CM, column_cm
from tests.adapters.test_report_characters import _figures
from tests.adapters.test_reports_pdf import build_report

CASE_PAGE_BUDGET = 6
LEADERSHIP_PAGE_BUDGET = 20
EMU_PER_CM = 360000


def _case() -> Workbook:
    return load_workbook(io.BytesIO(case_workbook.workbook_bytes(build_report())))


def _leadership() -> Workbook:
    return load_workbook(io.BytesIO(aggregate_xlsx.workbook_bytes(_figures())))


def check_print_setup(wb: Workbook) -> None:
    for ws in wb.worksheets:
        where = ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), where
        assert ws.page_setup.fitToWidth == 1, where
        assert ws.page_setup.fitToHeight in (0, 1), where  # as tall as needed, or one page
        assert ws.sheet_properties.pageSetUpPr is not None, where
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert ws.print_title_rows, where
        assert ws.print_area, where
        area = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
        last = area.split(":")[-1].replace("$", "")
        last_col = column_index_from_string("".join(ch for ch in last if ch.isalpha()))
        assert last_col >= ws.max_column and int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) >= (
            ws.max_row
        ), where
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    assert cell.number_format != "General", f"{where}!{cell.coordinate}"
                    assert cell.number_format in ("0", "0.0", "0.00", "0.000", "0.0%"), (
                        f"{where}!{cell.coordinate}: {cell.number_format}"
                    )


def test_every_sheet_of_the_case_workbook_prints_one_page_wide():
    wb = _case()
    check_print_setup(wb)
    scores = wb["Scores"]
    assert scores.page_setup.orientation == "landscape"
    assert scores.print_title_rows == "$4:$4"
    assert scores.page_setup.fitToHeight == 1  # 30 criteria on one page
    assert wb["Comments"].print_title_rows == "$1:$1"


def test_long_comments_print_as_one_line_with_a_pointer_and_stay_whole_in_the_note():
    report = build_report()
    ws = _case()["Comments"]
    assert [c.value for c in ws[1]] == ["Criterion", "Who", "Score", "Comment"]
    long = [
        (label, comment)
        for c in report.criteria
        for label, _, comment in c.scores
        if len(comment) > case_workbook.EXCERPT_CHARS
    ]
    assert long
    cut = 0
    for row in ws.iter_rows(min_row=2):
        cell = row[3]
        assert len(cell.value) <= case_workbook.EXCERPT_CHARS
        assert cell.alignment.wrap_text  # a line too long for the column wraps, never cut off
        if cell.comment is not None:
            cut += 1
            whole = cell.comment.text
            assert cell.value.endswith(f"report {report.report_id}]")
            assert " ".join(whole.split()).startswith(cell.value.split(" … [cut")[0])
            assert any(whole == comment for _, comment in long)
    assert cut == len(long)


def test_wrapped_text_gets_the_row_height_it_needs():
    """A row keeps Excel's default height unless told: a long wrapped text would print over the
    rows below it."""
    ws = _case()["Consolidation"]
    notes = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Notes on agreement")
    lines = case_workbook_lines(ws.cell(notes, 2).value, ws.column_dimensions["B"].width)
    assert lines > 3
    assert ws.row_dimensions[notes].height >= lines * 15


def case_workbook_lines(text: str, width: float) -> int:
    from qa_engine.adapters.xlsx_print import text_lines

    return text_lines(text, width)


def test_the_case_workbook_shows_means_with_two_decimals_and_scores_as_counts():
    ws = _case()["Scores"]
    head = [c.value for c in ws[4]]
    mean_col = head.index("Mean") + 1
    assert ws.cell(row=5, column=mean_col).number_format == "0.00"
    assert ws.cell(row=5, column=head.index("Weight") + 1).number_format == "0.0%"
    assert ws.cell(row=5, column=head.index("Reviewer A") + 1).number_format == "0"


def test_every_sheet_of_the_leadership_workbook_prints_one_page_wide():
    check_print_setup(_leadership())


def check_charts_fit(wb: Workbook) -> int:
    """Every chart within the printed columns and rows, no wider than A4 landscape's printable
    width and no taller than its height; return how many charts there are."""
    charts = 0
    for ws in wb.worksheets:
        area = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
        last_col = column_index_from_string(
            "".join(ch for ch in area.split(":")[-1] if ch.isalpha())
        )
        last_row = int("".join(ch for ch in area.split(":")[-1] if ch.isdigit()))
        printed_cm = sum(
            column_cm(ws.column_dimensions[get_column_letter(i)].width or 8.43)
            for i in range(1, last_col + 1)
        )
        for chart in ws._charts:
            charts += 1
            col, row = coordinate_from_string(chart.anchor)  # where the chart was placed
            left_cm = sum(
                column_cm(ws.column_dimensions[get_column_letter(i)].width or 8.43)
                for i in range(1, column_index_from_string(col))
            )
            assert chart.width <= PRINTABLE_WIDTH_CM, ws.title
            assert chart.height <= PRINTABLE_HEIGHT_CM, ws.title
            # the chart lies within the printed columns and rows, and so is never cut off
            assert left_cm + chart.width <= printed_cm, ws.title
            assert row + chart.height / (15 * 2.54 / 72) <= last_row + 1, ws.title
    return charts


def test_leadership_charts_fit_within_the_printable_width_and_height():
    assert check_charts_fit(aggregate_xlsx.build_workbook(_figures())) > 0


def _pages(xlsx: bytes, tmp_path: Path, name: str) -> int:
    src = tmp_path / f"{name}.xlsx"
    src.write_bytes(xlsx)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return len(PdfReader(tmp_path / f"{name}.pdf").pages)


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_printed_page_counts_stay_within_the_budget(tmp_path):
    case = case_workbook.workbook_bytes(build_report())
    assert _pages(case, tmp_path, "case") <= CASE_PAGE_BUDGET
    leadership = aggregate_xlsx.workbook_bytes(_figures())
    assert _pages(leadership, tmp_path, "leadership") <= LEADERSHIP_PAGE_BUDGET
