"""Render an `EvaluationReport` to PDF bytes (reportlab platypus, A4).

The renderer prints what the report data says and computes nothing a reader could not check
from the printed numbers. The same report data gives the same bytes: the PDF's dates come from
`report.generated_at` and reportlab runs in invariant mode (no random file id).

The house style is in `pdf_style`, the page (geometry, header, footer, page x of y, QR code) in
`pdf_furniture`, the content in `pdf_sections`.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate

from qa_engine.adapters.pdf_furniture import (
    FOOTER_H,
    FRAME_H,
    FRAME_W,
    HEADER_H,
    MARGIN_X,
    make_canvas_class,
)
from qa_engine.adapters.pdf_sections import SECTIONS
from qa_engine.adapters.pdf_style import AUTHOR, FONT, paragraph_styles, register_fonts
from qa_engine.adapters.translations import translations
from qa_engine.domain.report import EvaluationReport

__all__ = ["render_report"]


def render_report(report: EvaluationReport, *, reports_dir: Path) -> bytes:
    """Render the evaluation report to PDF bytes; the same report gives the same bytes."""
    register_fonts(Path(reports_dir))
    _ = translations(report.language).gettext
    st = paragraph_styles()
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
        title=_("Evaluation report %(report)s — %(title)s")
        % {"report": report.report_id, "title": report.credential.title},
        author=AUTHOR,
        subject=report.report_id,
        creator=f"qa-engine ({report.template_version})",
        keywords=[
            "4EU+",
            _("micro-credential"),
            _("quality assurance"),
            _("evaluation report"),
            report.report_id,
        ],
        invariant=1,
        lang=report.language,
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
    doc.build(story, canvasmaker=make_canvas_class(report))
    return buf.getvalue()
