"""The leadership reports as data: the period and filters asked for, and every figure they show.

Plain dataclasses, computed by `qa_engine.services.leadership` and rendered as they are by the
PDF, the workbook and the HTML page (`qa_engine.adapters.aggregate_*`), so the three always agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_

MAX_PERIOD_DAYS = 20 * 366
# the institution column of a reviewer who belongs to no institution (translated where shown)
EXTERNAL = N_("external expert")
# the states in words, as the leadership report writes them (a state's identifier is its key)
STATE_NAMES = {
    "submitted": N_("submitted"),
    "screening": N_("screening"),
    "returned": N_("returned"),
    "self_assessment": N_("self-assessment"),
    "assignment": N_("assignment"),
    "peer_review": N_("peer review"),
    "consolidation": N_("consolidation"),
    "approval": N_("approval"),
    "reporting": N_("reporting"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ReportPeriod:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed(
                N_("the period ends (%(end)s) before it starts (%(start)s)"),
                end=str(self.end),
                start=str(self.start),
            )
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValidationFailed(N_("the period is longer than 20 years"))

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def months(self) -> list[str]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @classmethod
    def last_days(cls, days: int, *, today: date) -> ReportPeriod:
        """The `days` full days before `today` (today excluded)."""
        return cls(today - timedelta(days=days), today - timedelta(days=1))


@dataclass(frozen=True)
class ReportFilters:
    institution: str | None = None  # institution code
    rubric: str | None = None  # rubric id
    field: str | None = None  # ISCED-F code or its first digits (a broad or narrow field)
    eqf: int | None = None

    def describe(self) -> str:
        parts = [
            f"institution {self.institution}" if self.institution else "",
            f"rubric {self.rubric}" if self.rubric else "",
            f"ISCED-F {self.field}" if self.field else "",
            f"EQF {self.eqf}" if self.eqf is not None else "",
        ]
        return ", ".join(p for p in parts if p) or "all institutions, rubrics, fields and levels"


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class TimeUnit:
    """The unit a table or chart of durations reads in, and its length in days."""

    name: str  # "days", "hours", "minutes"
    days: float

    def of(self, days: float | None) -> float | None:
        """`days` in this unit."""
        return None if days is None else days / self.days


DAYS = TimeUnit("days", 1.0)
HOURS = TimeUnit("hours", 1 / 24)
MINUTES = TimeUnit("minutes", 1 / 1440)
TIME_UNITS = (DAYS, HOURS, MINUTES)


def time_unit(median_days: float | None) -> TimeUnit:
    """The unit a stage's times read in, from its median: days from a day on, hours from an hour
    on, minutes below (so that a stage of twenty minutes never reads "0.0 days")."""
    if median_days is None or median_days >= 1:
        return DAYS
    return HOURS if median_days >= 1 / 24 else MINUTES


@dataclass(frozen=True)
class StageTime:
    stage: str
    label: str
    intervals: int
    median_days: float | None
    p90_days: float | None
    mean_days: float | None

    @property
    def unit(self) -> TimeUnit:
        return time_unit(self.median_days)


@dataclass(frozen=True)
class OverdueReviewer:
    name: str
    institution: str | None
    overdue: int
    max_days_overdue: float


@dataclass(frozen=True)
class PipelineFigures:
    cases_by_state: list[Count]
    in_pipeline: int
    open_cases: int
    closed_per_month: list[Count]
    closed: int
    stage_times: list[StageTime]
    overdue_reviews: int
    reviews_submitted: int
    reviews_late: int
    overdue_by_reviewer: list[OverdueReviewer] | None  # None: not shown to this reader

    @property
    def late_share(self) -> float | None:
        return self.reviews_late / self.reviews_submitted if self.reviews_submitted else None


@dataclass(frozen=True)
class OutcomeRow:
    key: str  # institution code or month
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class OutcomeFigures:
    decisions: int
    totals: dict[str, int]
    by_institution: list[OutcomeRow]
    by_month: list[OutcomeRow]
    top_conditions: list[Count]

    def share(self, outcome: str) -> float | None:
        return self.totals.get(outcome, 0) / self.decisions if self.decisions else None


@dataclass(frozen=True)
class ReferenceRow:
    reference: str
    title: str
    by_institution: dict[str, float | None]  # mean consolidated score 0–1
    overall: float | None
    consolidations: int


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int
    share: float | None


@dataclass(frozen=True)
class StandardsFigures:
    institutions: list[str]
    heatmap: list[ReferenceRow]
    consolidations: int
    below_gate: list[Share]  # share of final consolidations
    returned_screenings: int
    missing_elements: list[Share]  # share of returned screenings


@dataclass(frozen=True)
class RubricCompetences:
    """How many competences of one framework (DigComp 2.2, GreenComp) a rubric in use reviews:
    competences its criteria name, and areas they name only as a whole (which count for no
    competence)."""

    rubric: str  # "4eu-mici 1.0.0"
    framework: str
    addressed: int
    total: int
    areas: int
    area_total: int


@dataclass(frozen=True)
class DigitalGreenFigures:
    approved: int
    digcomp: Share
    greencomp: Share
    esco: Share
    digcomp_areas: list[Share]
    digcomp_competences: list[Share]
    greencomp_areas: list[Share]
    greencomp_competences: list[Share]
    eqf: list[Count]
    ects: list[Count]
    # the rubrics of the period's cases: one row per rubric version and framework
    rubric_competences: list[RubricCompetences] = field(default_factory=list)

    @property
    def gaps(self) -> list[Share]:
        """Areas and competences that no approved credential of the period covers."""
        return [
            s
            for s in (
                *self.digcomp_areas,
                *self.digcomp_competences,
                *self.greencomp_areas,
                *self.greencomp_competences,
            )
            if s.count == 0
        ]


@dataclass(frozen=True)
class ReviewerLoad:
    label: str  # a name for officers, "Reviewer 01" … for everyone else
    institution: str | None
    capacity: int
    open: int
    completed: int


@dataclass(frozen=True)
class CriterionAgreement:
    criterion: str
    title: str
    units: int  # review rounds with at least two scores
    alpha: float | None  # ordinal, scale criteria only (yes/no criteria are left out)
    label: str = ""  # what alpha means (`consolidation.agreement_label`), or why there is none


@dataclass(frozen=True)
class CriterionGap:
    criterion: str
    title: str
    units: int
    self_mean: float | None
    peer_mean: float | None
    gap: float | None  # self-assessment minus mean peer score, averaged over review rounds


@dataclass(frozen=True)
class ReviewingFigures:
    reviewers: list[ReviewerLoad]
    named: bool
    agreement: list[CriterionAgreement]
    median_alpha: float | None  # the median of the criteria's alphas
    lowest_agreement: list[CriterionAgreement]
    gaps: list[CriterionGap]
    median_label: str = ""  # what the median alpha means, by the same thresholds


@dataclass(frozen=True)
class LeadershipFigures:
    report_id: str
    period: ReportPeriod
    filters: ReportFilters
    generated_at: datetime
    audience: str  # "leadership" or "officers"
    institutions: dict[str, str]  # code -> name, those in scope
    pipeline: PipelineFigures
    outcomes: OutcomeFigures
    standards: StandardsFigures
    digital_green: DigitalGreenFigures
    reviewing: ReviewingFigures
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return out
