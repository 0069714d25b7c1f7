"""Consolidation of the submitted reviews of one case round: per-criterion statistics, disagreement,
how far the reviewers agree, gates and the recommended outcome.

How far the reviewers of one case agree is told by figures that fit the few criteria of one
credential: the share of scale criteria on which they are within one level, the largest gap and
its criterion, the criteria in disagreement, and how often they answer the yes/no criteria alike.
Krippendorff's alpha (ordinal, over the scale criteria only: a yes/no answer is no point on the
0–4 scale) is a secondary figure with its label; it is None, with the reason, where it cannot be
computed."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import krippendorff
import numpy as np

from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.scoring import ScoreBreakdown, score


@dataclass(frozen=True)
class CriterionStats:
    criterion_id: str
    n: int
    scores: tuple[float, ...]
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    spread: float | None
    stdev: float | None
    disagreement: bool


@dataclass(frozen=True)
class ConsolidationResult:
    reviewers: int
    criteria: list[CriterionStats]
    agreement: float | None
    agreement_label: str
    disagreement: list[str]
    breakdown: ScoreBreakdown
    recommendations: dict[str, int]
    # the per-case figures (scale criteria with at least two scores; yes/no criteria apart)
    compared: int = 0
    within_one: int = 0
    largest_gap: float | None = None
    largest_gap_criterion: str | None = None
    yes_no_compared: int = 0
    yes_no_alike: int = 0

    @property
    def agreement_summary(self) -> str:
        return agreement_summary(self)

    @property
    def yes_no_summary(self) -> str:
        return yes_no_summary(self.yes_no_alike, self.yes_no_compared)

    @property
    def overall(self) -> float | None:
        return self.breakdown.overall

    def to_json(self) -> dict[str, Any]:
        return {
            "reviewers": self.reviewers,
            "criteria": [asdict(c) for c in self.criteria],
            "agreement": self.agreement,
            "agreement_label": self.agreement_label,
            "disagreement": self.disagreement,
            "compared": self.compared,
            "within_one": self.within_one,
            "largest_gap": self.largest_gap,
            "largest_gap_criterion": self.largest_gap_criterion,
            "yes_no_compared": self.yes_no_compared,
            "yes_no_alike": self.yes_no_alike,
            "agreement_summary": self.agreement_summary,
            "yes_no_summary": self.yes_no_summary,
            "overall": self.breakdown.overall,
            "gates_failed": self.breakdown.gates_failed,
            "recommended_outcome": self.breakdown.recommended_outcome.value
            if self.breakdown.recommended_outcome
            else None,
            "threshold_outcome": self.breakdown.threshold_outcome.value
            if self.breakdown.threshold_outcome
            else None,
            "by_reference": {
                k: {"score": v.score, "criteria": list(v.criteria)}
                for k, v in self.breakdown.by_reference.items()
            },
            "explanation": self.breakdown.explanation,
            "recommendations": self.recommendations,
        }


RELIABLE = 0.800
TENTATIVE = 0.667
FEWER_THAN_TWO = N_("not computable: fewer than two reviewers")
NO_VARIATION = N_("not computable: no variation in the scores")
NOT_COMPUTABLE = N_("not computable")
NO_SCALE_PAIR = N_("not computable: no scale criterion scored by two reviewers")
ALPHA_NOTE = N_(
    "Krippendorff's alpha is 1 for perfect agreement, 0 for agreement no better than chance and "
    "negative for systematic disagreement (below chance). Thresholds after Krippendorff (2004), "
    "Content Analysis: An Introduction to Its Methodology, 2nd ed., p. 241: alpha of .800 or more "
    "reliable; from .667 to below .800 tentative conclusions only; below .667 low; below 0 "
    "systematic disagreement. Alpha over the few criteria of one credential is a weak statistic: "
    "the case's own figures (criteria within one level, the largest gap, the criteria in "
    "disagreement) come first. Alpha is ordinal over the scale criteria only; yes/no criteria "
    "are counted apart."
)


def agreement_label(alpha: float | None, reason: str | None = None) -> str:
    """What the number means, after Krippendorff (2004, p. 241): ≥ .800 reliable, ≥ .667
    tentative, below that low, below 0 systematic disagreement; `reason` where it is None."""
    if alpha is None:
        return reason or NOT_COMPUTABLE
    if alpha < 0:
        return N_("systematic disagreement (below chance)")
    if alpha >= RELIABLE:
        return N_("reliable")
    if alpha >= TENTATIVE:
        return N_("tentative")
    return N_("low")


def alpha_text(alpha: float | None, label: str) -> str:
    """The secondary figure as a report prints it: the value with its label, or why there is
    none (never 0.00)."""
    if alpha is None:
        return label or NOT_COMPUTABLE
    return f"Krippendorff's α (ordinal, scale criteria) = {alpha:.3f}: {label}"


def ordinal_alpha_with_reason(
    matrix: Sequence[Sequence[float | None]], value_domain: Sequence[float] | None = None
) -> tuple[float | None, str | None]:
    """Krippendorff's alpha (ordinal) for a reviewers × units matrix, or None and why not."""
    data = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float
    )
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 1:
        return None, FEWER_THAN_TWO
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    if pairable < 1:
        return None, FEWER_THAN_TWO
    values = data[~np.isnan(data)]
    if len(np.unique(values)) < 2:
        return None, NO_VARIATION
    try:
        kwargs = {"value_domain": list(value_domain)} if value_domain is not None else {}
        alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal", **kwargs)
    except (ValueError, ZeroDivisionError):
        return None, NOT_COMPUTABLE
    return (None, NO_VARIATION) if np.isnan(alpha) else (float(alpha), None)


def ordinal_alpha(
    matrix: Sequence[Sequence[float | None]], value_domain: Sequence[float] | None = None
) -> float | None:
    """Krippendorff's alpha (ordinal) for a reviewers × units matrix; None where it is undefined."""
    return ordinal_alpha_with_reason(matrix, value_domain)[0]


def yes_no_message(alike: int, compared: int) -> Message:
    """Percent agreement on the yes/no criteria, in words (translated where it is shown)."""
    if compared == 0:
        return Message(N_("no yes/no criterion answered by two reviewers"))
    if alike == compared:
        return Nn_(
            "answered alike on all %(num)s yes/no criteria",
            "answered alike on all %(num)s yes/no criteria",
            compared,
        )
    return Nn_(
        "answered alike on %(alike)s of %(num)s yes/no criteria",
        "answered alike on %(alike)s of %(num)s yes/no criteria",
        compared,
        alike=alike,
    )


def yes_no_summary(alike: int, compared: int) -> str:
    """Percent agreement on the yes/no criteria, in words (English)."""
    return yes_no_message(alike, compared).english()


def agreement_summary(result: ConsolidationResult) -> str:
    """The case's own agreement figures in words, in place of a verdict from alpha alone."""
    return "; ".join(m.english() for m in agreement_messages_of(result))


def agreement_messages_of(result: ConsolidationResult) -> list[Message]:
    """`agreement_summary` as messages, to be shown in the reader's language."""
    return agreement_messages(
        reviewers=result.reviewers,
        compared=result.compared,
        within_one=result.within_one,
        largest_gap=result.largest_gap,
        largest_gap_criterion=result.largest_gap_criterion,
        disagreement=result.disagreement,
    )


def agreement_words(
    *,
    reviewers: int,
    compared: int,
    within_one: int,
    largest_gap: float | None,
    largest_gap_criterion: str | None,
    disagreement: Sequence[str],
) -> str:
    """Criteria within one level (of the scale criteria scored by two reviewers or more), the
    largest gap and its criterion, the criteria in disagreement (the engine's own rule)."""
    return "; ".join(
        m.english()
        for m in agreement_messages(
            reviewers=reviewers,
            compared=compared,
            within_one=within_one,
            largest_gap=largest_gap,
            largest_gap_criterion=largest_gap_criterion,
            disagreement=disagreement,
        )
    )


def agreement_messages(
    *,
    reviewers: int,
    compared: int,
    within_one: int,
    largest_gap: float | None,
    largest_gap_criterion: str | None,
    disagreement: Sequence[str],
) -> list[Message]:
    """`agreement_words`, each part a message (joined with "; " where shown)."""
    if compared == 0:
        return [Message(FEWER_THAN_TWO if reviewers < 2 else NO_SCALE_PAIR)]
    if within_one == compared:
        parts = [
            Nn_(
                "all criteria within one level (%(num)s scale criteria)",
                "all criteria within one level (%(num)s scale criteria)",
                compared,
            )
        ]
    else:
        parts = [
            Nn_(
                "%(within)s of %(num)s criteria within one level",
                "%(within)s of %(num)s criteria within one level",
                compared,
                within=within_one,
            )
        ]
    if largest_gap:
        whole = float(largest_gap).is_integer()
        parts.append(
            Nn_(
                "largest gap %(gap)s level (on %(criterion)s)",
                "largest gap %(gap)s levels (on %(criterion)s)",
                int(largest_gap) if whole else 2,
                gap=f"{largest_gap:g}",
                criterion=largest_gap_criterion,
            )
        )
    else:
        parts.append(Message(N_("the same score on every criterion")))
    if disagreement:
        parts.append(
            Message(
                N_("in disagreement: %(criteria)s"), params={"criteria": ", ".join(disagreement)}
            )
        )
    else:
        parts.append(Message(N_("no criterion in disagreement")))
    return parts


def consolidate(
    rubric: Rubric,
    reviews: Sequence[Mapping[str, float | int | bool | None]],
    *,
    automated: Mapping[str, float] | None = None,
    threshold: float,
    recommendations: Sequence[str | None] = (),
) -> ConsolidationResult:
    """Aggregate the reviews (each a mapping criterion id → raw score) of one round.

    `automated` holds the scores the engine computed itself (elements checks); `threshold` is the
    spread, in scale points, beyond which reviewers are said to disagree on a criterion.
    """
    automated = dict(automated or {})
    stats: list[CriterionStats] = []
    means: dict[str, float] = dict(automated)
    disagreement: list[str] = []
    # alpha's matrix holds the scale criteria only: a yes/no answer is no point on the scale
    matrix_rows: list[list[float | None]] = [[] for _ in reviews]
    domain: set[float] = set()
    compared = within_one = yes_no_compared = yes_no_alike = 0
    largest_gap: float | None = None
    largest_gap_criterion: str | None = None
    for rc in rubric.reviewer_criteria:
        if not rc.criterion.scored:
            continue
        values = []
        scale = rc.criterion.kind == "scale"
        for i, r in enumerate(reviews):
            raw = r.get(rc.id)
            value = None if raw is None else float(raw)
            if scale:
                matrix_rows[i].append(value)
            if value is not None:
                values.append(value)
        if scale:
            lo, hi = rubric.score_range(rc.criterion)
            domain.update(float(v) for v in range(lo, hi + 1))
        if not values:
            stats.append(CriterionStats(rc.id, 0, (), None, None, None, None, None, None, False))
            continue
        spread = max(values) - min(values)
        # yes/no criteria disagree when reviewers differ at all
        limit = threshold if rc.criterion.kind == "scale" else 0.5
        flag = len(values) > 1 and spread > limit + 1e-9
        if flag:
            disagreement.append(rc.id)
        if len(values) > 1 and scale:
            compared += 1
            within_one += spread <= 1 + 1e-9
            if largest_gap is None or spread > largest_gap + 1e-9:
                largest_gap, largest_gap_criterion = spread, rc.id
        elif len(values) > 1:
            yes_no_compared += 1
            yes_no_alike += spread < 0.5
        mean = statistics.fmean(values)
        means[rc.id] = mean
        stats.append(
            CriterionStats(
                rc.id,
                len(values),
                tuple(values),
                mean,
                statistics.median(values),
                min(values),
                max(values),
                spread,
                statistics.stdev(values) if len(values) > 1 else 0.0,
                flag,
            )
        )
    alpha, why = ordinal_alpha_with_reason(matrix_rows, sorted(domain) if domain else None)
    counts: dict[str, int] = {}
    for rec in recommendations:
        if rec:
            counts[rec] = counts.get(rec, 0) + 1
    return ConsolidationResult(
        reviewers=len(reviews),
        criteria=stats,
        agreement=alpha,
        agreement_label=agreement_label(alpha, why),
        disagreement=disagreement,
        breakdown=score(rubric, means),
        recommendations=counts,
        compared=compared,
        within_one=within_one,
        largest_gap=largest_gap,
        largest_gap_criterion=largest_gap_criterion,
        yes_no_compared=yes_no_compared,
        yes_no_alike=yes_no_alike,
    )


@dataclass(frozen=True)
class Disagreement:
    """A criterion the reviewers disagree on, with their scores as they gave them."""

    criterion_id: str
    title: str
    scores: tuple[str, ...]  # "1", "4"; "yes", "no"

    def words(self) -> str:
        return f"{self.criterion_id} “{self.title}” ({', '.join(self.scores)})"

    def to_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion_id, "title": self.title, "scores": list(self.scores)}


def _said(value: float, kind: str) -> str:
    if kind == "yes_no":
        return "yes" if value >= 0.5 else "no"
    return f"{value:g}"


def disagreements(rubric: Rubric, result: ConsolidationResult) -> list[Disagreement]:
    """The criteria of `result.disagreement`, in rubric order, with titles and the scores given."""
    stats = {c.criterion_id: c for c in result.criteria}
    out = []
    for rc in rubric.reviewer_criteria:
        if rc.id in result.disagreement and rc.id in stats:
            kind = rc.criterion.kind
            out.append(
                Disagreement(
                    rc.id, rc.criterion.title, tuple(_said(v, kind) for v in stats[rc.id].scores)
                )
            )
    return out


def extra_reviewer_reason(items: Sequence[Disagreement]) -> str:
    """Why an extra reviewer is asked for: the criteria the reviewers disagree on, with scores."""
    if not items:
        return "An extra reviewer: the reviewers disagree."
    listed = [d.words() for d in items]
    joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    return f"An extra reviewer: the reviewers disagree on {joined}."
