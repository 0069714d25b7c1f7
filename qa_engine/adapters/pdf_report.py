"""Render an `EvaluationReport` to PDF bytes (reportlab platypus, A4).

The renderer prints what the report data says and computes nothing a reader could not check
from the printed numbers. The same report data gives the same bytes: the PDF's dates come from
`report.generated_at` and reportlab runs in invariant mode (no random file id).

Every page carries a header (alliance logo and name, report id) and a footer (page x of y, the
verification address and a QR code that encodes it). Fonts are the DejaVu TrueType fonts
shipped in ``reports/fonts`` so that every European name prints as written.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
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
    Table,
    TableStyle,
)

from qa_engine.domain.report import (
    EvaluationReport,
    ReportCriterion,
    ReportStandardRow,
    outcome_label,
)

__all__ = ["render_report", "BRAND_LINE", "FONT_FILES"]

BRAND_LINE = "4EU+ Alliance — Micro-credential quality assurance"
AUTHOR = "4EU+ QA engine"

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
}

# Colours of the alliance branding (a deep blue with a warm accent) and of the table chrome.
BRAND = colors.HexColor("#1d3c78")
ACCENT = colors.HexColor("#e3a21a")
RULE = colors.HexColor("#b8c2d6")
HEAD_BG = colors.HexColor("#1d3c78")
BAND_BG = colors.HexColor("#e8edf6")
ZEBRA_BG = colors.HexColor("#f6f8fb")
WARN = colors.HexColor("#b7410e")
MUTED = colors.HexColor("#5b6475")

PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
HEADER_H = 24 * mm
FOOTER_H = 30 * mm
FRAME_W = PAGE_W - 2 * MARGIN_X
QR_SIZE = 22 * mm
FRAME_H = PAGE_H - HEADER_H - FOOTER_H - 8 * mm
# A table row never grows beyond this: longer text continues in the next row, so that tables only
# split between rows (reportlab's in-row splitting repeated the header row inside the page).
MAX_ROW_H = FRAME_H * 0.45
CELL_PAD = 3

_registered: dict[str, Path] = {}


# --- fonts and styles -------------------------------------------------------------------------


def _register_fonts(reports_dir: Path) -> None:
    """Register the shipped DejaVu fonts once per process (names are global in reportlab)."""
    font_dir = reports_dir / "fonts"
    for name, filename in FONT_FILES.items():
        path = font_dir / filename
        if _registered.get(name) == path:
            continue
        if not path.is_file():
            raise FileNotFoundError(
                f"The report font {path} is missing; the reports folder must ship {filename} "
                f"(DejaVu fonts, see {font_dir / 'LICENSE-DejaVu.txt'})."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
        _registered[name] = path
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=colors.black)
    return {
        "body": base,
        "para": ParagraphStyle("para", parent=base, spaceAfter=5),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "muted": ParagraphStyle("muted", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_b": ParagraphStyle("cell_b", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle(
            "head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, textColor=colors.white
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=18,
            leading=22,
            textColor=BRAND,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=15, spaceAfter=6),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=BRAND,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "item": ParagraphStyle(
            "item", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2, alignment=TA_LEFT
        ),
    }


# --- small formatting helpers -------------------------------------------------------------------


def _text(value: object) -> str:
    """Escape text for a Paragraph and keep the author's line breaks."""
    s = "" if value is None else str(value)
    s = escape(s.replace("\r\n", "\n").replace("\r", "\n").strip())
    return s.replace("\n", "<br/>")


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value) == int(value):
        return str(int(value))
    return f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _kv_table(
    rows: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], key_w: float = 42 * mm
) -> Table:
    data = [[_p(_text(k), st["cell_b"]), _p(v, st["cell"])] for k, v in rows]
    t = Table(data, colWidths=[key_w, FRAME_W - key_w], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("BACKGROUND", (0, 0), (0, -1), BAND_BG),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return t


def _grid_style(extra: Iterable[tuple] = ()) -> TableStyle:
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ]
    )


def _widths(fractions: Sequence[float]) -> list[float]:
    total = sum(fractions)
    return [FRAME_W * f / total for f in fractions]


def _split_row(
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


def _score_bar(value: float | None, width: float = 22 * mm, height: float = 7) -> Drawing:
    """A small horizontal bar showing a 0..1 share."""
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=BAND_BG, strokeColor=RULE, strokeWidth=0.3))
    if value is not None:
        d.add(
            Rect(0, 0, width * max(0.0, min(1.0, value)), height, fillColor=BRAND, strokeColor=None)
        )
    return d


# --- page furniture: logo, QR code, header and footer -------------------------------------------


def _draw_logo(c: rl_canvas.Canvas, x: float, y: float, size: float) -> None:
    """The alliance mark: a blue tile, eight gold dots (the member universities) and "4EU+"."""
    c.saveState()
    c.setFillColor(BRAND)
    c.roundRect(x, y, size, size, size * 0.18, stroke=0, fill=1)
    cx, cy, r = x + size / 2, y + size / 2, size * 0.37
    c.setFillColor(ACCENT)
    for i in range(8):
        angle = math.pi / 2 + i * math.pi / 4
        c.circle(cx + r * math.cos(angle), cy + r * math.sin(angle), size * 0.045, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(FONT_BOLD, size * 0.2)
    c.drawCentredString(cx, cy - size * 0.07, "4EU+")
    c.restoreState()


def _fit_string(
    c: rl_canvas.Canvas, x: float, y: float, text: str, size: float, room: float
) -> None:
    """Draw one line of footer text, shrinking it (down to 5 pt) rather than running off the page."""
    width = pdfmetrics.stringWidth(text, FONT, size)
    if width > room:
        size = max(5.0, size * room / width)
    c.setFont(FONT, size)
    c.drawString(x, y, text)


def _qr_drawing(value: str, size: float) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M", barBorder=1)
    x0, y0, x1, y1 = widget.getBounds()
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(widget)
    return d


def _make_canvas_class(report: EvaluationReport) -> type[rl_canvas.Canvas]:
    """A canvas that holds pages back until the end, so that every page can say "page x of y"."""
    link = report.verification_link
    stamp = _timestamp(report.generated_at)

    class ReportCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = stamp  # the PDF's dates are the report's generation time
            self._held_pages: list[dict] = []
            # Drawn once, shown on every page.
            self.beginForm("qa-logo")
            _draw_logo(self, MARGIN_X, PAGE_H - 8 * mm - 14 * mm, 14 * mm)
            self.endForm()
            self.beginForm("qa-qr")
            renderPDF.draw(_qr_drawing(link, QR_SIZE), self, MARGIN_X, 6 * mm)
            self.endForm()

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            # annotation names come from a counter that each restored page state would rewind:
            # number the footer links after every annotation the pages already hold
            annotations = self._annotationCount
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                self._annotationCount = annotations
                self._furniture(number, total)
                annotations = self._annotationCount
                rl_canvas.Canvas.showPage(self)
            rl_canvas.Canvas.save(self)

        def _furniture(self, number: int, total: int) -> None:
            self.saveState()
            # header
            self.doForm("qa-logo")
            top = PAGE_H - 8 * mm
            text_x = MARGIN_X + 17 * mm
            self.setFillColor(BRAND)
            self.setFont(FONT_BOLD, 10.5)
            self.drawString(text_x, top - 6 * mm, BRAND_LINE)
            self.setFillColor(MUTED)
            self.setFont(FONT, 8)
            self.drawString(text_x, top - 11 * mm, "Evaluation report of a micro-credential")
            self.setFillColor(colors.black)
            self.setFont(FONT_BOLD, 9)
            self.drawRightString(PAGE_W - MARGIN_X, top - 6 * mm, report.report_id)
            self.setFont(FONT, 7.5)
            self.setFillColor(MUTED)
            self.drawRightString(
                PAGE_W - MARGIN_X, top - 11 * mm, f"Case {report.case_id}, round {report.round}"
            )
            self.setStrokeColor(ACCENT)
            self.setLineWidth(1.2)
            self.line(MARGIN_X, PAGE_H - HEADER_H, PAGE_W - MARGIN_X, PAGE_H - HEADER_H)
            # footer
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(
                MARGIN_X, 6 * mm + QR_SIZE + 2 * mm, PAGE_W - MARGIN_X, 6 * mm + QR_SIZE + 2 * mm
            )
            self.doForm("qa-qr")
            fx = MARGIN_X + QR_SIZE + 4 * mm
            # the code and the address are also clickable
            self.linkURL(link, (MARGIN_X, 6 * mm, MARGIN_X + QR_SIZE, 6 * mm + QR_SIZE), relative=0)
            self.linkURL(
                link,
                (fx, 6 * mm + 11.5 * mm, PAGE_W - MARGIN_X - 40 * mm, 6 * mm + 15.5 * mm),
                relative=0,
            )
            self.setFillColor(colors.black)
            self.setFont(FONT_BOLD, 8)
            self.drawString(fx, 6 * mm + 17 * mm, f"Report {report.report_id}")
            room = PAGE_W - MARGIN_X - fx
            _fit_string(self, fx, 6 * mm + 12.5 * mm, f"Verify at {report.verify_url}", 7.5, room)
            _fit_string(
                self,
                fx,
                6 * mm + 8.5 * mm,
                "with the report id above, or scan the code.",
                7.5,
                room,
            )
            self.setFillColor(MUTED)
            _fit_string(
                self,
                fx,
                6 * mm + 3 * mm,
                f"Generated {_when(report.generated_at)} · template {report.template_version} · "
                f"rubric {report.rubric_id} {report.rubric_version}",
                6.5,
                room,
            )
            self.setFillColor(colors.black)
            self.setFont(FONT_BOLD, 8.5)
            self.drawRightString(PAGE_W - MARGIN_X, 6 * mm + 17 * mm, f"Page {number} of {total}")
            self.restoreState()

    return ReportCanvas


def _timestamp(generated_at: datetime) -> TimeStamp:
    """reportlab's document time stamp, set to the report's generation time (UTC)."""
    ts = TimeStamp(invariant=True)
    t = generated_at.astimezone(UTC)
    ts.t = t.timestamp()
    ts.lt = t.timetuple()
    ts.YMDhms = tuple(ts.lt)[:6]
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    return ts


# --- sections -----------------------------------------------------------------------------------


def _title_block(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    facts = [
        ("Credential", f"<b>{_text(cred.title)}</b> ({_text(cred.reference)})"),
        ("Provider", f"{_text(cred.provider_name)} ({_text(cred.provider)})"),
        (
            "Decision",
            f"<b>{_text(outcome_label(r.decision_outcome))}</b> — {_text(r.decided_by_label)}, {_when(r.decided_at)}",
        ),
        ("Valid until", _day(r.valid_until)),
        ("Overall score", f"{_pct(r.overall)} of the rubric maximum"),
        ("Reviewer agreement", _agreement_text(r)),
        (
            "Report",
            f"{_text(r.report_id)} · case {r.case_id}, round {r.round} · generated {_when(r.generated_at)}",
        ),
    ]
    return [
        _p("Evaluation report", st["title"]),
        _p(_text(cred.title), st["subtitle"]),
        _kv_table(facts, st),
    ]


def _agreement_text(r: EvaluationReport) -> str:
    if r.agreement is None:
        return _text(r.agreement_label or "not computed")
    label = f" ({_text(r.agreement_label)})" if r.agreement_label else ""
    return f"Krippendorff's α = {r.agreement:.2f}{label}"


def _credential_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    out: list[Flowable] = [_p("1. The credential", st["h1"])]
    out.append(
        _kv_table(
            [
                ("Reference", _text(cred.reference)),
                ("Title", _text(cred.title)),
                ("Provider", f"{_text(cred.provider_name)} ({_text(cred.provider)})"),
                ("Workload", f"{_text(cred.ects)} ECTS" if cred.ects else "—"),
                ("EQF level", _text(cred.eqf_level) if cred.eqf_level is not None else "—"),
                ("ISCED-F field", _text(cred.isced_f) or "—"),
                ("Languages", _text(", ".join(cred.languages)) or "—"),
                ("Skills", _text(", ".join(cred.skills)) or "—"),
            ],
            st,
        )
    )
    if cred.learning_outcomes:
        out.append(_p("Learning outcomes", st["h2"]))
        out.extend(
            Paragraph(_text(lo), st["item"], bulletText="•") for lo in cred.learning_outcomes
        )
    if cred.elements:
        out.append(_p("Standard elements (Council Recommendation 2022, Annex I)", st["h2"]))
        data: list[list] = [
            [_p("Element", st["head"]), _p("Title", st["head"]), _p("Value", st["head"])]
        ]
        widths = _widths([18, 40, 116])
        for element_id, title, value in cred.elements:
            row = [
                _p(_text(element_id), st["cell_b"]),
                _p(_text(title), st["cell"]),
                _p(_text(value) or "—", st["cell"]),
            ]
            data.extend(_split_row(row, widths, _continued(st)))
        t = LongTable(data, colWidths=widths, repeatRows=1)
        t.setStyle(_grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
        out.append(t)
    return out


def _rubric_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        _p("2. Rubric", st["h1"]),
        _kv_table(
            [
                ("Rubric", _text(r.rubric_id)),
                ("Version", _text(r.rubric_version)),
                ("Content hash", f'<font size="7">{_text(r.rubric_hash)}</font>'),
                ("Criteria", str(len(r.criteria))),
            ],
            st,
        ),
        Spacer(1, 2),
        _p(
            "The case was reviewed against this frozen rubric version; the content hash identifies "
            "the exact text of the rubric that reviewers scored against.",
            st["muted"],
        ),
    ]


def _self_assessment_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    paragraphs = [
        p for p in r.self_assessment_summary.replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    out: list[Flowable] = [_p("3. Self-assessment summary", st["h1"])]
    out.extend(_p(_text(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _continued(st: dict[str, ParagraphStyle], who: str = "") -> Paragraph:
    return _p(f"{_text(who)} (continued)".strip(), st["muted"])


def _score_cell(
    c: ReportCriterion, value: float | None, st: dict[str, ParagraphStyle]
) -> Paragraph:
    label = c.label_for(value)
    text = f"<b>{_num(value)}</b>"
    if label:
        text += f'<br/><font size="6.5" color="#5b6475">{_text(label)}</font>'
    return _p(text, st["cell"])


def _criterion_band(c: ReportCriterion) -> str:
    facts = [_text(c.kind.replace("_", " ")), f"weight {c.effective_weight:.3f}"]
    if c.gate_min is not None:
        verdict = {True: "passed", False: "FAILED", None: "not judged"}[c.gate_passed]
        facts.append(f"gate: at least {c.gate_min} ({verdict})")
    facts.append(f"mean {_num(c.mean)} · median {_num(c.median)} · spread {_num(c.spread)}")
    if c.disagreement:
        facts.append('<font color="#b7410e"><b>reviewers disagree</b></font>')
    if c.maps_to:
        facts.append("serves " + _text(", ".join(c.maps_to)))
    return (
        f"<b>{_text(c.id)}</b> — <b>{_text(c.title)}</b><br/>"
        f'<font size="7" color="#5b6475">{" · ".join(facts)}</font>'
    )


def _criteria_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """One table, criteria × (self-assessment + reviewers), that splits across pages."""
    out: list[Flowable] = [
        _p("4. Criteria, scores and justifications", st["h1"]),
        _p(
            "For each criterion: the provider's self-assessment, then each reviewer's score and "
            "justification. Reviewers are shown by label, not by name. Scale labels are given under "
            "each score; the full scales are listed in section 9.",
            st["muted"],
        ),
        Spacer(1, 4),
    ]
    data: list[list] = [
        [_p("Who", st["head"]), _p("Score", st["head"]), _p("Justification", st["head"])]
    ]
    style: list[tuple] = []
    widths = _widths([30, 20, 124])
    for c in r.criteria:
        band = len(data)
        data.append([_p(_criterion_band(c), st["cell"]), "", ""])
        style += [("SPAN", (0, band), (-1, band)), ("BACKGROUND", (0, band), (-1, band), BAND_BG)]
        self_row = [
            _p("Provider<br/>(self-assessment)", st["cell"]),
            _score_cell(c, c.self_score, st),
            _p(_text(c.self_narrative) or '<font color="#5b6475">no narrative</font>', st["cell"]),
        ]
        data.extend(_split_row(self_row, widths, _continued(st, "Provider")))
        # keep the criterion's band with its first answer, so no band is orphaned at a page foot
        style.append(("NOSPLIT", (0, band), (-1, band + 1)))
        for label, value, comment in c.scores:
            row = [
                _p(_text(label), st["cell_b"]),
                _score_cell(c, value, st),
                _p(_text(comment) or '<font color="#5b6475">no comment</font>', st["cell"]),
            ]
            data.extend(_split_row(row, widths, _continued(st, label)))
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(_grid_style(style))
    out.append(table)
    return out


def _consolidation_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    reviewers = r.reviewer_labels
    out: list[Flowable] = [_p("5. Consolidation", st["h1"])]
    out.append(
        _kv_table(
            [
                (
                    "Overall score",
                    f"<b>{_pct(r.overall)}</b> (weighted mean of normalised criterion means)",
                ),
                ("Reviewer agreement", _agreement_text(r)),
                ("Recommended outcome", _text(outcome_label(r.recommended_outcome))),
                (
                    "Disagreements",
                    _text(", ".join(c.id for c in r.criteria if c.disagreement)) or "none",
                ),
            ],
            st,
        )
    )
    out.append(Spacer(1, 6))
    short = [
        lbl.replace("Reviewer ", "") if lbl.startswith("Reviewer ") else lbl for lbl in reviewers
    ]
    head = ["Criterion", "Self", *short, "Mean", "Median", "Spread", "Weight"]
    data: list[list] = [[_p(_text(h), st["head"]) for h in head]]
    style: list[tuple] = [("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]
    for i, c in enumerate(r.criteria, start=1):
        by_label = {label: value for label, value, _ in c.scores}
        flag = ' <font color="#b7410e">▲</font>' if c.disagreement else ""
        row = [_p(f"{_text(c.id)}{flag}", st["cell"]), _p(_num(c.self_score), st["cell_r"])]
        row += [_p(_num(by_label.get(lbl)), st["cell_r"]) for lbl in reviewers]
        row += [
            _p(f"<b>{_num(c.mean)}</b>", st["cell_r"]),
            _p(_num(c.median), st["cell_r"]),
            _p(_num(c.spread), st["cell_r"]),
            _p(f"{c.effective_weight:.3f}", st["cell_r"]),
        ]
        data.append(row)
        if c.disagreement:
            style.append(("TEXTCOLOR", (0, i), (0, i), WARN))
    # fixed columns for the statistics; the criterion column takes what is left
    room = FRAME_W - 40 * mm - 67 * mm
    per_reviewer = max(7 * mm, min(12 * mm, room / max(1, len(reviewers))))
    fixed = [11 * mm, *([per_reviewer] * len(reviewers)), 14 * mm, 14 * mm, 14 * mm, 14 * mm]
    widths = [max(28 * mm, FRAME_W - sum(fixed)), *fixed]
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(_grid_style(style))
    out.append(table)
    out.append(Spacer(1, 2))
    out.append(
        _p(
            "▲ marks a criterion where the reviewers' scores are further apart than the workflow allows.",
            st["muted"],
        )
    )
    out.extend(_chart(r, st))
    return out


def _chart(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    scored = [(c, c.normalised_mean()) for c in r.criteria]
    scored = [(c, v) for c, v in scored if v is not None]
    if not scored:
        return []
    out: list[Flowable] = [CondPageBreak(80 * mm), _p("Mean score per criterion", st["h2"])]
    chunk = 40
    for start in range(0, len(scored), chunk):
        part = scored[start : start + chunk]
        bar_h = 12
        height = len(part) * bar_h + 28
        d = Drawing(FRAME_W, height)
        bc = HorizontalBarChart()
        bc.x, bc.y = 90, 18
        bc.width, bc.height = FRAME_W - 110, len(part) * bar_h
        # reportlab draws the first category at the bottom: reverse to read top-down
        part = list(reversed(part))
        bc.data = [[round(v * 100, 1) for _, v in part]]
        bc.categoryAxis.categoryNames = [c.id for c, _ in part]
        bc.categoryAxis.labels.fontName = FONT
        bc.categoryAxis.labels.fontSize = 7
        bc.categoryAxis.labels.boxAnchor = "e"
        bc.categoryAxis.labels.dx = -3
        bc.valueAxis.valueMin, bc.valueAxis.valueMax, bc.valueAxis.valueStep = 0, 100, 25
        bc.valueAxis.labels.fontName = FONT
        bc.valueAxis.labels.fontSize = 7
        bc.valueAxis.labelTextFormat = "%d %%"
        bc.valueAxis.visibleGrid = 1
        bc.valueAxis.gridStrokeColor = RULE
        bc.valueAxis.gridStrokeWidth = 0.3
        bc.barSpacing = 0
        bc.groupSpacing = 3.5
        bc.bars.strokeColor = None
        bc.bars[0].fillColor = BRAND
        for i, (c, _) in enumerate(part):
            if c.gate_passed is False:
                bc.bars[(0, i)].fillColor = WARN
            elif c.disagreement:
                bc.bars[(0, i)].fillColor = ACCENT
        d.add(bc)
        out.append(d)
    legend = Drawing(FRAME_W, 12)
    x = 90.0
    for colour, words in (
        (BRAND, "mean as a share of the scale"),
        (ACCENT, "reviewers disagree"),
        (WARN, "gate failed"),
    ):
        legend.add(Rect(x, 2, 8, 8, fillColor=colour, strokeColor=None))
        legend.add(String(x + 11, 3, words, fontName=FONT, fontSize=7))
        x += 11 + pdfmetrics.stringWidth(words, FONT, 7) + 14
    out.append(legend)
    return out


def _gates_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    gated = [c for c in r.criteria if c.gate_min is not None]
    out: list[Flowable] = [_p("6. Gates", st["h1"])]
    if not gated:
        out.append(_p("The rubric sets no minimum level on any criterion.", st["body"]))
        return out
    summary = (
        "Every gate is passed."
        if not r.gates_failed
        else f"<b>Gates failed:</b> {_text(', '.join(r.gates_failed))}. A failed gate caps the outcome whatever the overall score."
    )
    out.append(_p(summary, st["body"]))
    out.append(Spacer(1, 4))
    data: list[list] = [
        [_p(h, st["head"]) for h in ("Criterion", "Minimum level", "Mean", "Median", "Result")]
    ]
    style: list[tuple] = []
    for i, c in enumerate(gated, start=1):
        verdict = {True: "passed", False: "failed", None: "not judged"}[c.gate_passed]
        data.append(
            [
                _p(f"<b>{_text(c.id)}</b> {_text(c.title)}", st["cell"]),
                _p(str(c.gate_min), st["cell_r"]),
                _p(_num(c.mean), st["cell_r"]),
                _p(_num(c.median), st["cell_r"]),
                _p(verdict, st["cell_b"]),
            ]
        )
        if c.gate_passed is False:
            style.append(("TEXTCOLOR", (4, i), (4, i), WARN))
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fbeee8")))
    t = LongTable(data, colWidths=_widths([90, 24, 18, 18, 24]), repeatRows=1)
    t.setStyle(_grid_style(style))
    out.append(t)
    return out


def _standards_table(rows: Sequence[ReportStandardRow], st: dict[str, ParagraphStyle]) -> Flowable:
    data: list[list] = [
        [_p(h, st["head"]) for h in ("Reference", "Standard", "Score", "", "Criteria")]
    ]
    for row in rows:
        data.append(
            [
                _p(f"<b>{_text(row.reference)}</b>", st["cell"]),
                _p(_text(row.title), st["cell"]),
                _p(_pct(row.score), st["cell_r"]),
                _score_bar(row.score),
                _p(_text(", ".join(row.criteria)) or "—", st["cell"]),
            ]
        )
    t = LongTable(data, colWidths=_widths([20, 52, 16, 26, 60]), repeatRows=1)
    t.setStyle(
        _grid_style(
            [
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG]),
                ("VALIGN", (3, 1), (3, -1), "MIDDLE"),
            ]
        )
    )
    return t


def _standards_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [
        _p("7. What the scores say about the standards", st["h1"]),
        _p(
            "Each standard's score is the mean of the normalised means of the criteria that map to it "
            "(0 % = lowest level of every scale, 100 % = highest).",
            st["muted"],
        ),
    ]
    out.append(_p("ESG 2015, Part 1", st["h2"]))
    out.append(
        _standards_table(r.esg_rows, st)
        if r.esg_rows
        else _p("No criterion maps to an ESG standard.", st["body"])
    )
    out.append(
        _p("EU principles for micro-credentials (Council Recommendation 2022, Annex II)", st["h2"])
    )
    out.append(
        _standards_table(r.eu_rows, st)
        if r.eu_rows
        else _p("No criterion maps to an EU principle.", st["body"])
    )
    return out


def _decision_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [
        ("Outcome", f'<font size="10"><b>{_text(outcome_label(r.decision_outcome))}</b></font>'),
        ("Recommended by the scores", _text(outcome_label(r.recommended_outcome))),
        ("Decided by", _text(r.decided_by_label)),
        ("Decided at", _when(r.decided_at)),
        ("Valid until", _day(r.valid_until)),
    ]
    out: list[Flowable] = [_p("8. Decision", st["h1"]), _kv_table(rows, st)]
    if r.decision_outcome != r.recommended_outcome:
        out.append(Spacer(1, 2))
        out.append(
            _p(
                "The decision differs from the outcome the scores recommend; the rationale says why.",
                st["muted"],
            )
        )
    out.append(_p("Conditions", st["h2"]))
    if r.conditions:
        out.extend(
            Paragraph(_text(c), st["item"], bulletText=f"{i}.")
            for i, c in enumerate(r.conditions, start=1)
        )
    else:
        out.append(_p("None.", st["body"]))
    out.append(_p("Rationale", st["h2"]))
    paragraphs = [p for p in r.decision_rationale.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out.extend(_p(_text(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _scales_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Each distinct scale once, with the criteria that use it."""
    groups: dict[tuple, list[str]] = {}
    for c in r.criteria:
        if c.descriptors:
            groups.setdefault(tuple(sorted(c.descriptors)), []).append(c.id)
    out: list[Flowable] = [_p("9. Scales", st["h1"])]
    if not groups:
        out.append(_p("No criterion uses a scale.", st["body"]))
        return out
    for descriptors, ids in groups.items():
        data: list[list] = [[_p(h, st["head"]) for h in ("Level", "Label", "Descriptor")]]
        for value, label, descriptor in descriptors:
            data.append(
                [
                    _p(str(value), st["cell_r"]),
                    _p(_text(label), st["cell_b"]),
                    _p(_text(descriptor) or "—", st["cell"]),
                ]
            )
        t = Table(data, colWidths=_widths([14, 34, 126]), repeatRows=1)
        t.setStyle(_grid_style())
        out.append(
            KeepTogether(
                [_p("Used by " + _text(", ".join(ids)), st["small"]), Spacer(1, 2), t, Spacer(1, 6)]
            )
        )
    return out


def _history_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_p("10. Case history", st["h1"])]
    if not r.history:
        out.append(_p("No events recorded.", st["body"]))
        return out
    data: list[list] = [[_p(h, st["head"]) for h in ("When", "Who", "What", "Detail")]]
    widths = _widths([36, 28, 48, 62])
    for e in sorted(r.history, key=lambda e: e.at):
        row = [
            _p(_when(e.at), st["cell"]),
            _p(_text(e.actor_label), st["cell"]),
            _p(_text(e.action), st["cell"]),
            _p(_text(e.detail), st["cell"]),
        ]
        data.extend(_split_row(row, widths, _continued(st)))
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(_grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
    out.append(t)
    return out


def _verification_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        _p("How to verify this report", st["h1"]),
        _p(
            "This report is sealed with an electronic signature (PAdES) of the alliance's quality "
            "assurance office. Any PDF signature validator can check the seal; a change of any kind "
            "to the file after sealing breaks it. You can also check the report at "
            f"<b>{_text(r.verify_url)}</b> with the report id <b>{_text(r.report_id)}</b>, or by "
            "scanning the code at the foot of each page.",
            st["body"],
        ),
    ]


SECTIONS: tuple[Callable[[EvaluationReport, dict[str, ParagraphStyle]], list[Flowable]], ...] = (
    _title_block,
    _credential_section,
    _rubric_section,
    _self_assessment_section,
    _criteria_section,
    _consolidation_section,
    _gates_section,
    _standards_section,
    _decision_section,
    _scales_section,
    _history_section,
    _verification_section,
)


# --- entry point ----------------------------------------------------------------------------------


def render_report(report: EvaluationReport, *, reports_dir: Path) -> bytes:
    """Render the evaluation report to PDF bytes; the same report gives the same bytes."""
    _register_fonts(Path(reports_dir))
    st = _styles()
    story: list[Flowable] = []
    for section in SECTIONS:
        # a section heading never sits alone at the foot of a page
        story.append(CondPageBreak(45 * mm))
        story.extend(section(report, st))
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=HEADER_H + 4 * mm,
        bottomMargin=FOOTER_H + 4 * mm,
        title=f"Evaluation report {report.report_id} — {report.credential.title}",
        author=AUTHOR,
        subject=report.report_id,
        creator=f"qa-engine ({report.template_version})",
        keywords=[
            "4EU+",
            "micro-credential",
            "quality assurance",
            "evaluation report",
            report.report_id,
        ],
        invariant=1,
        lang="en",
        initialFontName=FONT,
    )
    frame = Frame(
        MARGIN_X,
        FOOTER_H + 4 * mm,
        FRAME_W,
        FRAME_H,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="report", frames=[frame])])
    doc.build(story, canvasmaker=_make_canvas_class(report))
    return buf.getvalue()
