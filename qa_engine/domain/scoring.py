"""Scoring against a rubric: every total comes with the breakdown that produced it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from qa_engine.domain.i18n import N_
from qa_engine.domain.outcomes import Outcome, worst
from qa_engine.domain.rubric import ResolvedCriterion, Rubric


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: str
    title: str
    raw: float | None
    minimum: int
    maximum: int
    normalised: float | None
    effective_weight: float
    contribution: float
    gate_min: int | None
    gate_passed: bool | None
    maps_to: tuple[str, ...]

    def explain(self) -> str:
        if self.raw is None:
            return f"{self.criterion_id}: not scored"
        text = (
            f"{self.criterion_id}: {self.raw:g} on {self.minimum}–{self.maximum} → "
            f"{self.normalised:.3f} × weight {self.effective_weight:.4f} = {self.contribution:.4f}"
        )
        if self.gate_min is not None:
            text += f"; gate ≥ {self.gate_min}: {'passed' if self.gate_passed else 'FAILED'}"
        return text


@dataclass(frozen=True)
class GroupScore:
    reference: str
    score: float
    weight: float
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class ScoreBreakdown:
    rubric_id: str
    rubric_version: str
    criteria: list[CriterionScore]
    overall: float | None
    by_reference: dict[str, GroupScore]
    by_part: dict[str, GroupScore]
    missing: list[str]
    gates_failed: list[str]
    threshold_outcome: Outcome | None
    recommended_outcome: Outcome | None
    explanation: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


# The gate rule, said wherever a gate is shown (the case PDF, the case workbook, the decision page):
# `gate_met` below judges it, on the score that `score` is given, which for a consolidation is the
# mean of the reviewers' scores (`consolidation.consolidate`).
GATE_LEVEL_EXAMPLE = (2, (1, 3))  # a level-2 gate, and two reviewers' scores whose mean meets it
# the rule's msgid (a report in another language translates it) and its values
GATE_RULE_TEXT = N_(
    "A gate is met when the mean of the reviewers' scores reaches its level"
    " (a %(low)s and a %(high)s meet a level-%(level)s gate): a gate judges the mean, not each"
    " reviewer's score."
)
GATE_RULE_PARAMS = {
    "low": GATE_LEVEL_EXAMPLE[1][0],
    "high": GATE_LEVEL_EXAMPLE[1][1],
    "level": GATE_LEVEL_EXAMPLE[0],
}
GATE_RULE = GATE_RULE_TEXT % GATE_RULE_PARAMS


def gate_met(value: float, level: int) -> bool:
    """Whether a score (for a consolidation: the reviewers' mean) reaches a gate's level: see
    `GATE_RULE`."""
    return float(value) + 1e-9 >= level


def normalise(rubric: Rubric, rc: ResolvedCriterion, raw: float) -> float:
    lo, hi = rubric.score_range(rc.criterion)
    if hi == lo:
        return 0.0
    value = min(max(float(raw), lo), hi)
    return (value - lo) / (hi - lo)


def outcome_for(rubric: Rubric, overall: float) -> Outcome:
    """The outcome of the highest threshold the overall score reaches."""
    for threshold in sorted(rubric.thresholds, key=lambda t: -t.min_score):
        if overall + 1e-12 >= threshold.min_score:
            return threshold.outcome
    return Outcome.REJECTED


def score(rubric: Rubric, scores: Mapping[str, float | int | bool | None]) -> ScoreBreakdown:
    """Score one set of per-criterion raw scores (a review, a self-assessment, or consolidated
    means).

    Missing criteria are listed and left out of the total (the remaining weights are rescaled),
    so a partial score is visible as partial rather than silently counted as zero.
    """
    results: list[CriterionScore] = []
    missing: list[str] = []
    gates_failed: list[str] = []
    gate_outcomes: list[Outcome] = []
    for rc in rubric.criteria:
        c = rc.criterion
        if not c.scored:
            continue
        lo, hi = rubric.score_range(c)
        raw = scores.get(rc.id)
        if isinstance(raw, bool):
            raw = 1 if raw else 0
        if raw is None:
            missing.append(rc.id)
            results.append(
                CriterionScore(
                    rc.id,
                    c.title,
                    None,
                    lo,
                    hi,
                    None,
                    rc.effective_weight,
                    0.0,
                    c.gate.min_level if c.gate else None,
                    None,
                    tuple(c.maps_to),
                )
            )
            continue
        norm = normalise(rubric, rc, raw)
        passed = None
        if c.gate is not None:
            passed = gate_met(float(raw), c.gate.min_level)
            if not passed:
                gates_failed.append(rc.id)
                gate_outcomes.append(c.gate.otherwise)
        results.append(
            CriterionScore(
                rc.id,
                c.title,
                float(raw),
                lo,
                hi,
                norm,
                rc.effective_weight,
                norm * rc.effective_weight,
                c.gate.min_level if c.gate else None,
                passed,
                tuple(c.maps_to),
            )
        )

    scored = [r for r in results if r.raw is not None]
    weight = sum(r.effective_weight for r in scored)
    overall = (sum(r.contribution for r in scored) / weight) if weight > 0 else None

    by_reference = _group(scored, lambda r: list(r.maps_to) + _element_refs(rubric, r))
    parts = {rc.id: (rc.path[1] if len(rc.path) > 1 else rc.path[0]) for rc in rubric.criteria}
    by_part = _group(scored, lambda r: [parts[r.criterion_id]])

    threshold_outcome = outcome_for(rubric, overall) if overall is not None else None
    recommended = None
    if threshold_outcome is not None:
        recommended = (
            worst(threshold_outcome, *gate_outcomes) if gate_outcomes else threshold_outcome
        )

    explanation = [r.explain() for r in results]
    if overall is not None:
        explanation.append(
            "overall = Σ contributions / Σ weights scored = "
            f"{sum(r.contribution for r in scored):.4f} / "
            f"{weight:.4f} = {overall:.4f}"
        )
        explanation.append(f"thresholds → {threshold_outcome.value if threshold_outcome else '-'}")
    for cid, otherwise in zip(gates_failed, gate_outcomes, strict=True):
        explanation.append(f"gate failed on {cid} → at best {otherwise.value}")
    if missing:
        explanation.append(f"not scored: {', '.join(missing)}")
    return ScoreBreakdown(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        criteria=results,
        overall=overall,
        by_reference=by_reference,
        by_part=by_part,
        missing=missing,
        gates_failed=gates_failed,
        threshold_outcome=threshold_outcome,
        recommended_outcome=recommended,
        explanation=explanation,
    )


def _element_refs(rubric: Rubric, r: CriterionScore) -> list[str]:
    rc = rubric.criterion(r.criterion_id)
    return list(rc.criterion.elements) if rc else []


GROUP_SCORE_METHOD = N_(
    "Each standard's score is the weighted mean of the normalised scores of the criteria that map"
    " to it, each criterion weighted by its effective weight in the rubric (equal weights when the"
    " mapped criteria carry none); 0 % = lowest level of every scale, 100 % = highest."
)


def _group(
    scored: list[CriterionScore], keys: Callable[[CriterionScore], Iterable[str]]
) -> dict[str, GroupScore]:
    """The score of each standard, principle or element: see `GROUP_SCORE_METHOD`."""
    acc: dict[str, list[CriterionScore]] = {}
    for r in scored:
        for key in dict.fromkeys(keys(r)):
            acc.setdefault(key, []).append(r)
    out: dict[str, GroupScore] = {}
    for key, items in sorted(acc.items()):
        w = sum(i.effective_weight for i in items)
        if w > 0:
            value = sum((i.normalised or 0.0) * i.effective_weight for i in items) / w
        else:
            value = sum(i.normalised or 0.0 for i in items) / len(items)
        out[key] = GroupScore(key, value, w, tuple(i.criterion_id for i in items))
    return out


def element_scores(rubric: Rubric, present: Mapping[str, bool]) -> dict[str, int]:
    """Scores of the automated elements-check criteria, from which elements are present."""
    out = {}
    for rc in rubric.criteria:
        if rc.criterion.kind == "elements_check":
            out[rc.id] = sum(1 for el in rc.criterion.elements if present.get(el))
    return out


@dataclass(frozen=True)
class CompetenceCoverage:
    """Which competences of one framework (DigComp 2.2, GreenComp) a rubric's criteria name.

    A competence counts only when a criterion names it (``DigComp-4.4``); a criterion that names
    an area as a whole (``DigComp-4``) is listed under `areas` and counts for none of its
    competences."""

    framework: str
    competences: dict[str, str]  # every competence of the framework: id -> title
    area_titles: dict[str, str]  # every area: id -> title
    addressed: dict[str, list[str]]  # competence -> criterion ids, in the framework's order
    areas: dict[str, list[str]]  # area named as a whole -> criterion ids

    @property
    def total(self) -> int:
        return len(self.competences)

    @property
    def missed(self) -> list[str]:
        return [c for c in self.competences if c not in self.addressed]

    def summary(self) -> str:
        """``DigComp 2.2: 1 of 21 competences addressed; missed: DigComp-1.1 …, …``"""
        return self.summary_in(str, _english_ngettext)

    def summary_in(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> str:
        """The summary in the language of `gettext` (the competences' titles as the framework
        gives them)."""
        text = ngettext(
            "%(framework)s: %(num)s of %(total)s competence addressed",
            "%(framework)s: %(num)s of %(total)s competences addressed",
            self.total,
        ) % {"framework": self.framework, "num": len(self.addressed), "total": self.total}
        if self.missed:
            text += "; " + gettext(N_("missed: %(competences)s")) % {
                "competences": ", ".join(f"{c} {self.competences[c]}" for c in self.missed)
            }
        return text

    def area_summary(self) -> str:
        """``DigComp 2.2 areas addressed only as a whole: 5 of 5 (DigComp-1 …, …)``"""
        return self.area_summary_in(str)

    def area_summary_in(self, gettext: Callable[[str], str]) -> str:
        """The areas named as a whole, in the language of `gettext`."""
        if not self.areas:
            return gettext(N_("%(framework)s areas addressed as a whole: none")) % {
                "framework": self.framework
            }
        return gettext(
            N_(
                "%(framework)s areas addressed as a whole, counting for no competence:"
                " %(num)s of %(total)s (%(areas)s)"
            )
        ) % {
            "framework": self.framework,
            "num": len(self.areas),
            "total": len(self.area_titles),
            "areas": ", ".join(f"{a} {self.area_titles[a]}" for a in self.areas),
        }


def _english_ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Coverage:
    covered: dict[str, list[str]]  # reference -> criterion ids
    missing: dict[str, list[str]]  # framework -> references not covered (ESG and EU)
    competences: tuple[CompetenceCoverage, ...] = ()  # DigComp 2.2, GreenComp


def coverage(rubric: Rubric) -> Coverage:
    from qa_engine.domain.standards import (
        COMPETENCE_FRAMEWORKS,
        ESG,
        EU_ELEMENTS,
        EU_OPTIONAL_ELEMENTS,
        EU_PRINCIPLES,
    )

    covered: dict[str, list[str]] = {}
    for rc in rubric.criteria:
        for ref in dict.fromkeys(list(rc.criterion.maps_to) + list(rc.criterion.elements)):
            covered.setdefault(ref, []).append(rc.id)
    missing = {
        "ESG 2015 Part 1": [r for r in ESG if r not in covered],
        "EU principles": [r for r in EU_PRINCIPLES if r not in covered],
        "EU standard elements": [r for r in EU_ELEMENTS if r not in covered],
        "EU optional elements": [r for r in EU_OPTIONAL_ELEMENTS if r not in covered],
    }
    competences = tuple(
        CompetenceCoverage(
            framework=fw.name,
            competences=fw.competences,
            area_titles=fw.areas,
            addressed={c: covered[c] for c in fw.competences if c in covered},
            areas={a: covered[a] for a in fw.areas if a in covered},
        )
        for fw in COMPETENCE_FRAMEWORKS
    )
    return Coverage(covered=covered, missing=missing, competences=competences)
