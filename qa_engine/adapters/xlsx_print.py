"""Print setup shared by the engine's workbooks: A4, landscape where wide, one page wide
(as many pages tall as needed), the header rows repeated on every page, a print area, and a
number format on every numeric cell so that no raw float is ever shown."""

from __future__ import annotations

import math

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

# A4 landscape is 29.7 cm × 21.0 cm; with the margins below (inches, as openpyxl takes them)
# the printable area is 29.7 - 2 × 1.27 = 27.16 cm wide and 21.0 - 2 × 1.9 = 17.2 cm high.
MARGIN_SIDE_IN = 0.5
MARGIN_TOP_IN = 0.75
PRINTABLE_WIDTH_CM = 29.7 - 2 * MARGIN_SIDE_IN * 2.54
PRINTABLE_HEIGHT_CM = 21.0 - 2 * MARGIN_TOP_IN * 2.54
# a sheet wider than this (in Excel character widths) is printed landscape
PORTRAIT_MAX_CHARS = 95

COUNT_FORMAT = "0"
MEAN_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"


def column_cm(chars: float) -> float:
    """The printed width of an Excel column `chars` characters wide (7 px per character and
    5 px of padding at 96 dpi)."""
    return (chars * 7 + 5) * 2.54 / 96


def sheet_chars(ws: Worksheet, last_col: int) -> float:
    return sum(
        ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, last_col + 1)
    )


def format_numbers(ws: Worksheet) -> None:
    """Give every numeric cell still in the General format a format: whole numbers as counts
    ("0"), any other number as a mean ("0.00")."""
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if cell.number_format == "General":
                whole = isinstance(value, int) or float(value).is_integer()
                cell.number_format = COUNT_FORMAT if whole else MEAN_FORMAT


LINE_POINTS = 15.0  # the height of one line of 11-point text, as Excel's default row
CHARS_PER_WIDTH = 1.2  # characters of running text per unit of column width (the width of a "0")


def text_lines(text: str, width: float, font_points: float = 11.0) -> int:
    """How many lines `text` wraps to in a column `width` characters wide."""
    per_line = max(1, int(width * CHARS_PER_WIDTH * 11.0 / font_points))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def fit_row_heights(ws: Worksheet) -> None:
    """Give every row that holds wrapped text the height its longest cell needs, so that a printed
    page shows the whole text (a row keeps its default height otherwise, and a wrapped cell would
    print one line over the next rows)."""
    for row in ws.iter_rows():
        lines, points = 1, 11.0
        for cell in row:
            if not isinstance(cell.value, str) or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[cell.column_letter].width or 8.43
            size = float(cell.font.sz or 11) if cell.font else 11.0
            if text_lines(cell.value, width, size) * size > lines * points:
                lines, points = text_lines(cell.value, width, size), size
        if lines > 1:
            ws.row_dimensions[row[0].row].height = round(lines * LINE_POINTS * points / 11.0, 1)


def print_setup(
    ws: Worksheet,
    *,
    title_rows: str | None,
    last_col: int | None = None,
    last_row: int | None = None,
    pages_tall: int = 0,
) -> None:
    """Set up `ws` to print one page wide on A4, `title_rows` (such as "4:4") repeated, and at
    most `pages_tall` pages tall (0: as many as needed)."""
    format_numbers(ws)
    fit_row_heights(ws)
    last_col = max(last_col or 1, ws.max_column)
    wide = sheet_chars(ws, last_col) > PORTRAIT_MAX_CHARS
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if wide else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = MARGIN_SIDE_IN
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_TOP_IN
    ws.print_options.horizontalCentered = False
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(1, ws.max_row, last_row or 1)}"
    if title_rows:
        ws.print_title_rows = title_rows
