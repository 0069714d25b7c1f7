"""Replay a rubric version over past decisions: what a new version would have recommended for every
decided review round, from the reviews stored for that round.

Each round is consolidated the engine's way (`consolidation.consolidate`: the mean of the
reviewers' scores per criterion, the elements checks counted from the credential version the round
reviewed) and scored under the version the case was scored against (*before*) and under the new
version (*after*). Criteria are matched by id. A criterion of the new version that no reviewer of a
round scored is left out of that round's score (the other weights rescaled, as `scoring.score`
does with any criterion not scored) and reported, never guessed.

Every round is scored through `CompiledRubric`, which applies the rules of `scoring.score` (the
same formulas, in the same order of operations) without building the breakdown; the rounds whose
recommended outcome changes are scored again through `scoring.score` itself, whose breakdown gives
the reason (which gate, which threshold). The tests check the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qa_engine.domain.outcomes import Outcome, worst
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.scoring import ScoreBreakdown, score

ScoreMap = Mapping[str, float | int | bool | None]

# the overall score's distribution is shown in bins of a tenth (the last one holds 1.0)
BINS = 10


@dataclass(frozen=True)
class DecidedRound:
    """One decided review round, frozen as the store holds it."""

    case_id: int
    round: int
    institution: str  # institution code
    field: str  # ISCED-F code of the credential ("" when it has none)
    eqf: int | None
    rubric_hash: str  # content hash of the rubric version the case was scored against
    decided: str  # the approver's outcome
    reviews: tuple[ScoreMap, ...]  # the submitted reviews' scores, criterion id → raw score
    elements: frozenset[str] = frozenset()  # the standard elements the credential version carries


def consolidated_means(reviews: Sequence[ScoreMap]) -> dict[str, float]:
    """The mean of the reviewers' scores of every criterion any of them scored (`consolidate`)."""
    values: dict[str, list[float]] = {}
    for r in reviews:
        for cid, raw in r.items():
            if raw is not None:
                values.setdefault(cid, []).append(float(raw))
    return {cid: math.fsum(v) / len(v) for cid, v in values.items()}


class CompiledRubric:
    """The scoring rules of `scoring.score` for one rubric, applied without the breakdown."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        # (id, is elements check, elements, lo, hi, effective weight, gate level, gate outcome)
        self.items: list[
            tuple[str, bool, tuple[str, ...], int, int, float, int | None, Outcome | None]
        ] = []
        for rc in rubric.criteria:
            c = rc.criterion
            if not c.scored:
                continue
            lo, hi = rubric.score_range(c)
            self.items.append(
                (
                    rc.id,
                    c.kind == "elements_check",
                    tuple(c.elements),
                    lo,
                    hi,
                    rc.effective_weight,
                    c.gate.min_level if c.gate else None,
                    c.gate.otherwise if c.gate else None,
                )
            )
        self.thresholds = [
            (t.min_score, t.outcome) for t in sorted(rubric.thresholds, key=lambda t: -t.min_score)
        ]
        self.reviewer_ids = frozenset(i[0] for i in self.items if not i[1])

    def inputs(self, means: Mapping[str, float], elements: frozenset[str]) -> dict[str, float]:
        """What `scoring.score` is given for a round: the means, and the elements checks counted."""
        out = {cid: means[cid] for cid in self.reviewer_ids if cid in means}
        for cid, auto, els, *_ in self.items:
            if auto:
                out[cid] = float(sum(1 for el in els if el in elements))
        return out

    def outcome(
        self, means: Mapping[str, float], elements: frozenset[str]
    ) -> tuple[float | None, Outcome | None, tuple[str, ...]]:
        """The overall score, the recommended outcome and the criteria not scored."""
        contributions = 0.0
        weight = 0.0
        gate_outcomes: list[Outcome] = []
        missing: list[str] = []
        for cid, auto, els, lo, hi, w, gate, otherwise in self.items:
            if auto:
                raw: float | None = float(sum(1 for el in els if el in elements))
            else:
                raw = means.get(cid)
            if raw is None:
                missing.append(cid)
                continue
            norm = 0.0 if hi == lo else (min(max(raw, lo), hi) - lo) / (hi - lo)
            contributions += norm * w
            weight += w
            if gate is not None and otherwise is not None and not raw + 1e-9 >= gate:
                gate_outcomes.append(otherwise)
        if weight <= 0:
            return None, None, tuple(missing)
        overall = contributions / weight
        threshold = next((o for m, o in self.thresholds if overall + 1e-12 >= m), Outcome.REJECTED)
        recommended = worst(threshold, *gate_outcomes) if gate_outcomes else threshold
        return overall, recommended, tuple(missing)


@dataclass(frozen=True)
class Change:
    """A decided round whose recommended outcome the new version changes, and why."""

    case_id: int
    round: int
    institution: str
    field: str
    eqf: int | None
    decided: str
    before: Outcome | None
    after: Outcome | None
    overall_before: float | None
    overall_after: float | None
    reasons: tuple[str, ...]

    @property
    def direction(self) -> str:
        """ "worse", "better" or "changed" (one side has no outcome)."""
        if self.before is None or self.after is None:
            return "changed"
        return "worse" if self.after.rank > self.before.rank else "better"


@dataclass
class GroupEffect:
    """The effect of the new version on the rounds of one institution, field or EQF level."""

    key: str
    rounds: int = 0
    changed: int = 0
    worse: int = 0
    better: int = 0
    sum_before: float = 0.0
    sum_after: float = 0.0
    scored_before: int = 0
    scored_after: int = 0

    @property
    def mean_before(self) -> float | None:
        return self.sum_before / self.scored_before if self.scored_before else None

    @property
    def mean_after(self) -> float | None:
        return self.sum_after / self.scored_after if self.scored_after else None


@dataclass(frozen=True)
class UnscoredCriterion:
    """A criterion of the new version that the stored reviews of some rounds do not score."""

    criterion_id: str
    title: str
    rounds: int  # rounds in which no reviewer scored it
    new: bool  # not in any version the replayed cases were scored against


@dataclass
class ReplayReport:
    rubric_id: str
    version: str
    content_hash: str
    rounds: int = 0
    changes: list[Change] = field(default_factory=list)
    outcomes_before: dict[str, int] = field(default_factory=dict)
    outcomes_after: dict[str, int] = field(default_factory=dict)
    bins_before: list[int] = field(default_factory=lambda: [0] * BINS)
    bins_after: list[int] = field(default_factory=lambda: [0] * BINS)
    by_institution: dict[str, GroupEffect] = field(default_factory=dict)
    by_field: dict[str, GroupEffect] = field(default_factory=dict)
    by_eqf: dict[str, GroupEffect] = field(default_factory=dict)
    unscored: list[UnscoredCriterion] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # criteria of old versions not in the new
    old_versions: dict[str, int] = field(default_factory=dict)  # "id version" -> rounds

    @property
    def changed(self) -> int:
        return len(self.changes)

    def summary(self) -> str:
        worse = sum(1 for c in self.changes if c.direction == "worse")
        better = sum(1 for c in self.changes if c.direction == "better")
        return (
            f"{self.rubric_id} {self.version} replayed over {self.rounds} decided round(s): "
            f"{self.changed} recommended outcome(s) would change ({worse} worse, {better} better)"
        )


def bin_of(overall: float) -> int:
    return min(int(overall * BINS + 1e-9), BINS - 1)


def bin_labels() -> list[str]:
    return [
        f"{i * 100 // BINS}–{(i + 1) * 100 // BINS} %" + ("" if i == BINS - 1 else " (excl.)")
        for i in range(BINS)
    ]


def broad_field(isced: str) -> str:
    """The ISCED-F broad field (two digits) of a detailed code; "none" when the credential names
    none."""
    return isced[:2] if isced else "none"


def _group(groups: dict[str, GroupEffect], key: str) -> GroupEffect:
    g = groups.get(key)
    if g is None:
        g = groups[key] = GroupEffect(key)
    return g


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def reasons(before: ScoreBreakdown, after: ScoreBreakdown, new: Rubric) -> tuple[str, ...]:
    """Why the recommended outcome changed: the gates that fail now or no longer, the thresholds
    the overall score crosses, the criteria the new version scores that no reviewer scored."""
    out: list[str] = []
    scores_after = {c.criterion_id: c for c in after.criteria}
    for cid in after.gates_failed:
        if cid not in before.gates_failed:
            c = scores_after[cid]
            rc = new.criterion(cid)
            otherwise = rc.criterion.gate.otherwise.value if rc and rc.criterion.gate else "-"
            out.append(
                f"gate {cid} ≥ {c.gate_min} now fails (consolidated score {c.raw:.2f})"
                f" → at best {otherwise}"
            )
    scores_before = {c.criterion_id: c for c in before.criteria}
    for cid in before.gates_failed:
        if cid not in after.gates_failed:
            now = scores_after.get(cid)
            old = scores_before[cid]
            if now is None:
                out.append(f"gate {cid} ≥ {old.gate_min}: the criterion is not in the new version")
            elif now.gate_min is None:
                out.append(f"gate {cid} ≥ {old.gate_min} is removed")
            elif now.raw is None:
                out.append(f"gate {cid} is not scored under the new version")
            else:
                out.append(
                    f"gate {cid} ≥ {now.gate_min} now passes (consolidated score {now.raw:.2f};"
                    f" the gate was ≥ {old.gate_min})"
                )
    if before.threshold_outcome != after.threshold_outcome:
        t_after = after.threshold_outcome.value if after.threshold_outcome else "-"
        t_before = before.threshold_outcome.value if before.threshold_outcome else "-"
        mins = {t.outcome: t.min_score for t in new.thresholds}
        at = mins.get(after.threshold_outcome) if after.threshold_outcome else None
        where = f" (threshold {at:g})" if at is not None else ""
        out.append(
            f"overall {_fmt(before.overall)} → {_fmt(after.overall)}: threshold outcome"
            f" {t_before} → {t_after}{where}"
        )
    if after.missing:
        out.append("not scored by any reviewer, left out: " + ", ".join(after.missing))
    if not out:
        out.append(
            f"overall {_fmt(before.overall)} → {_fmt(after.overall)}; gates failed"
            f" {', '.join(after.gates_failed) or 'none'}"
        )
    return tuple(out)


def replay(rounds: Iterable[DecidedRound], old: Mapping[str, Rubric], new: Rubric) -> ReplayReport:
    """Score every round under the version it was scored against (`old`, by content hash) and
    under `new`; report the changes, the distributions and the effect per group."""
    compiled_old = {h: CompiledRubric(r) for h, r in old.items()}
    compiled_new = CompiledRubric(new)
    report = ReplayReport(new.id, new.version, new.content_hash)
    missing_counts: dict[str, int] = {}
    for rnd in rounds:
        before_r = compiled_old.get(rnd.rubric_hash)
        if before_r is None:
            raise KeyError(f"case {rnd.case_id}: rubric version {rnd.rubric_hash[:12]}… not given")
        means = consolidated_means(rnd.reviews)
        overall_b, outcome_b, _ = before_r.outcome(means, rnd.elements)
        overall_a, outcome_a, missing = compiled_new.outcome(means, rnd.elements)
        report.rounds += 1
        label = f"{before_r.rubric.id} {before_r.rubric.version}"
        report.old_versions[label] = report.old_versions.get(label, 0) + 1
        for cid in missing:
            missing_counts[cid] = missing_counts.get(cid, 0) + 1
        ob = outcome_b.value if outcome_b else "none"
        oa = outcome_a.value if outcome_a else "none"
        report.outcomes_before[ob] = report.outcomes_before.get(ob, 0) + 1
        report.outcomes_after[oa] = report.outcomes_after.get(oa, 0) + 1
        if overall_b is not None:
            report.bins_before[bin_of(overall_b)] += 1
        if overall_a is not None:
            report.bins_after[bin_of(overall_a)] += 1
        change = None
        if outcome_b != outcome_a:
            full_b = score(before_r.rubric, before_r.inputs(means, rnd.elements))
            full_a = score(new, compiled_new.inputs(means, rnd.elements))
            change = Change(
                rnd.case_id,
                rnd.round,
                rnd.institution,
                rnd.field,
                rnd.eqf,
                rnd.decided,
                outcome_b,
                outcome_a,
                overall_b,
                overall_a,
                reasons(full_b, full_a, new),
            )
            report.changes.append(change)
        for groups, key in (
            (report.by_institution, rnd.institution),
            (report.by_field, broad_field(rnd.field)),
            (report.by_eqf, str(rnd.eqf) if rnd.eqf is not None else "none"),
        ):
            g = _group(groups, key)
            g.rounds += 1
            if overall_b is not None:
                g.sum_before += overall_b
                g.scored_before += 1
            if overall_a is not None:
                g.sum_after += overall_a
                g.scored_after += 1
            if change is not None:
                g.changed += 1
                g.worse += change.direction == "worse"
                g.better += change.direction == "better"
    old_ids = {rc.id for r in old.values() for rc in r.criteria}
    report.unscored = [
        UnscoredCriterion(cid, rc.criterion.title if rc else cid, n, cid not in old_ids)
        for cid, n in missing_counts.items()
        for rc in [new.criterion(cid)]
    ]
    new_ids = {rc.id for rc in new.criteria}
    report.removed = sorted(old_ids - new_ids)
    for groups in (report.by_institution, report.by_field, report.by_eqf):
        ordered = dict(sorted(groups.items()))
        groups.clear()
        groups.update(ordered)
    report.changes.sort(key=lambda c: (c.case_id, c.round))
    return report
