"""The leadership report as a workbook (openpyxl): one sheet per section, every table an Excel
table with filter buttons, the figures stored as numbers, native Excel charts beside their data,
the heatmap as a colour-scaled table. Text is always written as text, never as a formula."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from qa_engine.adapters.charts import Block, ChartSpec, TableSpec, report_sections, words
from qa_engine.adapters.safe_xlsx import write_cell
from qa_engine.adapters.xlsx_print import PRINTABLE_HEIGHT_CM, column_cm, print_setup
from qa_engine.domain import i18n
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import LeadershipFigures

NUMBER_FORMATS = {"int": "0", "pct": "0.0%", "num2": "0.00", "days": "0.0", "time": "0.0"}
TITLE_FONT = Font(bold=True, size=12, color="1D3C78")
HEADER_FILL = PatternFill("solid", fgColor="1D3C78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MUTED = Font(italic=True, color="5B6475")
WRAP = Alignment(wrap_text=True, vertical="top")
WRAP_RIGHT = Alignment(wrap_text=True, vertical="top", horizontal="right")
# the table columns: A for the labels, B to F for the figures; charts stand below their table,
# as wide as these columns, so that a chart never reaches past the table's printed width
COLUMN_WIDTHS = (48, 14, 14, 14, 14, 14)
CHART_WIDTH_CM = round(sum(column_cm(w) for w in COLUMN_WIDTHS) - 0.5, 1)
CHART_HEIGHT_CM = 7.5
CHART_MAX_HEIGHT_CM = round(PRINTABLE_HEIGHT_CM - 2.0, 1)  # a chart fits on one page
ROW_CM = 15 * 2.54 / 72  # the default row height, 15 points


def _write_table(ws: Worksheet, row: int, spec: TableSpec) -> int:
    """Write the table at `row`; return the last row used."""
    for col, head in enumerate(spec.headers, start=1):
        cell = write_cell(ws, row, col, head)
        # a column of numbers: its header right-aligned, above the numbers
        numeric = spec.formats[col - 1] in NUMBER_FORMATS
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = WRAP_RIGHT if numeric else WRAP
    if not spec.rows:
        write_cell(ws, row + 1, 1, words(spec.lang)(N_("No data for this period."))).font = MUTED
        return row + 1
    for i, values in enumerate(spec.rows):
        for j, value in enumerate(values):
            kind = spec.cell_format(i, j)
            if kind == "text" or isinstance(value, str):
                write_cell(ws, row + 1 + i, j + 1, "" if value is None else str(value))
            else:
                cell = ws.cell(row=row + 1 + i, column=j + 1, value=value)
                cell.number_format = NUMBER_FORMATS.get(kind, "General")
    last = row + len(spec.rows)
    ref = f"A{row}:{get_column_letter(len(spec.headers))}{last}"
    table = Table(displayName=_table_name(spec.id), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)  # an Excel table carries its own filter buttons
    return last


def _table_name(key: str) -> str:
    return "T_" + re.sub(r"[^A-Za-z0-9_]", "_", key)


def _native_chart(
    ws: Worksheet, spec: ChartSpec, head_row: int, last_row: int, anchor: str
) -> None:
    n = len(spec.series)
    if last_row <= head_row:
        return
    if spec.kind == "heatmap":
        rng = f"B{head_row + 1}:{get_column_letter(1 + n)}{last_row}"
        ws.conditional_formatting.add(
            rng,
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="C62828",
                mid_type="num",
                mid_value=0.5,
                mid_color="F9D56E",
                end_type="num",
                end_value=1,
                end_color="2E7D32",
            ),
        )
        return
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "hbar" else "col"
        if spec.kind == "stacked_bar":
            chart.grouping = "stacked"
            chart.overlap = 100
    chart.title = spec.title
    chart.y_axis.title = spec.value_label
    chart.x_axis.title = spec.category_label
    if spec.max_value is not None:
        chart.y_axis.scaling.max = spec.max_value
    if spec.value_format in NUMBER_FORMATS:
        chart.y_axis.number_format = NUMBER_FORMATS[spec.value_format]
    data = Reference(ws, min_col=2, max_col=1 + n, min_row=head_row, max_row=last_row)
    cats = Reference(ws, min_col=1, min_row=head_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.width, chart.height = CHART_WIDTH_CM, _chart_height(spec, last_row - head_row)
    if n == 1:
        chart.legend = None
    ws.add_chart(chart, anchor)


def _chart_height(spec: ChartSpec, n_rows: int) -> float:
    if spec.kind != "hbar":
        return CHART_HEIGHT_CM
    return min(CHART_MAX_HEIGHT_CM, max(CHART_HEIGHT_CM, 0.45 * n_rows + 2))


def _block(ws: Worksheet, row: int, block: Block) -> int:
    write_cell(ws, row, 1, block.table.title).font = Font(bold=True)
    note = block.chart.description if block.chart and block.chart.description else block.table.note
    head = row + 1
    if note:
        write_cell(ws, head, 1, note).font = MUTED
        head += 1
    last = _write_table(ws, head, block.table)
    used = last
    if block.chart is not None and block.table.rows:
        _native_chart(ws, block.chart, head, last, f"A{last + 2}")
        if block.chart.kind != "heatmap":
            height = _chart_height(block.chart, len(block.table.rows))
            used = last + 2 + int(height / ROW_CM) + 1
    return used + 2


TITLE = N_("Quality of micro-credentials across the 4EU+ alliance")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str) -> str:
    """A section's title as a sheet's name (31 characters, none of []:*?/\\)."""
    return SHEET_NAME_FORBIDDEN.sub(" ", title)[:31].strip()


def build_workbook(figures: LeadershipFigures, lang: str = i18n.DEFAULT) -> Workbook:
    """The workbook, every text in `lang` (the figures are numbers, Excel shows them in the
    reader's own format)."""
    _ = words(lang)
    wb = Workbook()
    wb.remove(wb.active)
    ends: dict[str, int] = {}  # the last row each sheet uses, its charts included
    for section in report_sections(figures, _.lang):
        ws = wb.create_sheet(_sheet_name(section.title))
        write_cell(ws, 1, 1, f"{section.title} — {_.period(figures)}").font = TITLE_FONT
        write_cell(
            ws,
            2,
            1,
            _(
                "%(scope)s; report %(id)s; for %(audience)s",
                scope=_.scope(figures.filters),
                id=figures.report_id,
                audience=_.audience(figures),
            ),
        ).font = MUTED
        write_cell(ws, 3, 1, section.intro).font = MUTED
        row = 5
        for block in section.blocks:
            row = _block(ws, row, block)
        ends[ws.title] = row
        for i, width in enumerate(COLUMN_WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.sheet_view.showGridLines = False
    if figures.notes:
        ws = wb.worksheets[0]  # the summary
        row = max(ws.max_row, ends.get(ws.title, 0)) + 2
        write_cell(ws, row, 1, _("Notes")).font = Font(bold=True)
        for i, note in enumerate(_.notes(figures), start=1):
            write_cell(ws, row + i, 1, note).alignment = WRAP
        ends[ws.title] = row + len(figures.notes)
    for ws in wb.worksheets:
        # the section's title and filters head every printed page
        print_setup(ws, title_rows="1:2", last_col=len(COLUMN_WIDTHS), last_row=ends.get(ws.title))
    wb.properties.title = _(TITLE)
    wb.properties.subject = figures.report_id
    wb.properties.creator = "4EU+ QA engine"
    wb.properties.language = _.lang
    return wb


def workbook_bytes(figures: LeadershipFigures, lang: str = i18n.DEFAULT) -> bytes:
    buf = io.BytesIO()
    build_workbook(figures, lang).save(buf)
    return buf.getvalue()
