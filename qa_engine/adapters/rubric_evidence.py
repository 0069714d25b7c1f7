"""The replay and calibration reports as tables, and those tables as a workbook or an HTML file.

One list of tables per report (`replay_tables`, `calibration_tables`) feeds every output: the
command line's table, the workbook, the HTML file and the web pages, so that they always agree.
Titles, column headers and notes are in the language asked for (English by default): the command
line's language, or the page's."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from qa_engine.adapters.safe_xlsx import write_cell
from qa_engine.adapters.translations import format_date, translations
from qa_engine.domain.calibration import CalibrationReport
from qa_engine.domain.i18n import translated
from qa_engine.domain.numbers import percent
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.replay import ReplayReport, bin_labels

Cell = str | int | float | None


@dataclass(frozen=True)
class TableData:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    note: str = ""


def _n(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else percent(x, 0)


def replay_summary(report: ReplayReport, language: str = "en") -> str:
    """The replay in one sentence, in `language`."""
    cat = translations(language)
    values = {"rubric": report.rubric_id, "version": report.version}
    if not report.rounds:
        return (
            cat.gettext(
                "%(rubric)s %(version)s: no decided round of the period was scored against a"
                " version of '%(rubric)s' (a rubric that others include is replayed through a"
                " draft of the rubric that includes it)"
            )
            % values
        )
    worse = sum(1 for c in report.changes if c.direction == "worse")
    better = sum(1 for c in report.changes if c.direction == "better")
    replayed = cat.ngettext(
        "%(rubric)s %(version)s replayed over %(num)s decided round",
        "%(rubric)s %(version)s replayed over %(num)s decided rounds",
        report.rounds,
    ) % {**values, "num": report.rounds}
    changed = cat.ngettext(
        "%(num)s recommended outcome would change (%(worse)s worse, %(better)s better)",
        "%(num)s recommended outcomes would change (%(worse)s worse, %(better)s better)",
        report.changed,
    ) % {"num": report.changed, "worse": worse, "better": better}
    return f"{replayed}: {changed}"


def calibration_summary(report: CalibrationReport, language: str = "en") -> str:
    """The calibration in one sentence, in `language`."""
    cat = translations(language)
    rounds = cat.ngettext("%(num)s decided round", "%(num)s decided rounds", report.rounds) % {
        "num": report.rounds
    }
    flagged = cat.ngettext(
        "%(num)s criterion flagged", "%(num)s criteria flagged", len(report.flagged)
    ) % {"num": len(report.flagged)}
    return f"{report.rubric_id} {report.version}: {rounds}; {flagged}"


def replay_tables(report: ReplayReport, language: str = "en") -> list[TableData]:
    """Changes case by case, outcomes and overall scores before/after, the effect per group;
    titles, headers and notes in `language`."""
    _ = translations(language).gettext
    out = [
        TableData(
            _("Recommended outcomes that would change"),
            (
                _("case"),
                _("round"),
                _("institution"),
                _("field"),
                _("EQF"),
                _("decided"),
                _("before"),
                _("after"),
                _("overall before"),
                _("overall after"),
                _("reason"),
            ),  # fmt: skip
            [
                (
                    c.case_id,
                    c.round,
                    c.institution,
                    c.field or "-",
                    c.eqf if c.eqf is not None else "-",
                    _day(c.decided, language),
                    c.before.value if c.before else "-",
                    c.after.value if c.after else "-",
                    _n(c.overall_before),
                    _n(c.overall_after),
                    "; ".join(_shown(r, language) for r in c.reasons),
                )
                for c in report.changes
            ],
            note=replay_summary(report, language),
        )
    ]
    order = [o.value for o in Outcome] + ["none"]
    outcomes = sorted(
        set(report.outcomes_before) | set(report.outcomes_after),
        key=lambda o: order.index(o) if o in order else len(order),
    )
    out.append(
        TableData(
            _("Recommended outcomes before and after"),
            (_("outcome"), _("before"), _("after"), _("difference")),
            [
                (
                    o,
                    report.outcomes_before.get(o, 0),
                    report.outcomes_after.get(o, 0),
                    report.outcomes_after.get(o, 0) - report.outcomes_before.get(o, 0),
                )
                for o in outcomes
            ],
        )
    )
    out.append(
        TableData(
            _("Overall scores before and after (rounds per band)"),
            (_("overall score"), _("before"), _("after")),
            [
                (label, b, a)
                for label, b, a in zip(
                    _bands(language), report.bins_before, report.bins_after, strict=True
                )
            ],
        )
    )
    for title, groups in (
        (_("Effect per institution"), report.by_institution),
        (_("Effect per field (ISCED-F broad field)"), report.by_field),
        (_("Effect per EQF level"), report.by_eqf),
    ):
        out.append(
            TableData(
                title,
                (
                    _("group"),
                    _("rounds"),
                    _("changed"),
                    _("worse"),
                    _("better"),
                    _("mean overall before"),
                    _("mean overall after"),
                ),  # fmt: skip
                [
                    (
                        g.key,
                        g.rounds,
                        g.changed,
                        g.worse,
                        g.better,
                        _n(g.mean_before),
                        _n(g.mean_after),
                    )  # fmt: skip
                    for g in groups.values()
                ],
            )
        )
    out.append(
        TableData(
            _(
                "Criteria of the new version not scored by the stored reviews (left out, not"
                " guessed)"
            ),
            (_("criterion"), _("title"), _("rounds without a score"), _("new criterion")),
            [
                (u.criterion_id, u.title, u.rounds, _("yes") if u.new else _("no"))
                for u in report.unscored
            ],
            note=_(
                "criteria of the replayed versions that the new version drops: %(removed)s;"
                " versions replayed: %(versions)s"
            )
            % {
                "removed": ", ".join(report.removed) or _("none"),
                "versions": ", ".join(
                    f"{k} ({_rounds(v, language)})" for k, v in report.old_versions.items()
                )
                or _("none"),
            },
        )
    )
    return out


def _bands(language: str) -> list[str]:
    """The overall score's bands (`bin_labels`), "excluded" in `language`."""
    excluded = translations(language).gettext("(excl.)")
    return [label.replace("(excl.)", excluded) for label in bin_labels()]


def _day(decided: str, language: str) -> str:
    """The day of a decision as the reader writes it (ISO in, as the report keeps it)."""
    try:
        return format_date(date.fromisoformat(decided[:10]), language)
    except ValueError:
        return decided


def _shown(text: str, language: str) -> str:
    """A reason or a flag made by the domain (a `Phrase`) in `language`."""
    cat = translations(language)
    return str(translated(text, cat.gettext, cat.ngettext))


def _rounds(n: int, language: str) -> str:
    return translations(language).ngettext("%(num)s round", "%(num)s rounds", n) % {"num": n}


def calibration_tables(report: CalibrationReport, language: str = "en") -> list[TableData]:
    """The criteria ranked by how much they are worth rewording, and the evidence; titles,
    headers and notes in `language`."""
    _ = translations(language).gettext
    ranked = TableData(
        _("Criteria ranked by how much they are worth rewording"),
        (
            _("rank"),
            _("criterion"),
            _("title"),
            _("kind"),
            _("rounds"),
            _("agreement across cases"),
            _("within one level / alike"),
            _("disagree beyond %(threshold)s") % {"threshold": f"{report.threshold:g}"},
            _("self − peers"),
            _("gate failures"),
            _("gate decides outcome"),
            _("contradicting comments"),
            _("why"),
        ),  # fmt: skip
        [
            (
                i,
                c.criterion_id,
                c.title,
                c.kind,
                c.rounds,
                c.agreement,
                _pct(c.within_one_rate if c.kind == "scale" else c.alike_rate),
                _("%(num)s of %(total)s (%(share)s)")
                % {
                    "num": c.disagreements,
                    "total": c.compared,
                    "share": _pct(c.disagreement_rate),
                },
                "-" if c.self_gap is None else f"{c.self_gap:+.2f}",
                c.gate_failures if c.gate is not None else "-",
                c.decisive if c.gate is not None else "-",
                c.contradictions,
                "; ".join(_shown(f, language) for f in c.flags) or "-",
            )
            for i, c in enumerate(report.criteria, start=1)
        ],
        note=calibration_summary(report, language),
    )
    examples = TableData(
        _("Evidence: comments that contradict the score"),
        (_("criterion"), _("case"), _("round"), _("score"), _("word"), _("comment")),
        [
            (c.criterion_id, e.case_id, e.round, e.score, e.word, e.comment)
            for c in report.criteria
            for e in c.examples
        ],
    )
    disagreeing = TableData(
        _(
            "Evidence: cases whose reviewers disagree beyond the threshold (first five per"
            " criterion)"
        ),
        (_("criterion"), _("cases")),
        [
            (c.criterion_id, ", ".join(str(x) for x in c.disagreement_examples))
            for c in report.criteria
            if c.disagreement_examples
        ],
    )
    return [ranked, examples, disagreeing]


def tables_xlsx(tables: list[TableData], title: str) -> bytes:
    """One sheet per table (its title in the first row, the headers bold)."""
    wb = Workbook()
    first = True
    for t in tables:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = _sheet_name(t.title, wb.sheetnames if ws.title != "Sheet" else [])
        write_cell(ws, 1, 1, t.title).font = Font(bold=True)
        if t.note:
            write_cell(ws, 2, 1, t.note)
        for j, h in enumerate(t.headers, start=1):
            write_cell(ws, 3, j, h).font = Font(bold=True)
        for i, row in enumerate(t.rows, start=4):
            for j, v in enumerate(row, start=1):
                write_cell(ws, i, j, v)
    wb.properties.title = title
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(title: str, taken: list[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28]
    name, k = base, 2
    while name in taken:
        name, k = f"{base[:25]} {k}", k + 1
    return name


def tables_html(
    tables: list[TableData], title: str, intro: str = "", language: str = "en"
) -> bytes:
    """A standalone HTML file of the tables (its texts in `language`)."""
    e = html.escape
    _ = translations(language).gettext
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(language)}"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:2em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;"
        "vertical-align:top}th{background:#eee}</style>",
        "</head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    if intro:
        parts.append(f"<p>{e(intro)}</p>")
    for t in tables:
        parts.append(f"<h2>{e(t.title)}</h2>")
        if t.note:
            parts.append(f"<p>{e(t.note)}</p>")
        if not t.rows:
            parts.append(f"<p>{e(_('none'))}</p>")
            continue
        parts.append("<table><thead><tr>")
        parts.extend(f"<th>{e(h)}</th>" for h in t.headers)
        parts.append("</tr></thead><tbody>")
        for row in t.rows:
            parts.append(
                "<tr>"
                + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in row)
                + "</tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")
