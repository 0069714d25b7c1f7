"""The leadership report as a PDF (reportlab, A4), every chart drawn with reportlab.graphics and
followed by its data table, sealed like the evaluation reports (PAdES, `signing.sign_pdf`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
)

from qa_engine.adapters import translations as tr
from qa_engine.adapters.charts import (
    PALETTE,
    ChartSpec,
    TableSpec,
    Words,
    axis_label,
    heat_colour,
    report_sections,
    words,
)
from qa_engine.adapters.pdf_style import (
    ACCENT,
    AUTHOR,
    BRAND,
    BRAND_LINE,
    FONT,
    FONT_BOLD,
    MUTED,
    dense_styles,
    grid_style,
    marked_markup,
    printable_text,
    register_fonts,
    unprintable_note,
)
from qa_engine.adapters.signing import Signer, sign_pdf
from qa_engine.domain import i18n, numbers
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import LeadershipFigures

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
FRAME_W = PAGE_W - 2 * MARGIN
CHART_W = FRAME_W
SIGNATURE_FIELD = "QA-Aggregate"
SIGNATURE_REASON = N_("Aggregate report of the 4EU+ micro-credential quality assurance")
TITLE = N_("Quality of micro-credentials across the 4EU+ alliance")
# pdf_style.BRAND_LINE, marked for the catalogs: the running head in the report's language
BRAND_TEXT = N_("4EU+ Alliance — Micro-credential quality assurance")


def _t(text: object) -> str:
    """Text for a Paragraph: escaped, glyph-less characters as their code points."""
    return marked_markup(str(text))


def _colour(spec: ChartSpec, i: int) -> colors.Color:
    return colors.HexColor(spec.series[i].colour or PALETTE[i % len(PALETTE)])


def _values(spec: ChartSpec) -> list[list[float]]:
    return [[float(v) if v is not None else 0.0 for v in s.values] for s in spec.series]


def _short(text: str, n: int) -> str:
    """A chart label: cut to `n` characters, glyph-less characters as their code points."""
    return printable_text(text if len(text) <= n else text[: n - 1] + "…")


def _legend(d: Drawing, spec: ChartSpec, y: float) -> None:
    if len(spec.series) < 2:
        return
    lg = Legend()
    lg.x, lg.y = 40, y
    lg.fontName, lg.fontSize = FONT, 7
    lg.alignment = "right"
    lg.columnMaximum = 1
    lg.dxTextSpace = 4
    lg.deltax = 110
    lg.colorNamePairs = [
        (_colour(spec, i), printable_text(s.name)) for i, s in enumerate(spec.series)
    ]
    d.add(lg)


def _axis_format(spec: ChartSpec) -> Callable[[float], str]:
    """The value axis's ticks in the chart's language (a decimal comma in cs, de, fr …)."""
    return lambda v: axis_label(v, spec)


def _heat_label(value: float | None, lang: str) -> str:
    """A heatmap cell: the whole percentage without its sign (the chart's axis says it)."""
    if value is None:
        return "—"
    return tr.format_decimal(numbers.percent_value(value, 0), lang, 0)


def _vertical(spec: ChartSpec) -> Drawing:
    rotate = len(spec.categories) > 8 or max((len(c) for c in spec.categories), default=0) > 12
    h = 170 + (60 if rotate else 0)
    d = Drawing(CHART_W, h)
    c = VerticalBarChart()
    c.x, c.y, c.width, c.height = 40, (70 if rotate else 25), CHART_W - 60, 110
    c.data = _values(spec)
    c.categoryAxis.categoryNames = [_short(x, 20) for x in spec.categories]
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 6.5
    if rotate:
        c.categoryAxis.labels.angle = 45
        c.categoryAxis.labels.boxAnchor = "ne"
    c.valueAxis.labels.fontName = FONT
    c.valueAxis.labels.fontSize = 7
    c.valueAxis.valueMin = 0
    if spec.max_value:
        c.valueAxis.valueMax = spec.max_value
    c.valueAxis.labelTextFormat = _axis_format(spec)
    if spec.kind == "stacked_bar":
        c.categoryAxis.style = "stacked"
    for i in range(len(spec.series)):
        c.bars[i].fillColor = _colour(spec, i)
        c.bars[i].strokeColor = None
    d.add(c)
    _legend(d, spec, h - 8)
    return d


def _horizontal(spec: ChartSpec) -> Drawing:
    n = len(spec.categories)
    row = 7 + 7 * len(spec.series)
    h = 40 + n * row
    d = Drawing(CHART_W, h)
    c = HorizontalBarChart()
    c.x, c.y, c.width, c.height = 190, 20, CHART_W - 230, n * row
    data = _values(spec)
    c.data = [list(reversed(s)) for s in data]  # reportlab draws the first category at the bottom
    c.categoryAxis.categoryNames = [_short(x, 45) for x in reversed(spec.categories)]
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 6.5
    c.valueAxis.labels.fontName = FONT
    c.valueAxis.labels.fontSize = 7
    lowest = min((v for s in data for v in s), default=0.0)
    c.valueAxis.valueMin = min(0.0, lowest)
    if spec.max_value:
        c.valueAxis.valueMax = spec.max_value
    c.valueAxis.labelTextFormat = _axis_format(spec)
    for i in range(len(spec.series)):
        c.bars[i].fillColor = _colour(spec, i)
        c.bars[i].strokeColor = None
    d.add(c)
    _legend(d, spec, h - 6)
    return d


def _line(spec: ChartSpec) -> Drawing:
    rotate = len(spec.categories) > 12
    h = 160 + (30 if rotate else 0)
    d = Drawing(CHART_W, h)
    c = HorizontalLineChart()
    c.x, c.y, c.width, c.height = 40, (50 if rotate else 25), CHART_W - 60, 110
    c.data = _values(spec)
    c.categoryAxis.categoryNames = [printable_text(x) for x in spec.categories]
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 6.5
    if rotate:
        c.categoryAxis.labels.angle = 45
        c.categoryAxis.labels.boxAnchor = "ne"
    c.valueAxis.labels.fontName = FONT
    c.valueAxis.labels.fontSize = 7
    c.valueAxis.valueMin = 0
    c.valueAxis.labelTextFormat = _axis_format(spec)
    for i in range(len(spec.series)):
        c.lines[i].strokeColor = _colour(spec, i)
        c.lines[i].strokeWidth = 1.5
    d.add(c)
    _legend(d, spec, h - 8)
    return d


def _heatmap(spec: ChartSpec) -> Drawing:
    rows, cols = spec.categories, [s.name for s in spec.series]
    left, cell_h = 190, 12
    cell_w = (CHART_W - left) / max(1, len(cols))
    h = 20 + len(rows) * cell_h
    d = Drawing(CHART_W, h)
    top = h - 16
    for j, name in enumerate(cols):
        d.add(
            String(
                left + j * cell_w + cell_w / 2,
                top + 4,
                _short(name, 8),
                fontName=FONT_BOLD,
                fontSize=7,
                textAnchor="middle",
            )
        )
    for i, r in enumerate(rows):
        y = top - (i + 1) * cell_h
        d.add(
            String(left - 4, y + 3.5, _short(r, 48), fontName=FONT, fontSize=6.5, textAnchor="end")
        )
        for j, s in enumerate(spec.series):
            v = s.values[i]
            d.add(
                Rect(
                    left + j * cell_w,
                    y,
                    cell_w - 1,
                    cell_h - 1,
                    fillColor=colors.HexColor(heat_colour(v)),
                    strokeColor=None,
                )
            )
            label = _heat_label(v, spec.lang)
            ink = colors.white if v is not None and (v < 0.25 or v > 0.8) else colors.black
            d.add(
                String(
                    left + j * cell_w + cell_w / 2,
                    y + 3.5,
                    label,
                    fontName=FONT,
                    fontSize=6.5,
                    textAnchor="middle",
                    fillColor=ink,
                )
            )
    return d


def chart_drawing(spec: ChartSpec) -> Drawing | None:
    """The chart drawn with reportlab.graphics; None when there is nothing to draw."""
    if not spec.categories or (spec.kind != "heatmap" and spec.empty):
        return None
    drawing: Drawing = {
        "bar": _vertical,
        "stacked_bar": _vertical,
        "hbar": _horizontal,
        "line": _line,
        "heatmap": _heatmap,
    }[spec.kind](spec)
    drawing.initialFontName = FONT  # DejaVu from the start, not reportlab's Helvetica
    return drawing


class KeptTable(LongTable):  # type: ignore[misc]  # reportlab is untyped
    """A table whose header row repeats on every page and that never leaves one data row alone:
    a split leaves at least `MIN_ROWS` data rows on either side, and a table too short for that
    moves to the next page whole."""

    MIN_ROWS = 2

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        repeat = self.repeatRows
        head = repeat if isinstance(repeat, int) else max(repeat) + 1
        rows = len(self._cellvalues)
        if rows - head < 2 * self.MIN_ROWS:
            return []
        # the first row of the part after the split lies in this range (both ends included)
        self._rowSplitRange = (head + self.MIN_ROWS, rows - self.MIN_ROWS)
        parts: list[Flowable] = super().split(availWidth, availHeight)
        return parts


SHORT_TABLE_ROWS = 8  # a table of at most this many rows stays with its title and chart


def _numeric(fmt: str) -> bool:
    return fmt in ("int", "pct", "num2", "days", "time")


def _table(spec: TableSpec, st: dict[str, ParagraphStyle]) -> Flowable:
    if not spec.rows:
        return Paragraph(_t(words(spec.lang)(N_("No data for this period."))), st["muted"])
    numeric = [_numeric(f) for f in spec.formats]
    # a column of numbers is right-aligned, its header too (a column whose format is set row by
    # row holds numbers in every row)
    data = [
        [
            Paragraph(_t(h), st["head_r"] if numeric[i] else st["head"])
            for i, h in enumerate(spec.headers)
        ]
    ]
    for row in spec.formatted():
        data.append(
            [
                Paragraph(_t(v), st["cell_r"] if numeric[i] else st["cell"])
                for i, v in enumerate(row)
            ]
        )
    first = 0.7 if len(spec.headers) <= 2 else (0.45 if len(spec.headers) <= 5 else 0.28)
    rest = (1 - first) / max(1, len(spec.headers) - 1)
    widths = [FRAME_W * first] + [FRAME_W * rest] * (len(spec.headers) - 1)
    t = KeptTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(
        grid_style(padding=1.5, side_padding=6)
    )  # reportlab's default sides: wider than the house grid
    # the cells' own font (their paragraphs set theirs): DejaVu, not reportlab's Helvetica
    t.setStyle([("FONTNAME", (0, 0), (-1, -1), FONT)])
    return t


def _brand_line(_: Words) -> str:
    """The running head: pdf_style's brand line in the report's language (while the catalogs
    hold it)."""
    return _(BRAND_TEXT) if BRAND_LINE == BRAND_TEXT else BRAND_LINE


def _on_page(figures: LeadershipFigures, _: Words) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFillColor(BRAND)
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(MARGIN, PAGE_H - 11 * mm, printable_text(_brand_line(_)))
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(
            PAGE_W - MARGIN,
            PAGE_H - 11 * mm,
            printable_text(_("Aggregate report %(id)s", id=figures.report_id)),
        )
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1)
        canvas.line(MARGIN, PAGE_H - 13 * mm, PAGE_W - MARGIN, PAGE_H - 13 * mm)
        canvas.drawString(
            MARGIN,
            9 * mm,
            printable_text(f"{_.period(figures)} · {_.scope(figures.filters)}"),
        )
        canvas.drawRightString(
            PAGE_W - MARGIN, 9 * mm, printable_text(_("page %(page)s", page=doc.page))
        )
        canvas.restoreState()

    return draw


def render_pdf(figures: LeadershipFigures, *, reports_dir: Path, lang: str = i18n.DEFAULT) -> bytes:
    """The unsigned PDF, every text in `lang` (headings, tables, notes, dates and numbers)."""
    _ = words(lang)
    register_fonts(Path(reports_dir))
    st = dense_styles()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=18 * mm,
        bottomMargin=15 * mm,
        title=_(TITLE),
        author=AUTHOR,
        subject=figures.report_id,
        creator="qa-engine",
        lang=_.lang,
        initialFontName=FONT,  # every page starts in DejaVu Sans, not reportlab's Helvetica
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate("page", frames=[frame], onPage=_on_page(figures, _))])
    story = [
        Paragraph(_t(_(TITLE)), st["title"]),
        Paragraph(
            _t(
                _(
                    "Period %(period)s · %(scope)s · for %(audience)s · generated %(moment)s",
                    period=_.period(figures),
                    scope=_.scope(figures.filters),
                    audience=_.audience(figures),
                    moment=_.moment(figures.generated_at),
                )
            ),
            st["muted"],
        ),
    ]
    note = unprintable_note(figures)
    if note is not None:
        story.append(Paragraph(note, st["muted"]))
    story.append(Spacer(1, 4 * mm))
    for section in report_sections(figures, _.lang):
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(_t(section.title), st["h1"]))
        story.append(Paragraph(_t(section.intro), st["muted"]))
        for block in section.blocks:
            parts = [Paragraph(_t(block.table.title), st["h2"])]
            if block.chart is not None:
                drawing = chart_drawing(block.chart)
                if drawing is not None:
                    parts.append(drawing)
                if block.chart.description:
                    parts.append(Paragraph(_t(block.chart.description), st["muted"]))
            table = [Spacer(1, 1.5 * mm), _table(block.table, st)]
            if block.table.note:
                table.append(Paragraph(_t(block.table.note), st["muted"]))
            if len(block.table.rows) <= SHORT_TABLE_ROWS:
                story.append(KeepTogether([*parts, *table]))  # title, chart and table on one page
            else:
                story.append(KeepTogether(parts))
                story.extend(table)
            story.append(Spacer(1, 3 * mm))
    if figures.notes:
        story.append(Paragraph(_t(_("Notes")), st["h1"]))
        story.extend(Paragraph(_t(n), st["body"]) for n in _.notes(figures))
    doc.build(story)
    return buf.getvalue()


def signed_pdf(
    figures: LeadershipFigures,
    *,
    reports_dir: Path,
    signer: Signer,
    timestamp_url: str | None = None,
    lang: str = i18n.DEFAULT,
) -> bytes:
    """The PDF sealed with the organisation's certificate, like the evaluation reports."""
    return sign_pdf(
        render_pdf(figures, reports_dir=reports_dir, lang=lang),
        signer,
        field_name=SIGNATURE_FIELD,
        reason=words(lang)(SIGNATURE_REASON),
        timestamp_url=timestamp_url,
    )
