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
from qa_engine.adapters.translations import format_date, format_decimal, format_share, translations
from qa_engine.domain.i18n import DEFAULT, Message
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


class Words:
    """The report's language: its catalog (`_`, `ngettext`) and Babel's formats of its numbers
    and dates. Every text a section prints goes through one (`words(report)`)."""

    def __init__(self, lang: str = DEFAULT) -> None:
        self.lang = lang
        catalog = translations(lang)
        self._ = catalog.gettext
        self.ngettext = catalog.ngettext
        self.pgettext = catalog.pgettext

    def text(self, value: str | Message) -> str:
        """A Message in the report's language; a plain text as it is."""
        return value.render(self._, self.ngettext) if isinstance(value, Message) else value

    def number(self, value: float | None, digits: int = 2) -> str:
        """A figure: whole numbers as such, others with `digits` decimals ("2.67", "2,67")."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if float(value) == int(value):
            return format_decimal(int(value), self.lang, 0)
        return format_decimal(value, self.lang, digits)

    def score(self, value: float | None) -> str:
        """A single score, as a whole number (scores are whole levels; yes/no is 1 or 0)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return format_decimal(round(value), self.lang, 0)

    def mean(self, value: float | None) -> str:
        """A mean (or median) of scores, always with two decimals, so that a column of them
        reads alike: "3.00", "2.67" ("3,00", "2,67" where the decimal sign is a comma)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return format_decimal(value, self.lang, 2)

    def weight(self, value: float) -> str:
        """A criterion's effective weight, three decimals."""
        return format_decimal(value, self.lang, 3)

    def percent(self, value: float | None) -> str:
        return percent(value, self.lang)

    def day(self, value: date | None) -> str:
        return "—" if value is None else format_date(value, self.lang)

    def elements(self, present: float | None, total: int | None) -> str:
        """An elements check's score: "11 of 12 elements"."""
        if present is None:
            return "—"
        if total is None:
            return self.ngettext("%(num)s element", "%(num)s elements", round(present)) % {
                "num": self.score(present)
            }
        return self.ngettext(
            "%(present)s of %(num)s element", "%(present)s of %(num)s elements", total
        ) % {
            "present": self.score(present),
            "num": total,
        }


def words(report: EvaluationReport) -> Words:
    return Words(report.language)


def number(value: float | None, digits: int = 2, lang: str = DEFAULT) -> str:
    return Words(lang).number(value, digits)


def percent(value: float | None, lang: str = DEFAULT) -> str:
    """A share (0–1) in percent by the engine's one rounding rule, in `lang`'s format."""
    return format_share(value, lang)


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


def alpha_words(r: EvaluationReport) -> str:
    """Krippendorff's alpha with what it means, or why there is none (never 0.00)."""
    w = words(r)
    label = w._(r.agreement_label) if r.agreement_label else w._("not computable")
    if r.agreement is None:
        return label
    return w._("Krippendorff's α (ordinal, scale criteria) = %(alpha)s: %(label)s") % {
        "alpha": format_decimal(r.agreement, w.lang, 3),
        "label": label,
    }


def agreement_summary(r: EvaluationReport) -> str:
    """The case's own agreement figures in the report's language."""
    if not r.agreement_messages:
        return r.agreement_summary
    w = words(r)
    return "; ".join(w.text(m) for m in r.agreement_messages)


def yes_no_text(r: EvaluationReport) -> str:
    """The agreement on the yes/no criteria in the report's language."""
    return words(r).text(r.yes_no_message) if r.yes_no_message else r.yes_no_summary


def agreement_text(r: EvaluationReport) -> str:
    """The case's own figures first; alpha only second, with what it means (or why there is
    none: never 0.00)."""
    w = words(r)
    alpha = alpha_words(r)
    if not r.agreement_summary:
        return markup(alpha)
    parts = [markup(agreement_summary(r))]
    if r.yes_no_summary:
        parts.append(w._("yes/no criteria: %(summary)s") % {"summary": markup(yes_no_text(r))})
    parts.append(w._("secondary figure: %(alpha)s") % {"alpha": markup(alpha)})
    return "<br/>".join(parts)


def continued_cell(st: dict[str, ParagraphStyle], w: Words, who: str = "") -> Paragraph:
    text = w._("%(who)s (continued)") % {"who": markup(who)} if who else w._("(continued)")
    return para(text.strip(), st["muted"])


def reviewer_label(label: str, w: Words) -> str:
    """A reviewer's label ("Reviewer A") in the report's language; a name as it is."""
    if label.startswith("Reviewer ") and len(label) <= 12:
        return w._("Reviewer %(letter)s") % {"letter": label.removeprefix("Reviewer ")}
    return label
