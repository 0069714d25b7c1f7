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
    agreement_text,
    column_widths,
    continued_cell,
    elements_text,
    kv_table,
    markup,
    mean_text,
    number,
    para,
    percent,
    score_bar,
    score_text,
    split_row,
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
from qa_engine.domain.report import (
    EvaluationReport,
    ReportCriterion,
    ReportPartRow,
    ReportStandardRow,
    outcome_label,
)
from qa_engine.domain.scoring import GATE_RULE, GROUP_SCORE_METHOD


def _score_cell(
    c: ReportCriterion, value: float | None, st: dict[str, ParagraphStyle]
) -> Paragraph:
    label = c.label_for(value)
    text = f"<b>{number(value)}</b>"
    if label:
        text += f'<br/><font size="6.5" color="#5b6475">{markup(label)}</font>'
    return para(text, st["cell"])


def _criterion_band(c: ReportCriterion) -> str:
    facts = [markup(c.kind.replace("_", " ")), f"weight {c.effective_weight:.3f}"]
    if c.gate_min is not None:
        verdict = {True: "passed", False: "FAILED", None: "not judged"}[c.gate_passed]
        facts.append(f"gate: at least {c.gate_min} ({verdict})")
    facts.append(f"mean {number(c.mean)} · median {number(c.median)} · spread {number(c.spread)}")
    if c.disagreement:
        facts.append('<font color="#b7410e"><b>reviewers disagree</b></font>')
    if c.maps_to:
        facts.append("serves " + markup(", ".join(c.maps_to)))
    return (
        f"<b>{markup(c.id)}</b> — <b>{markup(c.title)}</b><br/>"
        f'<font size="7" color="#5b6475">{" · ".join(facts)}</font>'
    )


def criteria_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """One table, criteria × (self-assessment + reviewers), that splits across pages."""
    out: list[Flowable] = [
        para("4. Criteria, scores and justifications", st["h1"]),
        para(
            "For each criterion: the provider's self-assessment, then each reviewer's score and "
            "justification. Reviewers are shown by label, not by name. Scale labels are given "
            "under each score; the full scales are listed in section 9.",
            st["muted"],
        ),
        Spacer(1, 4),
    ]
    data: list[list[object]] = [
        [para("Who", st["head"]), para("Score", st["head"]), para("Justification", st["head"])]
    ]
    style: list[tuple[object, ...]] = []
    widths = column_widths([30, 20, 124])
    for c in r.criteria:
        band = len(data)
        data.append([para(_criterion_band(c), st["cell"]), "", ""])
        style += [("SPAN", (0, band), (-1, band)), ("BACKGROUND", (0, band), (-1, band), BAND_BG)]
        self_row = [
            para("Provider<br/>(self-assessment)", st["cell"]),
            _score_cell(c, c.self_score, st),
            para(
                markup(c.self_narrative) or '<font color="#5b6475">no narrative</font>', st["cell"]
            ),
        ]
        data.extend(split_row(self_row, widths, continued_cell(st, "Provider")))
        # keep the criterion's band with its first answer, so no band is orphaned at a page foot
        style.append(("NOSPLIT", (0, band), (-1, band + 1)))
        for label, value, comment in c.scores:
            row = [
                para(markup(label), st["cell_b"]),
                _score_cell(c, value, st),
                para(markup(comment) or '<font color="#5b6475">no comment</font>', st["cell"]),
            ]
            data.extend(split_row(row, widths, continued_cell(st, label)))
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(grid_style(style))
    out.append(table)
    return out


def consolidation_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    reviewers = r.reviewer_labels
    out: list[Flowable] = [para("5. Consolidation", st["h1"])]
    out.append(
        kv_table(
            [
                (
                    "Overall score",
                    f"<b>{percent(r.overall)}</b> (weighted mean of normalised criterion means)",
                ),
                ("Reviewer agreement", agreement_text(r)),
                ("Recommended outcome", markup(outcome_label(r.recommended_outcome))),
                (
                    "Disagreements",
                    markup(", ".join(c.id for c in r.criteria if c.disagreement)) or "none",
                ),
            ],
            st,
        )
    )
    out.append(para(markup(ALPHA_NOTE), st["muted"]))
    out.append(Spacer(1, 6))
    if len(r.parts) > 1:
        out.extend(parts_table(r.parts, st))
        out.append(Spacer(1, 6))
    short = [
        lbl.replace("Reviewer ", "") if lbl.startswith("Reviewer ") else lbl for lbl in reviewers
    ]
    head = ["Criterion", "Self", *short, "Mean", "Median", "Spread", "Weight"]
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
            para(score_text(c.self_score), st["cell_r"]),
        ]
        row += [para(score_text(by_label.get(lbl)), st["cell_r"]) for lbl in reviewers]
        row += [
            para(f"<b>{mean_text(c.mean)}</b>", st["cell_r"]),
            para(mean_text(c.median), st["cell_r"]),
            para(score_text(c.spread), st["cell_r"]),
            para(f"{c.effective_weight:.3f}", st["cell_r"]),
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
            "▲ marks a criterion where the reviewers' scores are further apart than the "
            "workflow allows. Self and reviewer columns: single scores; Mean and Median: "
            "the reviewers' mean and median, two decimals; Spread: highest minus lowest score.",
            st["muted"],
        )
    )
    if checks:
        out.append(Spacer(1, 4))
        out.append(para("Automated element checks", st["h2"]))
        rows: list[list[object]] = [
            [para(h, st["head"]) for h in ("Criterion", "Elements present", "Weight")]
        ]
        for c in checks:
            rows.append(
                [
                    para(f"<b>{markup(c.id)}</b> {markup(c.title)}", st["cell"]),
                    para(elements_text(c.mean, c.elements_total), st["cell_r"]),
                    para(f"{c.effective_weight:.3f}", st["cell_r"]),
                ]
            )
        checks_table = LongTable(rows, colWidths=column_widths([110, 40, 24]), repeatRows=1)
        checks_table.setStyle(grid_style([]))
        out.append(checks_table)
    out.extend(_chart(r, st))
    return out


def parts_table(parts: Sequence[ReportPartRow], st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """ "Score by part": the total of each part of a composite rubric."""
    data: list[list[object]] = [
        [para(h, st["head"]) for h in ("Part", "Weighted score", "", "Weight", "Criteria")]
    ]
    for row in parts:
        data.append(
            [
                para(f"<b>{markup(row.part)}</b>", st["cell"]),
                para(percent(row.score), st["cell_r"]),
                score_bar(row.score),
                para(percent(row.weight), st["cell_r"]),
                para(str(len(row.criteria)), st["cell_r"]),
            ]
        )
    t = LongTable(data, colWidths=column_widths([60, 26, 30, 22, 20]), repeatRows=1)
    t.setStyle(grid_style([("VALIGN", (2, 1), (2, -1), "MIDDLE")]))
    return [
        para("Score by part", st["h2"]),
        para(
            "Each part of the composite rubric scored on its own: "
            + markup(GROUP_SCORE_METHOD.replace("Each standard's", "Each part's")),
            st["muted"],
        ),
        t,
    ]


def _chart(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    means = [(c, c.normalised_mean()) for c in r.criteria]
    scored = [(c, v) for c, v in means if v is not None]
    if not scored:
        return []
    out: list[Flowable] = [CondPageBreak(80 * mm), para("Mean score per criterion", st["h2"])]
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


def gates_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    gated = [c for c in r.criteria if c.gate_min is not None]
    out: list[Flowable] = [para("6. Gates", st["h1"])]
    if not gated:
        out.append(para("The rubric sets no minimum level on any criterion.", st["body"]))
        return out
    out.append(para(markup(GATE_RULE), st["muted"]))
    summary = (
        "Every gate is passed."
        if not r.gates_failed
        else (
            f"<b>Gates failed:</b> {markup(', '.join(r.gates_failed))}. A failed gate caps the "
            "outcome whatever the overall score."
        )
    )
    out.append(para(summary, st["body"]))
    out.append(Spacer(1, 4))
    data: list[list[object]] = [
        [para(h, st["head"]) for h in ("Criterion", "Minimum level", "Mean", "Median", "Result")]
    ]
    style: list[tuple[object, ...]] = []
    for i, c in enumerate(gated, start=1):
        verdict = {True: "passed", False: "failed", None: "not judged"}[c.gate_passed]
        data.append(
            [
                para(f"<b>{markup(c.id)}</b> {markup(c.title)}", st["cell"]),
                para(str(c.gate_min), st["cell_r"]),
                para(mean_text(c.mean), st["cell_r"]),
                para(mean_text(c.median), st["cell_r"]),
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


def _standards_table(rows: Sequence[ReportStandardRow], st: dict[str, ParagraphStyle]) -> Flowable:
    data: list[list[object]] = [
        [para(h, st["head"]) for h in ("Reference", "Standard", "Score", "", "Criteria")]
    ]
    for row in rows:
        data.append(
            [
                para(f"<b>{markup(row.reference)}</b>", st["cell"]),
                para(markup(row.title), st["cell"]),
                para(percent(row.score), st["cell_r"]),
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
    out: list[Flowable] = [
        para("7. What the scores say about the standards", st["h1"]),
        para(GROUP_SCORE_METHOD, st["muted"]),
    ]
    out.append(para("ESG 2015, Part 1", st["h2"]))
    out.append(
        _standards_table(r.esg_rows, st)
        if r.esg_rows
        else para("No criterion maps to an ESG standard.", st["body"])
    )
    out.append(
        para(
            "EU principles for micro-credentials (Council Recommendation 2022, Annex II)", st["h2"]
        )
    )
    out.append(
        _standards_table(r.eu_rows, st)
        if r.eu_rows
        else para("No criterion maps to an EU principle.", st["body"])
    )
    return out
