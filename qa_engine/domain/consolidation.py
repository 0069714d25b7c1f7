"""Consolidation of the submitted reviews of one case round: per-criterion statistics, disagreement,
inter-rater agreement (Krippendorff's alpha, ordinal), gates and the recommended outcome."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import krippendorff
import numpy as np

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


def agreement_label(alpha: float | None) -> str:
    """Krippendorff's own reading: ≥ .800 reliable, ≥ .667 tentative, below that not reliable."""
    if alpha is None:
        return "not computable (too few ratings or no variation)"
    if alpha >= 0.8:
        return "good agreement"
    if alpha >= 0.667:
        return "tentative agreement"
    return "low agreement"


def ordinal_alpha(
    matrix: Sequence[Sequence[float | None]], value_domain: Sequence[float] | None = None
) -> float | None:
    """Krippendorff's alpha (ordinal) for a reviewers × units matrix; None where it is undefined."""
    data = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float
    )
    if data.shape[0] < 2 or data.shape[1] < 1:
        return None
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    values = data[~np.isnan(data)]
    if pairable < 1 or len(np.unique(values)) < 2:
        return None
    try:
        kwargs = {"value_domain": list(value_domain)} if value_domain is not None else {}
        alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal", **kwargs)
    except (ValueError, ZeroDivisionError):
        return None
    return None if np.isnan(alpha) else float(alpha)


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
    matrix_rows: list[list[float | None]] = [[] for _ in reviews]
    domain: set[float] = set()
    for rc in rubric.reviewer_criteria:
        if not rc.criterion.scored:
            continue
        values = []
        for i, r in enumerate(reviews):
            raw = r.get(rc.id)
            value = None if raw is None else float(raw)
            matrix_rows[i].append(value)
            if value is not None:
                values.append(value)
        if rc.criterion.kind == "scale":
            lo, hi = rubric.score_range(rc.criterion)
            domain.update(float(v) for v in range(lo, hi + 1))
        else:
            domain.update((0.0, 1.0))
        if not values:
            stats.append(CriterionStats(rc.id, 0, (), None, None, None, None, None, None, False))
            continue
        spread = max(values) - min(values)
        # yes/no criteria disagree when reviewers differ at all
        limit = threshold if rc.criterion.kind == "scale" else 0.5
        flag = len(values) > 1 and spread > limit + 1e-9
        if flag:
            disagreement.append(rc.id)
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
    alpha = ordinal_alpha(matrix_rows, sorted(domain) if domain else None)
    counts: dict[str, int] = {}
    for rec in recommendations:
        if rec:
            counts[rec] = counts.get(rec, 0) + 1
    return ConsolidationResult(
        reviewers=len(reviews),
        criteria=stats,
        agreement=alpha,
        agreement_label=agreement_label(alpha),
        disagreement=disagreement,
        breakdown=score(rubric, means),
        recommendations=counts,
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
