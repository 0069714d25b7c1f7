"""The evaluation report's page: its geometry and its furniture.

Every page carries a header (alliance logo and name, report id) and a footer (page x of y, the
verification address and a QR code that encodes it). The PDF's dates are the report's generation
time, so the same report gives the same bytes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas

from qa_engine.adapters.pdf_style import (
    ACCENT,
    BRAND,
    BRAND_LINE,
    FONT,
    FONT_BOLD,
    MUTED,
    RULE,
    printable_text,
)
from qa_engine.adapters.translations import format_moment, translations
from qa_engine.domain.report import EvaluationReport

PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
HEADER_H = 24 * mm
FOOTER_H = 30 * mm
FRAME_W = PAGE_W - 2 * MARGIN_X
QR_SIZE = 22 * mm
FRAME_H = PAGE_H - HEADER_H - FOOTER_H - 8 * mm


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
    """Draw one line of footer text, shrinking it (down to 5 pt) rather than running off the
    page; glyph-less characters as their code points."""
    text = printable_text(text)
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


def make_canvas_class(report: EvaluationReport) -> type[rl_canvas.Canvas]:
    """A canvas that holds pages back until the end, so that every page can say "page x of y"."""
    link = report.verification_link
    stamp = _timestamp(report.generated_at)
    _ = translations(report.language).gettext
    brand_line = _(BRAND_LINE)
    subtitle = _("Evaluation report of a micro-credential")
    case_round = _("Case %(case)s, round %(round)s") % {
        "case": report.case_id,
        "round": report.round,
    }
    footer_id = _("Report %(report)s") % {"report": report.report_id}
    verify_at = _("Verify at %(address)s") % {"address": report.verify_url}
    how = _("with the report id above, or scan the code.")
    generated = _("Generated %(when)s · template %(template)s · rubric %(rubric)s %(version)s") % {
        "when": format_moment(report.generated_at, report.language),
        "template": report.template_version,
        "rubric": report.rubric_id,
        "version": report.rubric_version,
    }

    # reportlab ships no type information: its Canvas is Any to mypy
    class ReportCanvas(rl_canvas.Canvas):  # type: ignore[misc]
        _annotationCount: int  # reportlab's counter that names the annotations

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = stamp  # the PDF's dates are the report's generation time
            self._held_pages: list[dict[str, Any]] = []
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
            self.drawString(text_x, top - 6 * mm, printable_text(brand_line))
            self.setFillColor(MUTED)
            self.setFont(FONT, 8)
            self.drawString(text_x, top - 11 * mm, printable_text(subtitle))
            self.setFillColor(colors.black)
            self.setFont(FONT_BOLD, 9)
            self.drawRightString(PAGE_W - MARGIN_X, top - 6 * mm, printable_text(report.report_id))
            self.setFont(FONT, 7.5)
            self.setFillColor(MUTED)
            self.drawRightString(PAGE_W - MARGIN_X, top - 11 * mm, printable_text(case_round))
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
            self.drawString(fx, 6 * mm + 17 * mm, printable_text(footer_id))
            room = PAGE_W - MARGIN_X - fx
            _fit_string(self, fx, 6 * mm + 12.5 * mm, verify_at, 7.5, room)
            _fit_string(self, fx, 6 * mm + 8.5 * mm, how, 7.5, room)
            self.setFillColor(MUTED)
            _fit_string(self, fx, 6 * mm + 3 * mm, generated, 6.5, room)
            self.setFillColor(colors.black)
            self.setFont(FONT_BOLD, 8.5)
            self.drawRightString(
                PAGE_W - MARGIN_X,
                6 * mm + 17 * mm,
                printable_text(_("Page %(page)s of %(pages)s") % {"page": number, "pages": total}),
            )
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
