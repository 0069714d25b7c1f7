"""The sections of the evaluation report about the scores: each criterion's scores and
justifications, the consolidation with its chart, the gates and what the scores say about the
standards."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import CondPageBreak, Flowable, LongTable, Paragraph, Spacer

from qa_engine.adapters.pdf_cells import (
    Words,
    agreement_text,
    column_widths,
    continued_cell,
    kv_table,
    markup,
    para,
    reviewer_label,
    score_bar,
    split_row,
    words,
)
from qa_engine.adapters.pdf_furniture import FRAME_W
from qa_engine.adapters.pdf_style import (
    ACCENT,
    BAND_BG,
    BRAND,
    FONT,
    RULE,
    WARN,
    ZEBRA_BG,
    grid_style,
    printable_text,
)
from qa_engine.domain.consolidation import ALPHA_NOTE
from qa_engine.domain.i18n import N_
from qa_engine.domain.report import (
    YES_NO_LABELS,
    EvaluationReport,
    ReportCriterion,
    ReportPartRow,
    ReportStandardRow,
    outcome_label,
)
from qa_engine.domain.scoring import GATE_RULE_PARAMS, GATE_RULE_TEXT, GROUP_SCORE_METHOD

YES_NO = {label for _, label, _ in YES_NO_LABELS}
# a criterion's kind in words (msgids)
KINDS = {
    "scale": N_("scale"),
    "yes_no": N_("yes/no"),
    "elements_check": N_("elements check"),
    "text": N_("text"),
}


def _score_cell(
    c: ReportCriterion, value: float | None, st: dict[str, ParagraphStyle], w: Words
) -> Paragraph:
    label = c.label_for(value)
    if label in YES_NO:
        label = w._(label)
    text = f"<b>{w.number(value)}</b>"
    if label:
        text += f'<br/><font size="6.5" color="#5b6475">{markup(label)}</font>'
    return para(text, st["cell"])


def _criterion_band(c: ReportCriterion, w: Words) -> str:
    _ = w._
    kind = _(KINDS[c.kind]) if c.kind in KINDS else c.kind.replace("_", " ")
    facts = [markup(kind), _("weight %(weight)s") % {"weight": w.weight(c.effective_weight)}]
    if c.gate_min is not None:
        verdict = {True: _("passed"), False: _("FAILED"), None: _("not judged")}[c.gate_passed]
        facts.append(
            _("gate: at least %(level)s (%(verdict)s)") % {"level": c.gate_min, "verdict": verdict}
        )
    facts.append(
        _("mean %(mean)s · median %(median)s · spread %(spread)s")
        % {"mean": w.number(c.mean), "median": w.number(c.median), "spread": w.number(c.spread)}
    )
    if c.disagreement:
        facts.append(f'<font color="#b7410e"><b>{_("reviewers disagree")}</b></font>')
    if c.maps_to:
        facts.append(_("serves %(references)s") % {"references": markup(", ".join(c.maps_to))})
    return (
        f"<b>{markup(c.id)}</b> — <b>{markup(c.title)}</b><br/>"
        f'<font size="7" color="#5b6475">{" · ".join(facts)}</font>'
    )


def criteria_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """One table, criteria × (self-assessment + reviewers), that splits across pages."""
    w = words(r)
    _ = w._
    out: list[Flowable] = [
        para(_("4. Criteria, scores and justifications"), st["h1"]),
        para(
            _(
                "For each criterion: the provider's self-assessment, then each reviewer's score "
                "and justification. Reviewers are shown by label, not by name. Scale labels are "
                "given under each score; the full scales are listed in section 9."
            ),
            st["muted"],
        ),
        Spacer(1, 4),
    ]
    data: list[list[object]] = [
        [
            para(_("Who"), st["head"]),
            para(_("Score"), st["head"]),
            para(_("Justification"), st["head"]),
        ]
    ]
    style: list[tuple[object, ...]] = []
    widths = column_widths([30, 20, 124])
    for c in r.criteria:
        band = len(data)
        data.append([para(_criterion_band(c, w), st["cell"]), "", ""])
        style += [("SPAN", (0, band), (-1, band)), ("BACKGROUND", (0, band), (-1, band), BAND_BG)]
        self_row = [
            para(_("Provider<br/>(self-assessment)"), st["cell"]),
            _score_cell(c, c.self_score, st, w),
            para(
                markup(c.self_narrative) or f'<font color="#5b6475">{_("no narrative")}</font>',
                st["cell"],
            ),
        ]
        data.extend(split_row(self_row, widths, continued_cell(st, w, _("Provider"))))
        # keep the criterion's band with its first answer, so no band is orphaned at a page foot
        style.append(("NOSPLIT", (0, band), (-1, band + 1)))
        for label, value, comment in c.scores:
            shown = reviewer_label(label, w)
            row = [
                para(markup(shown), st["cell_b"]),
                _score_cell(c, value, st, w),
                para(
                    markup(comment) or f'<font color="#5b6475">{_("no comment")}</font>',
                    st["cell"],
                ),
            ]
            data.extend(split_row(row, widths, continued_cell(st, w, shown)))
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(grid_style(style))
    out.append(table)
    return out


def consolidation_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    reviewers = r.reviewer_labels
    w = words(r)
    _ = w._
    recommended = _(outcome_label(r.recommended_outcome)) if r.recommended_outcome else ""
    out: list[Flowable] = [para(_("5. Consolidation"), st["h1"])]
    out.append(
        kv_table(
            [
                (
                    _("Overall score"),
                    _("%(score)s (weighted mean of normalised criterion means)")
                    % {"score": f"<b>{w.percent(r.overall)}</b>"},
                ),
                (_("Reviewer agreement"), agreement_text(r)),
                (_("Recommended outcome"), markup(recommended)),
                (
                    _("Disagreements"),
                    markup(", ".join(c.id for c in r.criteria if c.disagreement)) or _("none"),
                ),
            ],
            st,
        )
    )
    out.append(para(markup(_(ALPHA_NOTE)), st["muted"]))
    out.append(Spacer(1, 6))
    if len(r.parts) > 1:
        out.extend(parts_table(r.parts, st, w))
        out.append(Spacer(1, 6))
    short = [
        lbl.replace("Reviewer ", "") if lbl.startswith("Reviewer ") else lbl for lbl in reviewers
    ]
    # the figure columns are narrow: their headings have short forms of their own in every
    # language (a context of the catalog), never a word broken inside
    pgettext = w.pgettext
    head = [
        _("Criterion"),
        pgettext("short column heading", "Self"),
        *short,
        pgettext("short column heading", "Mean"),
        pgettext("short column heading", "Median"),
        pgettext("short column heading", "Spread"),
        pgettext("short column heading", "Weight"),
    ]
    data: list[list[object]] = [[para(markup(h), st["head"]) for h in head]]
    style: list[tuple[object, ...]] = [
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])
    ]
    # one kind of figure per column: single scores as whole numbers, means and medians with two
    # decimals, spreads as whole levels; an elements check's count is not a score on a scale and
    # has its own table below
    reviewed = [c for c in r.criteria if c.kind != "elements_check"]
    checks = [c for c in r.criteria if c.kind == "elements_check"]
    for i, c in enumerate(reviewed, start=1):
        by_label = {label: value for label, value, _ in c.scores}
        flag = ' <font color="#b7410e">▲</font>' if c.disagreement else ""
        row = [
            para(f"{markup(c.id)}{flag}", st["cell"]),
            para(w.score(c.self_score), st["cell_r"]),
        ]
        row += [para(w.score(by_label.get(lbl)), st["cell_r"]) for lbl in reviewers]
        row += [
            para(f"<b>{w.mean(c.mean)}</b>", st["cell_r"]),
            para(w.mean(c.median), st["cell_r"]),
            para(w.score(c.spread), st["cell_r"]),
            para(w.weight(c.effective_weight), st["cell_r"]),
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
    table.setStyle(grid_style(style))
    out.append(table)
    out.append(Spacer(1, 2))
    out.append(
        para(
            _(
                "▲ marks a criterion where the reviewers' scores are further apart than the "
                "workflow allows. Self and reviewer columns: single scores; Mean and Median: "
                "the reviewers' mean and median, two decimals; Spread: highest minus lowest score."
            ),
            st["muted"],
        )
    )
    if checks:
        out.append(Spacer(1, 4))
        out.append(para(_("Automated element checks"), st["h2"]))
        rows: list[list[object]] = [
            [para(h, st["head"]) for h in (_("Criterion"), _("Elements present"), _("Weight"))]
        ]
        for c in checks:
            rows.append(
                [
                    para(f"<b>{markup(c.id)}</b> {markup(c.title)}", st["cell"]),
                    para(w.elements(c.mean, c.elements_total), st["cell_r"]),
                    para(w.weight(c.effective_weight), st["cell_r"]),
                ]
            )
        checks_table = LongTable(rows, colWidths=column_widths([110, 40, 24]), repeatRows=1)
        checks_table.setStyle(grid_style([]))
        out.append(checks_table)
    out.extend(_chart(r, st))
    return out


def parts_table(
    parts: Sequence[ReportPartRow], st: dict[str, ParagraphStyle], w: Words | None = None
) -> list[Flowable]:
    """ "Score by part": the total of each part of a composite rubric."""
    w = w or Words()
    _ = w._
    data: list[list[object]] = [
        [
            para(h, st["head"])
            for h in (_("Part"), _("Weighted score"), "", _("Weight"), _("Criteria"))
        ]
    ]
    for row in parts:
        data.append(
            [
                para(f"<b>{markup(row.part)}</b>", st["cell"]),
                para(w.percent(row.score), st["cell_r"]),
                score_bar(row.score),
                para(w.percent(row.weight), st["cell_r"]),
                para(w.number(len(row.criteria)), st["cell_r"]),
            ]
        )
    t = LongTable(data, colWidths=column_widths([60, 26, 30, 22, 20]), repeatRows=1)
    t.setStyle(grid_style([("VALIGN", (2, 1), (2, -1), "MIDDLE")]))
    return [
        para(_("Score by part"), st["h2"]),
        para(
            markup(
                _(
                    "Each part of the composite rubric scored on its own: Each part's score is "
                    "the weighted mean of the normalised scores of the criteria that map to it, "
                    "each criterion weighted by its effective weight in the rubric (equal weights "
                    "when the mapped criteria carry none); 0 % = lowest level of every scale, "
                    "100 % = highest."
                )
            ),
            st["muted"],
        ),
        t,
    ]


def _chart(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    means = [(c, c.normalised_mean()) for c in r.criteria]
    scored = [(c, v) for c, v in means if v is not None]
    if not scored:
        return []
    _ = words(r)._
    out: list[Flowable] = [CondPageBreak(80 * mm), para(_("Mean score per criterion"), st["h2"])]
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
        bc.categoryAxis.categoryNames = [printable_text(c.id) for c, _ in part]
        bc.categoryAxis.labels.fontName = FONT
        bc.categoryAxis.labels.fontSize = 7
        bc.categoryAxis.labels.boxAnchor = "e"
        bc.categoryAxis.labels.dx = -3
        bc.valueAxis.valueMin, bc.valueAxis.valueMax, bc.valueAxis.valueStep = 0, 100, 25
        bc.valueAxis.labels.fontName = FONT
        bc.valueAxis.labels.fontSize = 7
        bc.valueAxis.labelTextFormat = _percent_axis(r)
        bc.valueAxis.visibleGrid = 1
        bc.valueAxis.gridStrokeColor = RULE
        bc.valueAxis.gridStrokeWidth = 0.3
        bc.barSpacing = 0
        bc.groupSpacing = 3.5
        bc.bars.strokeColor = None
        bc.bars[0].fillColor = BRAND
        for i, (c, _share) in enumerate(part):
            if c.gate_passed is False:
                bc.bars[(0, i)].fillColor = WARN
            elif c.disagreement:
                bc.bars[(0, i)].fillColor = ACCENT
        d.add(bc)
        out.append(d)
    legend = Drawing(FRAME_W, 12)
    x = 90.0
    for colour, meaning in (
        (BRAND, _("mean as a share of the scale")),
        (ACCENT, _("reviewers disagree")),
        (WARN, _("gate failed")),
    ):
        shown = printable_text(meaning)
        legend.add(Rect(x, 2, 8, 8, fillColor=colour, strokeColor=None))
        legend.add(String(x + 11, 3, shown, fontName=FONT, fontSize=7))
        x += 11 + pdfmetrics.stringWidth(shown, FONT, 7) + 14
    out.append(legend)
    return out


def gates_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    gated = [c for c in r.criteria if c.gate_min is not None]
    w = words(r)
    _ = w._
    out: list[Flowable] = [para(_("6. Gates"), st["h1"])]
    if not gated:
        out.append(para(_("The rubric sets no minimum level on any criterion."), st["body"]))
        return out
    out.append(para(markup(_(GATE_RULE_TEXT) % GATE_RULE_PARAMS), st["muted"]))
    summary = (
        _("Every gate is passed.")
        if not r.gates_failed
        else _(
            "<b>Gates failed:</b> %(criteria)s. A failed gate caps the outcome whatever the "
            "overall score."
        )
        % {"criteria": markup(", ".join(r.gates_failed))}
    )
    out.append(para(summary, st["body"]))
    out.append(Spacer(1, 4))
    data: list[list[object]] = [
        [
            para(h, st["head"])
            for h in (_("Criterion"), _("Minimum level"), _("Mean"), _("Median"), _("Result"))
        ]
    ]
    style: list[tuple[object, ...]] = []
    for i, c in enumerate(gated, start=1):
        verdict = {True: _("passed"), False: _("failed"), None: _("not judged")}[c.gate_passed]
        data.append(
            [
                para(f"<b>{markup(c.id)}</b> {markup(c.title)}", st["cell"]),
                para(w.number(c.gate_min), st["cell_r"]),
                para(w.mean(c.mean), st["cell_r"]),
                para(w.mean(c.median), st["cell_r"]),
                para(verdict, st["cell_b"]),
            ]
        )
        if c.gate_passed is False:
            style.append(("TEXTCOLOR", (4, i), (4, i), WARN))
            style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fbeee8")))
    t = LongTable(data, colWidths=column_widths([90, 24, 18, 18, 24]), repeatRows=1)
    t.setStyle(grid_style(style))
    out.append(t)
    return out


def _standards_table(
    rows: Sequence[ReportStandardRow], st: dict[str, ParagraphStyle], w: Words
) -> Flowable:
    _ = w._
    data: list[list[object]] = [
        [
            para(h, st["head"])
            for h in (_("Reference"), _("Standard"), _("Score"), "", _("Criteria"))
        ]
    ]
    for row in rows:
        data.append(
            [
                para(f"<b>{markup(row.reference)}</b>", st["cell"]),
                para(markup(_(row.title)), st["cell"]),
                para(w.percent(row.score), st["cell_r"]),
                score_bar(row.score),
                para(markup(", ".join(row.criteria)) or "—", st["cell"]),
            ]
        )
    t = LongTable(data, colWidths=column_widths([20, 52, 16, 26, 60]), repeatRows=1)
    t.setStyle(
        grid_style(
            [
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG]),
                ("VALIGN", (3, 1), (3, -1), "MIDDLE"),
            ]
        )
    )
    return t


def standards_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    w = words(r)
    _ = w._
    out: list[Flowable] = [
        para(_("7. What the scores say about the standards"), st["h1"]),
        para(markup(_(GROUP_SCORE_METHOD)), st["muted"]),
    ]
    out.append(para(_("ESG 2015, Part 1"), st["h2"]))
    out.append(
        _standards_table(r.esg_rows, st, w)
        if r.esg_rows
        else para(_("No criterion maps to an ESG standard."), st["body"])
    )
    out.append(
        para(
            _("EU principles for micro-credentials (Council Recommendation 2022, Annex II)"),
            st["h2"],
        )
    )
    out.append(
        _standards_table(r.eu_rows, st, w)
        if r.eu_rows
        else para(_("No criterion maps to an EU principle."), st["body"])
    )
    return out


def _percent_axis(r: EvaluationReport) -> str:
    """The chart's value axis in the report's percent format ("50 %", "50%")."""
    sample = words(r).percent(0.5).replace("50,0", "50").replace("50.0", "50")
    return sample.replace("%", "%%").replace("50", "%d", 1)
