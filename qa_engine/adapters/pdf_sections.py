"""The sections of the evaluation report, in order: each turns the report data into flowables.

The sections print what the report data says and compute nothing a reader could not check from
the printed numbers. The sections about the scores are in `pdf_scores`.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, LongTable, Paragraph, Spacer, Table

from qa_engine.adapters.pdf_cells import (
    Words,
    agreement_text,
    column_widths,
    continued_cell,
    kv_table,
    markup,
    para,
    reviewer_label,
    split_row,
    words,
)
from qa_engine.adapters.pdf_scores import (
    consolidation_section,
    criteria_section,
    gates_section,
    standards_section,
)
from qa_engine.adapters.pdf_style import ZEBRA_BG, grid_style, unprintable_note
from qa_engine.adapters.translations import format_decimal, format_moment
from qa_engine.domain.credential_diff import ElementChange
from qa_engine.domain.i18n import Message
from qa_engine.domain.report import NO_SUMMARY, YES_NO_LABELS, EvaluationReport, outcome_label

YES_NO = {label for _, label, _ in YES_NO_LABELS}


def _title_block(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    w = words(r)
    _ = w._
    facts = [
        (_("Credential"), f"<b>{markup(cred.title)}</b> ({markup(cred.reference)})"),
        (_("Provider"), f"{markup(cred.provider_name)} ({markup(cred.provider)})"),
        (
            _("Decision"),
            f"<b>{markup(_(outcome_label(r.decision_outcome)))}</b> — "
            f"{markup(_(r.decided_by_label))}, {format_moment(r.decided_at, w.lang)}",
        ),
        (_("Valid until"), w.day(r.valid_until)),
        (
            _("Overall score"),
            _("%(score)s of the rubric maximum") % {"score": w.percent(r.overall)},
        ),
        (_("Reviewer agreement"), agreement_text(r)),
        (
            _("Report"),
            _("%(report)s · case %(case)s, round %(round)s · generated %(when)s")
            % {
                "report": markup(r.report_id),
                "case": r.case_id,
                "round": r.round,
                "when": format_moment(r.generated_at, w.lang),
            },
        ),
    ]
    out: list[Flowable] = [
        para(_("Evaluation report"), st["title"]),
        para(markup(cred.title), st["subtitle"]),
        kv_table(facts, st),
    ]
    note = unprintable_note(r)
    if note is not None:
        out.extend([Spacer(1, 3), para(note, st["muted"])])
    return out


def _credential_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    w = words(r)
    _ = w._
    out: list[Flowable] = [para(_("1. The credential"), st["h1"])]
    out.append(
        kv_table(
            [
                (_("Reference"), markup(cred.reference)),
                *(
                    [
                        (
                            _("Version reviewed"),
                            _("version %(version)s") % {"version": r.credential_version},
                        )
                    ]
                    if r.credential_version is not None
                    else []
                ),
                (_("Title"), markup(cred.title)),
                (_("Provider"), f"{markup(cred.provider_name)} ({markup(cred.provider)})"),
                (
                    _("Workload"),
                    _("%(ects)s ECTS") % {"ects": _ects(cred.ects, w)} if cred.ects else "—",
                ),
                (_("EQF level"), markup(cred.eqf_level) if cred.eqf_level is not None else "—"),
                (_("ISCED-F field"), markup(cred.isced_f) or "—"),
                (_("Languages"), markup(", ".join(cred.languages)) or "—"),
                (_("Skills"), markup(", ".join(cred.skills)) or "—"),
            ],
            st,
        )
    )
    if cred.learning_outcomes:
        out.append(para(_("Learning outcomes"), st["h2"]))
        out.extend(
            Paragraph(markup(lo), st["item"], bulletText="•") for lo in cred.learning_outcomes
        )
    if cred.elements:
        out.append(para(_("Standard elements (Council Recommendation 2022, Annex I)"), st["h2"]))
        data: list[list[object]] = [
            [
                para(_("Element"), st["head"]),
                para(_("Title"), st["head"]),
                para(_("Value"), st["head"]),
            ]
        ]
        widths = column_widths([18, 40, 116])
        for element_id, title, value in cred.elements:
            row = [
                para(markup(element_id), st["cell_b"]),
                para(markup(_(title)), st["cell"]),
                para(markup(value) or "—", st["cell"]),
            ]
            data.extend(split_row(row, widths, continued_cell(st, w)))
        t = LongTable(data, colWidths=widths, repeatRows=1)
        t.setStyle(grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
        out.append(t)
    out.extend(_changes(r, st))
    return out


def _change_cells(change: ElementChange) -> tuple[str, str]:
    """The before and after cells: for a list, the items removed and added."""
    if change.is_list:
        removed = "<br/>".join(f"- {markup(v)}" for v in change.removed) or "—"
        added = "<br/>".join(f"+ {markup(v)}" for v in change.added) or "—"
        return removed, added
    return markup(change.before) or "—", markup(change.after) or "—"


def _changes(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A revision round: what changed in the credential since the round before."""
    since = r.changes_since
    if since is None:
        return []
    w = words(r)
    _ = w._
    out: list[Flowable] = [
        para(
            _("Changes since round %(round)s (credential version %(version)s)")
            % {"round": since.round, "version": since.version},
            st["h2"],
        )
    ]
    if not since.changes:
        out.append(para(_("The content of the standard elements did not change."), st["muted"]))
        return out
    data: list[list[object]] = [
        [
            para(_("Element"), st["head"]),
            para(_("Before"), st["head"]),
            para(_("After"), st["head"]),
        ]
    ]
    widths = column_widths([40, 67, 67])
    for change in since.changes:
        before, after = _change_cells(change)
        name = f"{change.element} {change.label}" if change.element else change.label
        row = [para(markup(name), st["cell_b"]), para(before, st["cell"]), para(after, st["cell"])]
        data.extend(split_row(row, widths, continued_cell(st, w)))
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
    out.append(t)
    return out


def _ects(value: str, w: Words) -> str:
    """The workload as the credential states it ("6.0"), with the report's decimal sign ("6,0")."""
    digits = len(value.partition(".")[2])
    try:
        return format_decimal(float(value), w.lang, digits)
    except ValueError:
        return markup(value)


def _rubric_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    w = words(r)
    _ = w._
    return [
        para(_("2. Rubric"), st["h1"]),
        kv_table(
            [
                (_("Rubric"), markup(r.rubric_id)),
                (_("Version"), markup(r.rubric_version)),
                (_("Content hash"), f'<font size="7">{markup(r.rubric_hash)}</font>'),
                (_("Criteria"), w.number(len(r.criteria))),
            ],
            st,
        ),
        Spacer(1, 2),
        para(
            _(
                "The case was reviewed against this frozen rubric version; the content hash "
                "identifies the exact text of the rubric that reviewers scored against."
            ),
            st["muted"],
        ),
    ]


def _self_assessment_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    _ = words(r)._
    summary = r.self_assessment_summary
    if summary == NO_SUMMARY:
        summary = _(NO_SUMMARY)
    paragraphs = [p for p in summary.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out: list[Flowable] = [para(_("3. Self-assessment summary"), st["h1"])]
    out.extend(para(markup(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _decision_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    w = words(r)
    _ = w._
    recommended = _(outcome_label(r.recommended_outcome)) if r.recommended_outcome else ""
    rows = [
        (
            _("Outcome"),
            f'<font size="10"><b>{markup(_(outcome_label(r.decision_outcome)))}</b></font>',
        ),
        (_("Recommended by the scores"), markup(recommended)),
        (_("Decided by"), markup(_(r.decided_by_label))),
        (_("Decided at"), format_moment(r.decided_at, w.lang)),
        (_("Valid until"), w.day(r.valid_until)),
    ]
    out: list[Flowable] = [para(_("8. Decision"), st["h1"]), kv_table(rows, st)]
    if r.decision_outcome != r.recommended_outcome:
        out.append(Spacer(1, 2))
        out.append(
            para(
                _(
                    "The decision differs from the outcome the scores recommend; the rationale "
                    "says why."
                ),
                st["muted"],
            )
        )
    out.append(para(_("Conditions"), st["h2"]))
    if r.conditions:
        out.extend(
            Paragraph(markup(c), st["item"], bulletText=f"{i}.")
            for i, c in enumerate(r.conditions, start=1)
        )
    else:
        out.append(para(_("None."), st["body"]))
    out.append(para(_("Rationale"), st["h2"]))
    paragraphs = [p for p in r.decision_rationale.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out.extend(para(markup(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _scales_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Each distinct scale once, with the criteria that use it."""
    groups: dict[tuple[tuple[int, str, str], ...], list[str]] = {}
    for c in r.criteria:
        if c.descriptors:
            groups.setdefault(tuple(sorted(c.descriptors)), []).append(c.id)
    w = words(r)
    _ = w._
    out: list[Flowable] = [para(_("9. Scales"), st["h1"])]
    if not groups:
        out.append(para(_("No criterion uses a scale."), st["body"]))
        return out
    for descriptors, ids in groups.items():
        data: list[list[object]] = [
            [para(h, st["head"]) for h in (_("Level"), _("Label"), _("Descriptor"))]
        ]
        for value, label, descriptor in descriptors:
            data.append(
                [
                    para(w.number(value), st["cell_r"]),
                    para(markup(_(label) if label in YES_NO else label), st["cell_b"]),
                    para(markup(descriptor) or "—", st["cell"]),
                ]
            )
        t = Table(data, colWidths=column_widths([14, 34, 126]), repeatRows=1)
        t.setStyle(grid_style())
        out.append(
            KeepTogether(
                [
                    para(
                        _("Used by %(criteria)s") % {"criteria": markup(", ".join(ids))},
                        st["small"],
                    ),
                    Spacer(1, 2),
                    t,
                    Spacer(1, 6),
                ]
            )
        )
    return out


def _history_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    w = words(r)
    _ = w._
    out: list[Flowable] = [para(_("10. Case history"), st["h1"])]
    if not r.history:
        out.append(para(_("No events recorded."), st["body"]))
        return out
    data: list[list[object]] = [
        [para(h, st["head"]) for h in (_("When"), _("Who"), _("What"), _("Detail"))]
    ]
    widths = column_widths([36, 28, 48, 62])
    for e in sorted(r.history, key=lambda e: e.at):
        detail = e.detail if isinstance(e.detail, Message) else _(e.detail) if e.detail else ""
        row = [
            para(format_moment(e.at, w.lang), st["cell"]),
            para(markup(reviewer_label(_(e.actor_label), w)), st["cell"]),
            para(markup(_(e.action)), st["cell"]),
            para(markup(w.text(detail)), st["cell"]),
        ]
        data.extend(split_row(row, widths, continued_cell(st, w)))
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
    out.append(t)
    return out


def _verification_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    _ = words(r)._
    return [
        para(_("How to verify this report"), st["h1"]),
        para(
            _(
                "This report is sealed with an electronic signature (PAdES) of the alliance's "
                "quality assurance office. Any PDF signature validator can check the seal; a "
                "change of any kind to the file after sealing breaks it. You can also check the "
                "report at %(address)s with the report id %(report)s, or by scanning the code at "
                "the foot of each page."
            )
            % {
                "address": f"<b>{markup(r.verify_url)}</b>",
                "report": f"<b>{markup(r.report_id)}</b>",
            },
            st["body"],
        ),
    ]


SECTIONS: tuple[Callable[[EvaluationReport, dict[str, ParagraphStyle]], list[Flowable]], ...] = (
    _title_block,
    _credential_section,
    _rubric_section,
    _self_assessment_section,
    criteria_section,
    consolidation_section,
    gates_section,
    standards_section,
    _decision_section,
    _scales_section,
    _history_section,
    _verification_section,
)
