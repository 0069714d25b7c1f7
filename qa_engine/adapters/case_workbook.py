"""The workbook of one decided case: scores (criterion × reviewer, with the rubric's descriptors),
comments, the consolidation, and in a revision round the changes to the credential. Text that came
from a person is always written as text.

The workbook is written in the report's language (`EvaluationReport.language`): its headings,
labels and notes through the message catalog, its dates in the language's format; numbers stay
numbers (the spreadsheet shows them with the reader's decimal sign). The sheet names ("Scores",
"Scales", "Comments", "Consolidation", "Changes") stay the same in every language: they are the
workbook's stable identifiers, which formulas, scripts and the engine's tests refer to."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qa_engine.adapters.pdf_cells import agreement_summary, reviewer_label, words, yes_no_text
from qa_engine.adapters.safe_xlsx import write_cell
from qa_engine.adapters.translations import format_moment
from qa_engine.adapters.xlsx_print import COUNT_FORMAT, MEAN_FORMAT, PERCENT_FORMAT, print_setup
from qa_engine.domain.consolidation import ALPHA_NOTE
from qa_engine.domain.report import YES_NO_LABELS, EvaluationReport, outcome_label
from qa_engine.domain.scoring import GATE_RULE_PARAMS, GATE_RULE_TEXT

YES_NO = {label for _, label, _ in YES_NO_LABELS}

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


COMMENT_WIDTH = 150  # the Comments sheet's comment column, in character widths
EXCERPT_CHARS = 170  # a comment longer than this (or of several lines) prints cut, with a pointer


def excerpt(text: str, report_id: str, pointer_text: str | None = None) -> str:
    """`text` as the Comments sheet prints it: whole when it is one short line, else its beginning
    (cut at a word) with a pointer to where the whole text is (`pointer_text`, in the report's
    language, with `%(report)s` for the report id)."""
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT_CHARS and "\n" not in text.strip():
        return text
    pointer_text = pointer_text or "[cut; whole text: the cell's note, report %(report)s]"
    pointer = " … " + pointer_text % {"report": report_id}
    room = EXCERPT_CHARS - len(pointer)
    head = flat[:room]
    if len(flat) > room and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:") + pointer


def _header(ws: Worksheet, row: int, values: list[str]) -> None:
    for col, value in enumerate(values, start=1):
        cell = write_cell(ws, row, col, value)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = WRAP


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def build_workbook(report: EvaluationReport) -> Workbook:
    wb = Workbook()
    reviewers = report.reviewer_labels
    w = words(report)
    _ = w._
    yes, no = _("yes"), _("no")

    # --- Scores: criterion × reviewer
    ws = wb.active
    ws.title = "Scores"
    write_cell(
        ws,
        1,
        1,
        _("%(title)s — case %(case)s, round %(round)s")
        % {"title": report.credential.title, "case": report.case_id, "round": report.round},
    ).font = Font(bold=True, size=13)
    write_cell(
        ws,
        2,
        1,
        _("Rubric %(rubric)s %(version)s (hash %(hash)s…); report %(report)s")
        % {
            "rubric": report.rubric_id,
            "version": report.rubric_version,
            "hash": report.rubric_hash[:16],
            "report": report.report_id,
        },
    )
    write_cell(ws, 3, 1, _(GATE_RULE_TEXT) % GATE_RULE_PARAMS).font = Font(italic=True)
    head = [
        _("Criterion"),
        _("Title"),
        _("Kind"),
        _("Maps to"),
        _("Weight"),
        _("Self-assessment"),
        *(reviewer_label(label, w) for label in reviewers),
        _("Mean"),
        _("Median"),
        _("Spread"),
        _("Disagreement"),
        _("Gate"),
        _("Gate passed"),
        _("Scale"),
    ]
    _header(ws, 4, head)
    first_score_col = 6
    # a scale's descriptors once, on the Scales sheet; each criterion names its scale by number
    scales: dict[tuple[tuple[int | float, str, str], ...], int] = {}
    for r, c in enumerate(report.criteria, start=5):
        write_cell(ws, r, 1, c.id)
        write_cell(ws, r, 2, c.title).alignment = WRAP
        write_cell(ws, r, 3, c.kind)
        write_cell(ws, r, 4, ", ".join(c.maps_to))
        ws.cell(row=r, column=5, value=c.effective_weight).number_format = "0.0%"
        ws.cell(row=r, column=6, value=c.self_score).number_format = COUNT_FORMAT
        by_label = {label: score for label, score, _ in c.scores}
        for i, label in enumerate(reviewers):
            ws.cell(
                row=r, column=first_score_col + 1 + i, value=by_label.get(label)
            ).number_format = COUNT_FORMAT
        base = first_score_col + 1 + len(reviewers)
        ws.cell(row=r, column=base, value=c.mean).number_format = MEAN_FORMAT
        ws.cell(row=r, column=base + 1, value=c.median).number_format = "0.0"
        ws.cell(row=r, column=base + 2, value=c.spread).number_format = COUNT_FORMAT
        write_cell(ws, r, base + 3, yes if c.disagreement else "")
        ws.cell(row=r, column=base + 4, value=c.gate_min).number_format = COUNT_FORMAT
        write_cell(
            ws, r, base + 5, "" if c.gate_passed is None else (yes if c.gate_passed else no.upper())
        )
        if c.descriptors:
            write_cell(ws, r, base + 6, scales.setdefault(tuple(c.descriptors), len(scales) + 1))
    last = 4 + len(report.criteria)
    if report.criteria:
        lo = min(
            (min(v for v, _, _ in c.descriptors) for c in report.criteria if c.descriptors),
            default=0,
        )
        hi = max(
            (max(v for v, _, _ in c.descriptors) for c in report.criteria if c.descriptors),
            default=4,
        )
        last_col = get_column_letter(first_score_col + len(reviewers) + 1)
        score_range = f"{get_column_letter(first_score_col)}5:{last_col}{last}"
        ws.conditional_formatting.add(
            score_range,
            ColorScaleRule(
                start_type="num",
                start_value=lo,
                start_color="F8696B",
                mid_type="percentile",
                mid_value=50,
                mid_color="FFEB84",
                end_type="num",
                end_value=hi,
                end_color="63BE7B",
            ),
        )
    ws.freeze_panes = "C5"
    _widths(ws, [16, 44, 12, 20, 9, 9, *[11] * len(reviewers), 8, 8, 8, 12, 6, 10, 6])
    ws.auto_filter.ref = f"A4:{get_column_letter(len(head))}{last}"
    print_setup(ws, title_rows="4:4", pages_tall=1)

    # --- Scales: the descriptors of each scale the criteria use, once
    wl = wb.create_sheet("Scales")
    _header(wl, 1, [_("Scale"), _("Level"), _("Label"), _("Descriptor")])
    row = 2
    for levels, number in scales.items():
        for value, label, descriptor in levels:
            wl.cell(row=row, column=1, value=number).number_format = COUNT_FORMAT
            wl.cell(row=row, column=2, value=value).number_format = COUNT_FORMAT
            write_cell(wl, row, 3, _(label) if label in YES_NO else label).alignment = WRAP
            write_cell(wl, row, 4, descriptor).alignment = WRAP
            row += 1
    wl.freeze_panes = "A2"
    _widths(wl, [8, 8, 24, 110])
    print_setup(wl, title_rows="1:1")

    # --- Comments: one line each in print; a longer text is cut with a pointer, and stays whole
    # in the cell's note and in the signed report
    wc = wb.create_sheet("Comments")
    _header(wc, 1, [_("Criterion"), _("Who"), _("Score"), _("Comment")])
    pointer = _("[cut; whole text: the cell's note, report %(report)s]")
    row = 2
    for c in report.criteria:
        entries = (
            [(_("Self-assessment"), c.self_score, c.self_narrative)] if c.self_narrative else []
        )
        entries += [
            (reviewer_label(label, w), score, comment) for label, score, comment in c.scores
        ]
        for who, score, text in entries:
            write_cell(wc, row, 1, c.id)
            write_cell(wc, row, 2, who)
            wc.cell(row=row, column=3, value=score).number_format = COUNT_FORMAT
            shown = excerpt(text, report.report_id, pointer)
            cell = write_cell(wc, row, 4, shown)
            cell.alignment = WRAP  # never cut at the page's edge
            if shown != text:
                cell.comment = Comment(text, "QA engine", width=600, height=300)
            row += 1
    wc.freeze_panes = "A2"
    _widths(wc, [18, 16, 7, COMMENT_WIDTH])
    print_setup(wc, title_rows="1:1")

    # --- Consolidation
    wk = wb.create_sheet("Consolidation")
    alpha_label = _(report.agreement_label) if report.agreement_label else ""
    rows = [
        (_("Report"), report.report_id),
        (_("Case"), report.case_id),
        (_("Round"), report.round),
        (
            _("Credential"),
            f"{report.credential.provider}/{report.credential.reference}: "
            f"{report.credential.title}",
        ),
        (_("Overall score (0–1)"), report.overall),
        (_("Reviewer agreement"), agreement_summary(report)),
        (_("Yes/no criteria"), yes_no_text(report)),
        (
            _("Krippendorff's alpha (ordinal, scale criteria; secondary)"),
            report.agreement if report.agreement is not None else alpha_label,
        ),
        (_("Alpha means"), alpha_label),
        (_("Notes on agreement"), _(ALPHA_NOTE)),
        (_("Gates failed"), ", ".join(report.gates_failed) or _("none")),
        (_("Gate rule"), _(GATE_RULE_TEXT) % GATE_RULE_PARAMS),
        (
            _("Recommended outcome"),
            _(outcome_label(report.recommended_outcome)) if report.recommended_outcome else "",
        ),
        (_("Decision"), _(outcome_label(report.decision_outcome))),
        (_("Rationale"), report.decision_rationale),
        (_("Conditions"), "\n".join(report.conditions)),
        (_("Decided at"), format_moment(report.decided_at, w.lang)),
        (_("Valid until"), w.day(report.valid_until) if report.valid_until else ""),
    ]
    _header(wk, 1, [_("Item"), _("Value")])
    for r, (k, v) in enumerate(rows, start=2):
        write_cell(wk, r, 1, k).font = Font(bold=True)
        cell = write_cell(wk, r, 2, v)
        cell.alignment = WRAP
        if isinstance(v, float):
            cell.number_format = "0.000"
    r = len(rows) + 3
    _header(wk, r, [_("Standard"), _("Title"), _("Mean score (0–1)"), _("Criteria")])
    for row_data in report.esg_rows + report.eu_rows:
        r += 1
        write_cell(wk, r, 1, row_data.reference)
        write_cell(wk, r, 2, _(row_data.title))
        wk.cell(row=r, column=3, value=row_data.score).number_format = "0.00"
        write_cell(wk, r, 4, ", ".join(row_data.criteria))
    if len(report.parts) > 1:
        r += 2
        write_cell(wk, r, 1, _("Score by part")).font = Font(bold=True)
        r += 1
        _header(wk, r, [_("Part"), _("Criteria"), _("Weighted score"), _("Weight")])
        for part in report.parts:
            r += 1
            write_cell(wk, r, 1, part.part)
            write_cell(wk, r, 2, ", ".join(part.criteria)).alignment = WRAP
            wk.cell(row=r, column=3, value=part.score).number_format = PERCENT_FORMAT
            wk.cell(row=r, column=4, value=part.weight).number_format = PERCENT_FORMAT
    wk.freeze_panes = "A2"
    _widths(wk, [40, 60, 16, 40])
    print_setup(wk, title_rows="1:1")

    # --- Changes: a revision round reviews a newer credential version than the round before
    since = report.changes_since
    if since is not None:
        wd = wb.create_sheet("Changes")
        write_cell(
            wd,
            1,
            1,
            _("Changes since round %(round)s (credential version %(version)s) to version %(now)s")
            % {"round": since.round, "version": since.version, "now": report.credential_version},
        ).font = Font(bold=True)
        _header(
            wd,
            3,
            [_("Element"), _("Field"), _("Before"), _("After"), _("Removed"), _("Added")],
        )
        for r, ch in enumerate(since.changes, start=4):
            write_cell(wd, r, 1, ch.element)
            write_cell(wd, r, 2, ch.label)
            write_cell(wd, r, 3, ch.before).alignment = WRAP
            write_cell(wd, r, 4, ch.after).alignment = WRAP
            write_cell(wd, r, 5, "\n".join(ch.removed)).alignment = WRAP
            write_cell(wd, r, 6, "\n".join(ch.added)).alignment = WRAP
        wd.freeze_panes = "A4"
        _widths(wd, [12, 24, 40, 40, 40, 40])
        print_setup(wd, title_rows="3:3")
    return wb


def workbook_bytes(report: EvaluationReport) -> bytes:
    buf = io.BytesIO()
    build_workbook(report).save(buf)
    return buf.getvalue()


def write_workbook(report: EvaluationReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(report))
    return path
