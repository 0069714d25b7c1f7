"""The leadership reports' layout and their charts as server-rendered SVG.

`report_sections(figures)` turns the figures into sections of blocks; a block is a chart with its
data table (`ChartSpec.table()`), or a table alone. The PDF, the workbook and the HTML page all
render these same sections, with numbers formatted by `fmt`, so they always show the same values.

`render_svg(spec)` draws a chart as a plain SVG string (bar, horizontal bar, grouped or stacked
bar, line, heatmap): every text escaped, a ``<title>`` and ``<desc>`` for screen readers, nothing
fetched at run time.
"""

from __future__ import annotations

import gettext as gettext_module
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Literal, SupportsFloat, SupportsInt, get_args

from qa_engine.adapters import translations as tr
from qa_engine.domain import i18n
from qa_engine.domain.consolidation import RELIABLE, TENTATIVE
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import (
    EXTERNAL,
    STATE_NAMES,
    TIME_UNITS,
    LeadershipFigures,
    OutcomeRow,
    ReportFilters,
    ReviewerLoad,
    StageTime,
)
from qa_engine.domain.outcomes import OUTCOME_NAMES
from qa_engine.domain.standards import (
    DIGCOMP,
    DIGCOMP_AREAS,
    ESG,
    EU_ELEMENTS,
    EU_OPTIONAL_ELEMENTS,
    EU_PRINCIPLES,
    GREENCOMP,
    GREENCOMP_AREAS,
)

Kind = Literal["bar", "hbar", "stacked_bar", "line", "heatmap"]
# "days" and "time": durations with one decimal (a table or chart states the unit in its header)
Format = Literal["int", "pct", "num2", "days", "time", "text"]
FORMATS: tuple[Format, ...] = get_args(Format)

BRAND = "#1d3c78"
PALETTE = ("#1d3c78", "#e3a21a", "#3f8f8a", "#b7410e", "#7a5195", "#5b6475", "#2e7d32", "#c62828")
OUTCOME_COLOURS = {
    "approved": "#2e7d32",
    "approved_with_conditions": "#8bc34a",
    "revision_requested": "#f9a825",
    "rejected": "#c62828",
}
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
MAX_CHART_CATEGORIES = 40


def fmt(value: object, kind: Format = "text", lang: str = i18n.DEFAULT) -> str:
    """How a value prints in every output, in `lang`'s way of writing numbers (Babel's: a decimal
    comma in cs, de, fr …; the workbook stores the number and shows the same). A value that is
    not a number prints as text in any format."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "int" and isinstance(value, SupportsInt | str):
        return tr.format_decimal(int(value), lang, 0)
    if not isinstance(value, SupportsFloat | str):
        return str(value)
    if kind == "pct":
        return tr.format_share(float(value), lang)
    if kind == "num2":
        return tr.format_decimal(float(value), lang, 2)
    if kind in ("days", "time"):
        return tr.format_decimal(float(value), lang, 1)
    return str(value)


def as_format(kind: str) -> Format:
    """A format named in text (a template's), "text" for any other name."""
    return next((f for f in FORMATS if f == kind), "text")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    id: str
    kind: Kind
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_label: str
    category_label: str
    value_format: Format = "int"
    description: str = ""
    max_value: float | None = None  # fixed top of the value axis (1.0 for shares)
    lang: str = i18n.DEFAULT  # the language of its texts and numbers

    def table(self) -> TableSpec:
        """The chart's data as a table: one row per category, one column per series."""
        heads = (self.category_label, *(s.name for s in self.series))
        rows = tuple(
            (c, *(s.values[i] for s in self.series)) for i, c in enumerate(self.categories)
        )
        return TableSpec(
            f"{self.id}_data",
            self.title,
            heads,
            ("text", *(self.value_format,) * len(self.series)),
            rows,
            lang=self.lang,
        )

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values if v)


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    headers: tuple[str, ...]
    formats: tuple[Format, ...]
    rows: tuple[tuple[object, ...], ...]
    note: str = ""
    row_formats: tuple[Format, ...] = ()  # when given: the format of the last column, row by row
    lang: str = i18n.DEFAULT  # the language of its texts and numbers

    def cell_format(self, row: int, column: int) -> Format:
        if self.row_formats and column == len(self.headers) - 1:
            return self.row_formats[row]
        return self.formats[column]

    def formatted(self) -> list[list[str]]:
        return [
            [fmt(v, self.cell_format(i, j), self.lang) for j, v in enumerate(row)]
            for i, row in enumerate(self.rows)
        ]


@dataclass(frozen=True)
class Block:
    table: TableSpec
    chart: ChartSpec | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    blocks: list[Block] = field(default_factory=list)


# --------------------------------------------------------------------------- words


# whom the report is for, as "for …" reads (pl "dla kierownictwa")
AUDIENCES = {"leadership": N_("the alliance's leadership"), "officers": N_("the QA officers")}
TIME_UNIT_NAMES = {"days": N_("days"), "hours": N_("hours"), "minutes": N_("minutes")}
# per unit: the chart's title and the median, 90th percentile and mean columns
TIME_UNIT_HEADS = {
    "days": (
        N_("Days per stage (median and 90th percentile)"),
        N_("Median days"),
        N_("90th percentile days"),
        N_("Mean days"),
    ),
    "hours": (
        N_("Hours per stage (median and 90th percentile)"),
        N_("Median hours"),
        N_("90th percentile hours"),
        N_("Mean hours"),
    ),
    "minutes": (
        N_("Minutes per stage (median and 90th percentile)"),
        N_("Median minutes"),
        N_("90th percentile minutes"),
        N_("Mean minutes"),
    ),
}


# a month on an axis: abbreviated, in full where the abbreviation is a word of its own (cs "pro")
MONTH_FORMATS = {"cs": "LLLL y"}
# the frameworks' own titles of their standards, principles, elements, areas and competences (in
# English, the msgids of their translations where the catalogs hold them)
REFERENCE_TITLES: dict[str, str] = {
    **ESG,
    **EU_PRINCIPLES,
    **{k: title for k, (title, _field) in {**EU_ELEMENTS, **EU_OPTIONAL_ELEMENTS}.items()},
    **DIGCOMP_AREAS,
    **DIGCOMP,
    **GREENCOMP_AREAS,
    **GREENCOMP,
}


@dataclass(frozen=True)
class Words:
    """The texts of the report in one language: its catalog and Babel's formats."""

    lang: str = i18n.DEFAULT

    @property
    def _catalog(self) -> gettext_module.NullTranslations:
        return tr.translations(self.lang)

    def __call__(self, text: str, **params: object) -> str:
        out = self._catalog.gettext(text)
        return out % params if params else out

    def ngettext(self, singular: str, plural: str, num: int, **params: object) -> str:
        return self._catalog.ngettext(singular, plural, num) % {"num": num, **params}

    def day(self, value: date) -> str:
        return tr.format_date(value, self.lang)

    def moment(self, value: datetime) -> str:
        return tr.format_moment(value, self.lang)

    def month(self, key: str) -> str:
        """A month "2026-03" as the language writes it ("Mar 2026", "březen 2026"); other keys
        as they are."""
        try:
            year, month = (int(x) for x in key.split("-"))
            return tr.format_date(
                date(year, month, 1), self.lang, MONTH_FORMATS.get(self.lang, "LLL y")
            )
        except ValueError:
            return key

    def state(self, key: str) -> str:
        return self(STATE_NAMES[key]) if key in STATE_NAMES else key.replace("_", " ")

    def outcome(self, key: str) -> str:
        return self(OUTCOME_NAMES[key]) if key in OUTCOME_NAMES else key.replace("_", " ")

    def reference(self, key: str, label: str, numbered: bool = False) -> str:
        """A standard, principle, element, area or competence in this language: its identifier
        and title ("ESG-1.1 Policy for quality assurance"), or, `numbered`, the framework's number
        and title ("1.1 Browsing, searching …"); `label` where the frameworks have no such key."""
        title = REFERENCE_TITLES.get(key)
        if title is None:
            return label
        if numbered:
            return f"{key.split('-', 1)[-1]} {self(title)}"
        return f"{key} {self(title)}"

    def scope(self, filters: ReportFilters) -> str:
        """The filters of the report in words (`ReportFilters.describe` in this language)."""
        parts = [
            self(N_("institution %(code)s"), code=filters.institution)
            if filters.institution
            else "",
            self(N_("rubric %(rubric)s"), rubric=filters.rubric) if filters.rubric else "",
            self(N_("ISCED-F %(field)s"), field=filters.field) if filters.field else "",
            self(N_("EQF %(level)s"), level=filters.eqf) if filters.eqf is not None else "",
        ]
        return ", ".join(p for p in parts if p) or self(
            N_("all institutions, rubrics, fields and levels")
        )

    def period(self, f: LeadershipFigures) -> str:
        return self(
            N_("%(start)s to %(end)s"), start=self.day(f.period.start), end=self.day(f.period.end)
        )

    def audience(self, f: LeadershipFigures) -> str:
        return self(AUDIENCES.get(f.audience, f.audience))

    def notes(self, f: LeadershipFigures) -> list[str]:
        return [self(n) for n in f.notes]

    def fmt(self, value: object, kind: Format = "text") -> str:
        return fmt(value, kind, self.lang)


def words(lang: str | None = None) -> Words:
    """The texts of `lang` (English for None or a language the engine does not speak)."""
    return Words(i18n.supported(lang) or i18n.DEFAULT)


# --------------------------------------------------------------------------- layout


def _chart(spec: ChartSpec) -> Block:
    return Block(spec.table(), spec)


def report_sections(f: LeadershipFigures, lang: str | None = None) -> list[Section]:
    """Every section of the leadership report, in reading order, in `lang` (default English)."""
    w = words(lang)
    return [
        _summary(f, w),
        _pipeline(f, w),
        _outcomes(f, w),
        _standards(f, w),
        _digital_green(f, w),
        _reviewing(f, w),
    ]


def _summary(f: LeadershipFigures, _: Words) -> Section:
    p, o, s, d, r = f.pipeline, f.outcomes, f.standards, f.digital_green, f.reviewing
    rows: tuple[tuple[str, object, Format], ...] = (
        (_("Cases in the pipeline during the period"), p.in_pipeline, "int"),
        (_("Cases still open"), p.open_cases, "int"),
        (_("Cases closed in the period"), p.closed, "int"),
        (_("Decisions taken in the period"), o.decisions, "int"),
        (
            _("Share approved (with or without conditions)"),
            (o.totals["approved"] + o.totals["approved_with_conditions"]) / o.decisions
            if o.decisions
            else None,
            "pct",
        ),
        (_("Open reviews past their due date"), p.overdue_reviews, "int"),
        (_("Reviews submitted late"), p.late_share, "pct"),
        (_("Screenings that returned a case"), s.returned_screenings, "int"),
        (_("Approved credentials aligned with DigComp"), d.digcomp.share, "pct"),
        (_("Approved credentials aligned with GreenComp"), d.greencomp.share, "pct"),
        (
            _("Agreement between reviewers (median Krippendorff's alpha of the scale criteria)"),
            r.median_alpha,
            "num2",
        ),
    )
    table = TableSpec(
        "summary",
        _("Key figures"),
        (_("Figure"), _("Value")),
        ("text", "num2"),
        tuple((label, v) for label, v, _k in rows),
        row_formats=tuple(k for _l, _v, k in rows),
        lang=_.lang,
    )
    return Section(
        "summary",
        _("Summary"),
        _("Period %(period)s; %(scope)s.", period=_.period(f), scope=_.scope(f.filters)),
        [Block(table)],
    )


def _stage_time_blocks(times: Sequence[StageTime], _: Words) -> list[Block]:
    """The time spent per stage: one chart and table per unit (days, hours, minutes), each stage
    in the unit its median reads in (`domain.leadership.time_unit`), so that no column mixes
    units and an automated stage of minutes never reads 0.0 days."""
    blocks = []
    for unit in TIME_UNITS:
        group = [t for t in times if t.unit == unit]
        if not group:
            continue
        key = unit.name
        name = _(TIME_UNIT_NAMES[key])
        title, median, p90, mean = (_(text) for text in TIME_UNIT_HEADS[key])
        chart = ChartSpec(
            f"stage_times_{key}",
            "bar",
            title,
            tuple(_.state(t.stage) for t in group),
            (
                Series(median, tuple(unit.of(t.median_days) for t in group)),
                Series(p90, tuple(unit.of(t.p90_days) for t in group), PALETTE[1]),
            ),
            name,
            _("Stage"),
            "time",
            description=_(
                "Time between entering a state and leaving it, in %(unit)s, for stays that ended "
                "in the period; the median and the 90th percentile interpolate linearly between "
                "the two nearest stays.",
                unit=name,
            ),
            lang=_.lang,
        )
        table = TableSpec(
            f"stage_times_{key}_data",
            chart.title,
            (_("Stage"), median, p90, mean, _("Stays")),
            ("text", "time", "time", "time", "int"),
            tuple(
                (
                    _.state(t.stage),
                    unit.of(t.median_days),
                    unit.of(t.p90_days),
                    unit.of(t.mean_days),
                    t.intervals,
                )
                for t in group
            ),
            lang=_.lang,
        )
        blocks.append(Block(table, chart))
    return blocks


def _pipeline(f: LeadershipFigures, _: Words) -> Section:
    p = f.pipeline
    blocks = [
        _chart(
            ChartSpec(
                "cases_by_state",
                "bar",
                _("Cases by state"),
                tuple(_.state(c.key) for c in p.cases_by_state),
                (Series(_("Cases"), tuple(c.count for c in p.cases_by_state)),),
                _("cases"),
                _("State"),
                description=_("Cases in the pipeline during the period, by their state now."),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "closed_per_month",
                "line",
                _("Cases closed per month"),
                tuple(_.month(c.key) for c in p.closed_per_month),
                (Series(_("Closed"), tuple(c.count for c in p.closed_per_month)),),
                _("cases"),
                _("Month"),
                description=_("Throughput: cases closed in each month of the period."),
                lang=_.lang,
            )
        ),
        *_stage_time_blocks(p.stage_times, _),
        Block(
            TableSpec(
                "timeliness",
                _("Review deadlines"),
                (_("Figure"), _("Value")),
                ("text", "int"),
                (
                    (
                        _("Open reviews due in the period and now past their due date"),
                        p.overdue_reviews,
                    ),
                    (_("Reviews submitted in the period"), p.reviews_submitted),
                    (_("… of which after their due date"), p.reviews_late),
                    (_("Share submitted late"), p.late_share),
                ),
                row_formats=("int", "int", "int", "pct"),
                lang=_.lang,
            )
        ),
    ]
    if p.overdue_by_reviewer is not None:
        blocks.append(
            Block(
                TableSpec(
                    "overdue_by_reviewer",
                    _("Who is behind (QA officers only)"),
                    (_("Reviewer"), _("Institution"), _("Overdue reviews"), _("Most days overdue")),
                    ("text", "text", "int", "days"),
                    tuple(
                        (r.name, _institution(r.institution, _), r.overdue, r.max_days_overdue)
                        for r in p.overdue_by_reviewer
                    ),
                    lang=_.lang,
                )
            )
        )
    return Section(
        "pipeline",
        _("Pipeline"),
        _("Where cases are, how many close, and where they wait."),
        blocks,
    )


def _institution(code: str | None, _: Words) -> str:
    """An institution column: its code; a reviewer of none is an external expert."""
    if not code:
        return ""
    return _(EXTERNAL) if code == EXTERNAL else code


def _outcome_series(
    rows: Sequence[OutcomeRow], outcomes: Sequence[str], _: Words
) -> tuple[Series, ...]:
    return tuple(
        Series(_.outcome(o), tuple(r.counts[o] for r in rows), OUTCOME_COLOURS.get(o))
        for o in outcomes
    )


def _outcomes(f: LeadershipFigures, _: Words) -> Section:
    o = f.outcomes
    outcomes = list(o.totals)
    blocks = [
        _chart(
            ChartSpec(
                "outcomes_by_institution",
                "stacked_bar",
                _("Decisions by institution and outcome"),
                tuple(r.label for r in o.by_institution),
                _outcome_series(o.by_institution, outcomes, _),
                _("decisions"),
                _("Institution"),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "outcomes_by_month",
                "stacked_bar",
                _("Decisions per month and outcome"),
                tuple(_.month(r.key) for r in o.by_month),
                _outcome_series(o.by_month, outcomes, _),
                _("decisions"),
                _("Month"),
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "outcome_totals",
                _("Outcomes in the period"),
                (_("Outcome"), _("Decisions"), _("Share")),
                ("text", "int", "pct"),
                tuple((_.outcome(k), v, o.share(k)) for k, v in o.totals.items()),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "top_conditions",
                "hbar",
                _("The most frequent conditions"),
                tuple(c.label for c in o.top_conditions),
                (Series(_("Decisions"), tuple(c.count for c in o.top_conditions)),),
                _("decisions"),
                _("Condition"),
                lang=_.lang,
            )
        ),
    ]
    return Section(
        "outcomes",
        _("Outcomes"),
        _("What was decided, by whom it was asked, and on which conditions."),
        blocks,
    )


def _standards(f: LeadershipFigures, _: Words) -> Section:
    s = f.standards
    heat = ChartSpec(
        "standards_heatmap",
        "heatmap",
        _("Mean consolidated score per standard and institution"),
        tuple(_.reference(r.reference, f"{r.reference} {r.title}") for r in s.heatmap),
        (
            *(Series(c, tuple(r.by_institution.get(c) for r in s.heatmap)) for c in s.institutions),
            Series(_("All"), tuple(r.overall for r in s.heatmap)),
        ),
        _("score (share of the scale maximum)"),
        _("Standard or principle"),
        "pct",
        max_value=1.0,
        description=_(
            "From the final consolidation of each round decided in the period "
            "(its per-standard scores)."
        ),
        lang=_.lang,
    )
    blocks = [
        _chart(heat),
        _chart(
            ChartSpec(
                "below_gate",
                "hbar",
                _("Criteria most often below their gate"),
                tuple(f"{g.key} {g.label}" for g in s.below_gate),
                (Series(_("Share of consolidations"), tuple(g.share for g in s.below_gate)),),
                _("share of consolidations"),
                _("Criterion"),
                "pct",
                max_value=1.0,
                description=_.ngettext(
                    "Out of %(num)s final consolidation.",
                    "Out of %(num)s final consolidations.",
                    s.consolidations,
                ),
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "below_gate_counts",
                _("Gate failures"),
                (_("Criterion"), _("Consolidations below the gate")),
                ("text", "int"),
                tuple((f"{g.key} {g.label}", g.count) for g in s.below_gate),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "missing_elements",
                "hbar",
                _("Standard elements most often missing at screening"),
                tuple(_.reference(m.key, f"{m.key} {m.label}") for m in s.missing_elements),
                (Series(_("Returned screenings"), tuple(m.count for m in s.missing_elements)),),
                _("screenings"),
                _("Standard element"),
                description=_.ngettext(
                    "Out of %(num)s screening that returned a case to its provider.",
                    "Out of %(num)s screenings that returned a case to its provider.",
                    s.returned_screenings,
                ),
                lang=_.lang,
            )
        ),
    ]
    return Section(
        "standards",
        _("Standards"),
        _("How the credentials fare against ESG 2015 and the EU principles."),
        blocks,
    )


def _digital_green(f: LeadershipFigures, _: Words) -> Section:
    d = f.digital_green
    gaps = d.gaps
    frameworks = (d.digcomp, d.greencomp, d.esco)
    approved = _("Approved credentials")
    blocks = [
        _chart(
            ChartSpec(
                "alignment",
                "bar",
                _("Approved credentials aligned with digital and green frameworks"),
                tuple(_(s.label) for s in frameworks),
                (Series(_("Share of approved"), tuple(s.share for s in frameworks)),),
                _("share of approved credentials"),
                _("Framework"),
                "pct",
                max_value=1.0,
                description=_.ngettext(
                    "Out of %(num)s credential approved in the period.",
                    "Out of %(num)s credentials approved in the period.",
                    d.approved,
                ),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "digcomp_areas",
                "bar",
                _("DigComp areas covered"),
                tuple(_.reference(s.key, s.label, numbered=True) for s in d.digcomp_areas),
                (Series(approved, tuple(s.count for s in d.digcomp_areas)),),
                _("credentials"),
                _("Area"),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "greencomp_areas",
                "bar",
                _("GreenComp areas covered"),
                tuple(_.reference(s.key, s.label, numbered=True) for s in d.greencomp_areas),
                (Series(approved, tuple(s.count for s in d.greencomp_areas), PALETTE[2]),),
                _("credentials"),
                _("Area"),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "digcomp_competences",
                "hbar",
                _("DigComp competences covered"),
                tuple(_.reference(s.key, s.label, numbered=True) for s in d.digcomp_competences),
                (Series(approved, tuple(s.count for s in d.digcomp_competences)),),
                _("credentials"),
                _("Competence"),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "greencomp_competences",
                "hbar",
                _("GreenComp competences covered"),
                tuple(_.reference(s.key, s.label, numbered=True) for s in d.greencomp_competences),
                (Series(approved, tuple(s.count for s in d.greencomp_competences), PALETTE[2]),),
                _("credentials"),
                _("Competence"),
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "gaps",
                _("Not covered by any approved credential yet"),
                (_("Area or competence"), _("Framework")),
                ("text", "text"),
                tuple(
                    (_.reference(g.key, g.label, numbered=True), g.key.split("-")[0]) for g in gaps
                ),
                note=_("The gaps the skills and co-design work packages could fill."),
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "rubric_competences",
                _("Competences the rubrics in use review"),
                (
                    _("Rubric"),
                    _("Framework"),
                    _("Competences named"),
                    _("Areas named as a whole only"),
                ),
                ("text", "text", "text", "text"),
                tuple(
                    (
                        c.rubric,
                        c.framework,
                        _("%(count)s of %(total)s", count=c.addressed, total=c.total),
                        _("%(count)s of %(total)s", count=c.areas, total=c.area_total),
                    )
                    for c in d.rubric_competences
                ),
                note=_(
                    "A competence counts when a criterion of the rubric names it; a criterion"
                    " that names an area as a whole counts for none of its competences"
                    " (qa-engine rubrics coverage RUBRIC lists them)."
                ),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "eqf",
                "bar",
                _("EQF levels of approved credentials"),
                tuple(_("EQF %(level)s", level=c.key) for c in d.eqf),
                (Series(approved, tuple(c.count for c in d.eqf)),),
                _("credentials"),
                _("EQF level"),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "ects",
                "bar",
                _("Workload (ECTS) of approved credentials"),
                tuple(_(c.label) for c in d.ects),
                (Series(approved, tuple(c.count for c in d.ects)),),
                _("credentials"),
                "ECTS",
                lang=_.lang,
            )
        ),
    ]
    return Section(
        "digital_green",
        _("Digital and green"),
        _("What the approved credentials teach, and what is missing."),
        blocks,
    )


def _reviewer(x: ReviewerLoad, index: int, named: bool, _: Words) -> str:
    """A reviewer's row label: the name for officers, an anonymous number for everyone else."""
    return x.label if named else _("Reviewer %(number)s", number=f"{index:02d}")


def _reviewing(f: LeadershipFigures, _: Words) -> Section:
    r = f.reviewing
    labels = [_reviewer(x, i, r.named, _) for i, x in enumerate(r.reviewers, start=1)]
    busiest = r.reviewers[:MAX_CHART_CATEGORIES]
    completed, open_ = _("Completed in the period"), _("Open")
    load_chart = ChartSpec(
        "reviewer_load_chart",
        "stacked_bar",
        _("Reviewer load"),
        tuple(labels[: len(busiest)]),
        (
            Series(completed, tuple(x.completed for x in busiest)),
            Series(open_, tuple(x.open for x in busiest), PALETTE[1]),
        ),
        _("reviews"),
        _("Reviewer"),
        description=(
            _.ngettext(
                "The %(busiest)s busiest of %(num)s reviewer.",
                "The %(busiest)s busiest of %(num)s reviewers.",
                len(r.reviewers),
                busiest=len(busiest),
            )
            if len(r.reviewers) > len(busiest)
            else ""
        ),
        lang=_.lang,
    )
    load_table = TableSpec(
        "reviewer_load",
        _("Reviewer load"),
        (_("Reviewer"), _("Institution"), open_, completed, _("Open reviews allowed")),
        ("text", "text", "int", "int", "int"),
        tuple(
            (label, _institution(x.institution, _), x.open, x.completed, x.capacity)
            for label, x in zip(labels, r.reviewers, strict=True)
        ),
        note="" if r.named else _("Reviewers are anonymised."),
        lang=_.lang,
    )
    blocks = [
        Block(load_table, load_chart),
        _chart(
            ChartSpec(
                "agreement",
                "hbar",
                _("Agreement between reviewers per criterion"),
                tuple(f"{a.criterion} {a.title}" for a in r.agreement),
                (Series(_("Krippendorff's alpha"), tuple(a.alpha for a in r.agreement)),),
                _("alpha (ordinal)"),
                _("Criterion"),
                "num2",
                max_value=1.0,
                description=_(
                    "Ordinal, scale criteria only. 1 is perfect agreement, 0 agreement by "
                    "chance; %(reliable)s or more reliable, %(tentative)s to %(reliable)s "
                    "tentative, below %(tentative)s low, below 0 systematic disagreement "
                    "(Krippendorff 2004, Content Analysis, 2nd ed., p. 241).",
                    reliable=_threshold(RELIABLE, _),
                    tentative=_threshold(TENTATIVE, _),
                ),
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "lowest_agreement",
                _("Criteria with the lowest agreement (descriptors to revisit)"),
                (_("Criterion"), _("Review rounds"), _("Alpha"), _("Meaning")),
                ("text", "int", "num2", "text"),
                tuple(
                    (f"{a.criterion} {a.title}", a.units, a.alpha, _(a.label) if a.label else "")
                    for a in r.lowest_agreement
                ),
                lang=_.lang,
            )
        ),
        _chart(
            ChartSpec(
                "self_vs_peer",
                "hbar",
                _("Self-assessment and peer score per criterion"),
                tuple(f"{g.criterion} {g.title}" for g in r.gaps),
                (
                    Series(_("Self-assessment"), tuple(g.self_mean for g in r.gaps)),
                    Series(_("Peers"), tuple(g.peer_mean for g in r.gaps), PALETTE[1]),
                ),
                _("mean score"),
                _("Criterion"),
                "num2",
                lang=_.lang,
            )
        ),
        Block(
            TableSpec(
                "gap",
                _("Self-assessment minus peer score"),
                (_("Criterion"), _("Review rounds"), _("Gap")),
                ("text", "int", "num2"),
                tuple((f"{g.criterion} {g.title}", g.units, g.gap) for g in r.gaps),
                note=_("Positive: providers rate themselves higher than their peers do."),
                lang=_.lang,
            )
        ),
    ]
    return Section(
        "reviewing",
        _("Reviewing"),
        _("Who carries the load, and how far reviewers agree."),
        blocks,
    )


def _threshold(value: float, _: Words) -> str:
    """A threshold of alpha as Krippendorff writes it, without the leading zero: .800 (,800)."""
    text = tr.format_decimal(value, _.lang, 3)
    return text[1:] if text.startswith("0") else text


# --------------------------------------------------------------------------- SVG

W = 720
TEXT = "#1a1a1a"
GRID = "#d5dbe6"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _top(spec: ChartSpec, peak: float) -> float:
    if spec.max_value:
        return spec.max_value
    top = _nice_max(peak)
    return max(top, 4.0) if spec.value_format == "int" else top


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp


def _colour(spec: ChartSpec, i: int) -> str:
    return spec.series[i].colour or PALETTE[i % len(PALETTE)]


def axis_label(value: float, spec: ChartSpec) -> str:
    """A value axis's tick in the chart's language: whole percentages, two decimals for a
    coefficient, one decimal for a count or duration that is not whole."""
    if spec.value_format == "pct":
        return tr.format_share(value, spec.lang, 0)
    if spec.value_format in ("num2",):
        return tr.format_decimal(value, spec.lang, 2)
    if value == int(value):
        return tr.format_decimal(int(value), spec.lang, 0)
    return tr.format_decimal(value, spec.lang, 1)


def _value(spec: ChartSpec, value: float | None) -> str:
    """A value of the chart as its table prints it, in the chart's language."""
    return fmt(value, spec.value_format, spec.lang)


def _compact(text: str) -> str:
    """A figure without its spaces (a heatmap cell is narrow): `43,8%`."""
    return text.replace(" ", "").replace("\xa0", "").replace("\u202f", "")


def render_svg(spec: ChartSpec) -> str:
    """The chart as a standalone SVG element (a string)."""
    body, height = {
        "bar": _bars,
        "stacked_bar": _bars,
        "hbar": _hbars,
        "line": _line,
        "heatmap": _heatmap,
    }[spec.kind](spec)
    tid, did = f"chart-{spec.id}-title", f"chart-{spec.id}-desc"
    desc = spec.description or words(spec.lang)(
        N_("%(title)s: %(values)s by %(categories)s; the table below holds the data."),
        title=spec.title,
        values=spec.value_label,
        categories=spec.category_label.lower(),
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{spec.kind}" role="img" '
        f'aria-labelledby="{tid} {did}" viewBox="0 0 {W} {height}" width="{W}" height="{height}" '
        f'font-family="{FONT}" font-size="11">'
        f'<title id="{tid}">{_e(spec.title)}</title><desc id="{did}">{_e(desc)}</desc>'
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="{BRAND}">'
        f"{_e(spec.title)}</text>"
        f"{body}</svg>"
    )


def _no_data(spec: ChartSpec, y: float) -> str:
    text = words(spec.lang)(N_("No data for this period"))
    return f'<text x="{W / 2}" y="{y}" text-anchor="middle" fill="#5b6475">{_e(text)}</text>'


def _legend(spec: ChartSpec, y: float) -> str:
    if len(spec.series) < 2:
        return ""
    out, x = [], 60.0
    for i, s in enumerate(spec.series):
        out.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{_colour(spec, i)}"/>'
            f'<text x="{x + 14:.1f}" y="{y}">{_e(s.name)}</text>'
        )
        x += 24 + 6.5 * len(s.name)
    return "".join(out)


def _bars(spec: ChartSpec) -> tuple[str, int]:
    """Vertical bars: grouped (bar) or stacked (stacked_bar)."""
    cats = spec.categories
    rotate = len(cats) > 8 or max((len(c) for c in cats), default=0) > 12
    label_h = 110 if rotate else 30
    top, plot_h, left = 50, 220, 60
    height = top + plot_h + label_h + 20
    if not cats or spec.empty:
        return _legend(spec, 36) + _no_data(spec, top + plot_h / 2), height
    stacked = spec.kind == "stacked_bar"
    if stacked:
        peak = max(sum(s.values[i] or 0 for s in spec.series) for i in range(len(cats)))
    else:
        peak = max((v or 0) for s in spec.series for v in s.values)
    vmax = _top(spec, peak)
    plot_w = W - left - 10
    step = plot_w / len(cats)
    out = [_legend(spec, 36)]
    for k in range(5):
        v = vmax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{W - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_e(axis_label(v, spec))}</text>"
        )
    n = len(spec.series)
    for i, c in enumerate(cats):
        x0 = left + i * step
        base: float = top + plot_h
        for j, s in enumerate(spec.series):
            v = s.values[i] or 0
            h = plot_h * min(v, vmax) / vmax
            tip = f"<title>{_e(c)} — {_e(s.name)}: {_e(_value(spec, s.values[i]))}</title>"
            if stacked:
                bw = step * 0.7
                out.append(
                    f'<rect x="{x0 + step * 0.15:.1f}" y="{base - h:.1f}" '
                    f'width="{bw:.1f}" height="{h:.1f}" fill="{_colour(spec, j)}">{tip}</rect>'
                )
                base -= h
            else:
                bw = step * 0.8 / n
                out.append(
                    f'<rect x="{x0 + step * 0.1 + j * bw:.1f}" y="{base - h:.1f}" width="{bw:.1f}" '
                    f'height="{h:.1f}" fill="{_colour(spec, j)}">{tip}</rect>'
                )
        cx = x0 + step / 2
        ly = top + plot_h + 14
        if rotate:
            out.append(
                f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" '
                f'transform="rotate(-45 {cx:.1f} {ly})">'
                f"{_e(_short(c, 22))}</text>"
            )
        else:
            out.append(
                f'<text x="{cx:.1f}" y="{ly}" text-anchor="middle">{_e(_short(c, 14))}</text>'
            )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{W - 10}" y2="{top + plot_h}" stroke="{TEXT}"/>'
    )
    return "".join(out), height


def _hbars(spec: ChartSpec) -> tuple[str, int]:
    """Horizontal bars for long category names; grouped when there are several series."""
    cats = spec.categories
    n = len(spec.series)
    row_h = 8 + 10 * n
    top, left = 50, 250
    height = top + max(1, len(cats)) * row_h + 30
    if not cats or spec.empty:
        return _legend(spec, 36) + _no_data(spec, top + 20), max(height, 100)
    peak = max((v or 0) for s in spec.series for v in s.values)
    vmax = _top(spec, peak)
    plot_w = W - left - 60
    out = [_legend(spec, 36)]
    for k in range(5):
        x = left + plot_w * k / 4
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{_e(axis_label(vmax * k / 4, spec))}</text>"
        )
    for i, c in enumerate(cats):
        y0 = top + i * row_h
        out.append(
            f'<text x="{left - 6}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{_e(_short(c, 42))}</text>"
        )
        for j, s in enumerate(spec.series):
            v = s.values[i]
            w = plot_w * max(0.0, min(v or 0, vmax)) / vmax
            y = y0 + 4 + j * 10
            out.append(
                f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="9" '
                f'fill="{_colour(spec, j)}">'
                f"<title>{_e(c)} — {_e(s.name)}: {_e(_value(spec, v))}</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{y + 8:.1f}" font-size="9">'
                f"{_e(_value(spec, v))}</text>"
            )
    return "".join(out), height


def _line(spec: ChartSpec) -> tuple[str, int]:
    cats = spec.categories
    top, plot_h, left = 50, 200, 60
    rotate = len(cats) > 12
    height = top + plot_h + (70 if rotate else 30) + 10
    if not cats or spec.empty:
        return _legend(spec, 36) + _no_data(spec, top + plot_h / 2), height
    peak = max((v or 0) for s in spec.series for v in s.values)
    vmax = _top(spec, peak)
    plot_w = W - left - 20
    step = plot_w / max(1, len(cats) - 1) if len(cats) > 1 else 0
    out = [_legend(spec, 36)]
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{W - 20}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_e(axis_label(vmax * k / 4, spec))}</text>"
        )
    every = max(1, math.ceil(len(cats) / 24))
    for i, c in enumerate(cats):
        x = left + (i * step if len(cats) > 1 else plot_w / 2)
        if i % every == 0:
            ly = top + plot_h + 14
            if rotate:
                out.append(
                    f'<text x="{x:.1f}" y="{ly}" text-anchor="end" '
                    f'transform="rotate(-45 {x:.1f} {ly})">{_e(c)}</text>'
                )
            else:
                out.append(f'<text x="{x:.1f}" y="{ly}" text-anchor="middle">{_e(c)}</text>')
    for j, s in enumerate(spec.series):
        pts = []
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = left + (i * step if len(cats) > 1 else plot_w / 2)
            y = top + plot_h - plot_h * min(v, vmax) / vmax
            pts.append((x, y, v, cats[i]))
        colour = _colour(spec, j)
        if len(pts) > 1:
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts)
                + '"/>'
            )
        for x, y, v, c in pts:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{_e(c)} — {_e(s.name)}: {_e(_value(spec, v))}</title></circle>"
            )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{W - 20}" y2="{top + plot_h}" stroke="{TEXT}"/>'
    )
    return "".join(out), height


def heat_colour(value: float | None) -> str:
    """Red (0) through amber (0.5) to green (1); grey for no data."""
    if value is None:
        return "#eeeeee"
    v = max(0.0, min(1.0, value))
    stops = ((0.0, (0xC6, 0x28, 0x28)), (0.5, (0xF9, 0xD5, 0x6E)), (1.0, (0x2E, 0x7D, 0x32)))
    for (a, ca), (b, cb) in zip(stops, stops[1:], strict=False):
        if v <= b:
            t = (v - a) / (b - a)
            r, g, bl = (round(ca[k] + (cb[k] - ca[k]) * t) for k in range(3))
            return f"#{r:02x}{g:02x}{bl:02x}"
    return "#2e7d32"


def _heatmap(spec: ChartSpec) -> tuple[str, int]:
    rows, cols = spec.categories, [s.name for s in spec.series]
    top, left, cell_h = 60, 260, 20
    cell_w = (W - left - 10) / max(1, len(cols))
    height = top + len(rows) * cell_h + 20
    out = []
    for j, c in enumerate(cols):
        out.append(
            f'<text x="{left + j * cell_w + cell_w / 2:.1f}" y="{top - 8}" text-anchor="middle" '
            f'font-weight="bold">{_e(_short(c, 8))}</text>'
        )
    for i, r in enumerate(rows):
        y = top + i * cell_h
        out.append(
            f'<text x="{left - 6}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end">'
            f"{_e(_short(r, 44))}</text>"
        )
        for j, s in enumerate(spec.series):
            v = s.values[i]
            colour = heat_colour(v)
            ink = "#ffffff" if v is not None and (v < 0.25 or v > 0.8) else TEXT
            out.append(
                f'<rect x="{left + j * cell_w:.1f}" y="{y}" '
                f'width="{cell_w - 1:.1f}" height="{cell_h - 1}" fill="{colour}">'
                f"<title>{_e(r)} — {_e(s.name)}: {_e(_value(spec, v))}</title></rect>"
                f'<text x="{left + j * cell_w + cell_w / 2:.1f}" y="{y + cell_h / 2 + 4:.1f}" '
                f'text-anchor="middle" font-size="9" fill="{ink}">'
                f"{_e(_compact(_value(spec, v)))}</text>"
            )
    return "".join(out), height
