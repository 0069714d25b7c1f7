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
    agreement_text,
    column_widths,
    continued_cell,
    iso_day,
    kv_table,
    markup,
    para,
    percent,
    split_row,
)
from qa_engine.adapters.pdf_scores import (
    consolidation_section,
    criteria_section,
    gates_section,
    standards_section,
)
from qa_engine.adapters.pdf_style import ZEBRA_BG, grid_style, unprintable_note, utc_time
from qa_engine.domain.credential_diff import ElementChange
from qa_engine.domain.report import EvaluationReport, outcome_label


def _title_block(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    facts = [
        ("Credential", f"<b>{markup(cred.title)}</b> ({markup(cred.reference)})"),
        ("Provider", f"{markup(cred.provider_name)} ({markup(cred.provider)})"),
        (
            "Decision",
            f"<b>{markup(outcome_label(r.decision_outcome))}</b> — "
            f"{markup(r.decided_by_label)}, {utc_time(r.decided_at)}",
        ),
        ("Valid until", iso_day(r.valid_until)),
        ("Overall score", f"{percent(r.overall)} of the rubric maximum"),
        ("Reviewer agreement", agreement_text(r)),
        (
            "Report",
            f"{markup(r.report_id)} · case {r.case_id}, round {r.round} · generated "
            f"{utc_time(r.generated_at)}",
        ),
    ]
    out: list[Flowable] = [
        para("Evaluation report", st["title"]),
        para(markup(cred.title), st["subtitle"]),
        kv_table(facts, st),
    ]
    note = unprintable_note(r)
    if note is not None:
        out.extend([Spacer(1, 3), para(note, st["muted"])])
    return out


def _credential_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cred = r.credential
    out: list[Flowable] = [para("1. The credential", st["h1"])]
    out.append(
        kv_table(
            [
                ("Reference", markup(cred.reference)),
                *(
                    [("Version reviewed", f"version {r.credential_version}")]
                    if r.credential_version is not None
                    else []
                ),
                ("Title", markup(cred.title)),
                ("Provider", f"{markup(cred.provider_name)} ({markup(cred.provider)})"),
                ("Workload", f"{markup(cred.ects)} ECTS" if cred.ects else "—"),
                ("EQF level", markup(cred.eqf_level) if cred.eqf_level is not None else "—"),
                ("ISCED-F field", markup(cred.isced_f) or "—"),
                ("Languages", markup(", ".join(cred.languages)) or "—"),
                ("Skills", markup(", ".join(cred.skills)) or "—"),
            ],
            st,
        )
    )
    if cred.learning_outcomes:
        out.append(para("Learning outcomes", st["h2"]))
        out.extend(
            Paragraph(markup(lo), st["item"], bulletText="•") for lo in cred.learning_outcomes
        )
    if cred.elements:
        out.append(para("Standard elements (Council Recommendation 2022, Annex I)", st["h2"]))
        data: list[list[object]] = [
            [para("Element", st["head"]), para("Title", st["head"]), para("Value", st["head"])]
        ]
        widths = column_widths([18, 40, 116])
        for element_id, title, value in cred.elements:
            row = [
                para(markup(element_id), st["cell_b"]),
                para(markup(title), st["cell"]),
                para(markup(value) or "—", st["cell"]),
            ]
            data.extend(split_row(row, widths, continued_cell(st)))
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
    out: list[Flowable] = [
        para(f"Changes since round {since.round} (credential version {since.version})", st["h2"])
    ]
    if not since.changes:
        out.append(para("The content of the standard elements did not change.", st["muted"]))
        return out
    data: list[list[object]] = [
        [para("Element", st["head"]), para("Before", st["head"]), para("After", st["head"])]
    ]
    widths = column_widths([40, 67, 67])
    for change in since.changes:
        before, after = _change_cells(change)
        name = f"{change.element} {change.label}" if change.element else change.label
        row = [para(markup(name), st["cell_b"]), para(before, st["cell"]), para(after, st["cell"])]
        data.extend(split_row(row, widths, continued_cell(st)))
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
    out.append(t)
    return out


def _rubric_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        para("2. Rubric", st["h1"]),
        kv_table(
            [
                ("Rubric", markup(r.rubric_id)),
                ("Version", markup(r.rubric_version)),
                ("Content hash", f'<font size="7">{markup(r.rubric_hash)}</font>'),
                ("Criteria", str(len(r.criteria))),
            ],
            st,
        ),
        Spacer(1, 2),
        para(
            "The case was reviewed against this frozen rubric version; the content hash identifies "
            "the exact text of the rubric that reviewers scored against.",
            st["muted"],
        ),
    ]


def _self_assessment_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    paragraphs = [
        p for p in r.self_assessment_summary.replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    out: list[Flowable] = [para("3. Self-assessment summary", st["h1"])]
    out.extend(para(markup(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _decision_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = [
        ("Outcome", f'<font size="10"><b>{markup(outcome_label(r.decision_outcome))}</b></font>'),
        ("Recommended by the scores", markup(outcome_label(r.recommended_outcome))),
        ("Decided by", markup(r.decided_by_label)),
        ("Decided at", utc_time(r.decided_at)),
        ("Valid until", iso_day(r.valid_until)),
    ]
    out: list[Flowable] = [para("8. Decision", st["h1"]), kv_table(rows, st)]
    if r.decision_outcome != r.recommended_outcome:
        out.append(Spacer(1, 2))
        out.append(
            para(
                "The decision differs from the outcome the scores recommend; the rationale "
                "says why.",
                st["muted"],
            )
        )
    out.append(para("Conditions", st["h2"]))
    if r.conditions:
        out.extend(
            Paragraph(markup(c), st["item"], bulletText=f"{i}.")
            for i, c in enumerate(r.conditions, start=1)
        )
    else:
        out.append(para("None.", st["body"]))
    out.append(para("Rationale", st["h2"]))
    paragraphs = [p for p in r.decision_rationale.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out.extend(para(markup(p), st["para"]) for p in paragraphs or ["—"])
    return out


def _scales_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Each distinct scale once, with the criteria that use it."""
    groups: dict[tuple[tuple[int, str, str], ...], list[str]] = {}
    for c in r.criteria:
        if c.descriptors:
            groups.setdefault(tuple(sorted(c.descriptors)), []).append(c.id)
    out: list[Flowable] = [para("9. Scales", st["h1"])]
    if not groups:
        out.append(para("No criterion uses a scale.", st["body"]))
        return out
    for descriptors, ids in groups.items():
        data: list[list[object]] = [[para(h, st["head"]) for h in ("Level", "Label", "Descriptor")]]
        for value, label, descriptor in descriptors:
            data.append(
                [
                    para(str(value), st["cell_r"]),
                    para(markup(label), st["cell_b"]),
                    para(markup(descriptor) or "—", st["cell"]),
                ]
            )
        t = Table(data, colWidths=column_widths([14, 34, 126]), repeatRows=1)
        t.setStyle(grid_style())
        out.append(
            KeepTogether(
                [
                    para("Used by " + markup(", ".join(ids)), st["small"]),
                    Spacer(1, 2),
                    t,
                    Spacer(1, 6),
                ]
            )
        )
    return out


def _history_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [para("10. Case history", st["h1"])]
    if not r.history:
        out.append(para("No events recorded.", st["body"]))
        return out
    data: list[list[object]] = [[para(h, st["head"]) for h in ("When", "Who", "What", "Detail")]]
    widths = column_widths([36, 28, 48, 62])
    for e in sorted(r.history, key=lambda e: e.at):
        row = [
            para(utc_time(e.at), st["cell"]),
            para(markup(e.actor_label), st["cell"]),
            para(markup(e.action), st["cell"]),
            para(markup(e.detail), st["cell"]),
        ]
        data.extend(split_row(row, widths, continued_cell(st)))
    t = LongTable(data, colWidths=widths, repeatRows=1)
    t.setStyle(grid_style([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG])]))
    out.append(t)
    return out


def _verification_section(r: EvaluationReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        para("How to verify this report", st["h1"]),
        para(
            "This report is sealed with an electronic signature (PAdES) of the alliance's "
            "quality assurance office. Any PDF signature validator can check the seal; a change "
            "of any kind to the file after sealing breaks it. You can also check the report at "
            f"<b>{markup(r.verify_url)}</b> with the report id <b>{markup(r.report_id)}</b>, or "
            "by scanning the code at the foot of each page.",
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
