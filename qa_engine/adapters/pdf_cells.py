"""The building blocks of the evaluation report's sections: text as Paragraph markup, numbers as
the report prints them, key-value tables, column widths, rows cut to fit a page, score bars."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table

from qa_engine.adapters.pdf_furniture import FRAME_H, FRAME_W
from qa_engine.adapters.pdf_style import BAND_BG, BRAND, RULE, key_value_style, marked_markup
from qa_engine.domain import numbers
from qa_engine.domain.consolidation import alpha_text
from qa_engine.domain.report import EvaluationReport

# A table row never grows beyond this: longer text continues in the next row, so that tables only
# split between rows (reportlab's in-row splitting repeated the header row inside the page).
MAX_ROW_H = FRAME_H * 0.45
CELL_PAD = 3


def markup(value: object) -> str:
    """Escape text for a Paragraph and keep the author's line breaks; a character the report
    fonts have no glyph for is printed as its code point in the warning colour, never as an
    empty box (the report's note on characters says so)."""
    s = "" if value is None else str(value)
    s = s.replace("\r\n", "\n").replace("\r", "\n").strip()
    return marked_markup(s).replace("\n", "<br/>")


def number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value) == int(value):
        return str(int(value))
    return f"{value:.{digits}f}"


def score_text(value: float | None) -> str:
    """A single score, as a whole number (scores are whole levels; yes/no is 1 or 0)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.0f}"


def mean_text(value: float | None) -> str:
    """A mean (or median) of scores, always with two decimals, so that a column of them reads
    alike: "3.00", "2.67"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.2f}"


def elements_text(present: float | None, total: int | None) -> str:
    """An elements check's score: "11 of 12 elements"."""
    if present is None:
        return "—"
    return f"{present:.0f} of {total} elements" if total is not None else f"{present:.0f} elements"


def percent(value: float | None) -> str:
    return numbers.percent(value)


def iso_day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def kv_table(
    rows: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], key_w: float = 42 * mm
) -> Table:
    data = [[para(markup(k), st["cell_b"]), para(v, st["cell"])] for k, v in rows]
    t = Table(data, colWidths=[key_w, FRAME_W - key_w], hAlign="LEFT")
    t.setStyle(key_value_style())
    return t


def column_widths(fractions: Sequence[float]) -> list[float]:
    total = sum(fractions)
    return [FRAME_W * f / total for f in fractions]


def split_row(
    row: Sequence[Flowable | str], widths: Sequence[float], continued: Flowable
) -> list[list[Flowable | str]]:
    """Cut a row whose text is taller than `MAX_ROW_H` into several rows (the rest "continued")."""
    pieces: list[list[Flowable | str]] = []
    for cell, width in zip(row, widths, strict=True):
        if not isinstance(cell, Paragraph):
            pieces.append([cell])
            continue
        inner = width - 2 * CELL_PAD
        chunks: list[Flowable | str] = []
        rest: Flowable = cell
        while True:
            _, height = rest.wrap(inner, 1e6)
            if height <= MAX_ROW_H:
                chunks.append(rest)
                break
            parts = rest.split(inner, MAX_ROW_H)
            if len(parts) < 2:  # nothing to cut at (one enormous word): leave it to reportlab
                chunks.append(rest)
                break
            chunks.append(parts[0])
            rest = parts[1]
        pieces.append(chunks)
    count = max(len(p) for p in pieces)
    rows: list[list[Flowable | str]] = []
    for i in range(count):
        line = [p[i] if i < len(p) else "" for p in pieces]
        if i > 0 and line[0] == "":
            line[0] = continued
        rows.append(line)
    return rows


def score_bar(value: float | None, width: float = 22 * mm, height: float = 7) -> Drawing:
    """A small horizontal bar showing a 0..1 share."""
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=BAND_BG, strokeColor=RULE, strokeWidth=0.3))
    if value is not None:
        d.add(
            Rect(0, 0, width * max(0.0, min(1.0, value)), height, fillColor=BRAND, strokeColor=None)
        )
    return d


def agreement_text(r: EvaluationReport) -> str:
    """The case's own figures first; alpha only second, with what it means (or why there is
    none: never 0.00)."""
    alpha = alpha_text(r.agreement, r.agreement_label)
    if not r.agreement_summary:
        return markup(alpha)
    parts = [markup(r.agreement_summary)]
    if r.yes_no_summary:
        parts.append(f"yes/no criteria: {markup(r.yes_no_summary)}")
    parts.append(f"secondary figure: {markup(alpha)}")
    return "<br/>".join(parts)


def continued_cell(st: dict[str, ParagraphStyle], who: str = "") -> Paragraph:
    return para(f"{markup(who)} (continued)".strip(), st["muted"])
