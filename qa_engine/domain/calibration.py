"""Calibrate a rubric from the evidence: per criterion, how the stored reviews of the decided rounds
used it, and which criteria are most worth rewording.

Per criterion (scale and yes/no criteria apart, as the engine's agreement figures treat them):

- **agreement across cases**: for a scale criterion, Krippendorff's alpha (ordinal) over the
  decided rounds (units) and their reviewers, and the share of rounds whose reviewers are within one
  level; for a yes/no criterion, the share of rounds whose reviewers all answered alike (percent
  agreement: a yes/no answer is no point on the 0–4 scale);
- **disagreement**: the rounds whose reviewers' spread exceeds the consolidation threshold (scale)
  or who answered differently (yes/no), the engine's own rule (`consolidation.consolidate`);
- **self-assessment vs peers**: the mean of (self-assessment score − mean peer score) over the
  rounds with both;
- **gate failures**: the rounds whose consolidated score fails the criterion's gate in the version
  the case was scored against, and of those the rounds where the gate *decides* the recommended
  outcome (without that gate it would have been better);
- **contradicted descriptors**: a review that gives the top level (or "yes") with a comment
  saying the evidence is missing, or one of the two lowest levels (or "no") with a comment saying
  it is excellent, found with the small word lists `NEGATIVE` and `POSITIVE` (English, French,
  German, Czech, Polish, Italian, Danish); a word right after a negation ("not fully", "nothing
  missing") is not counted. The words are a hint for a reader, not a verdict: the examples are
  listed with their comments.

A criterion is *flagged* for each of: alpha below .667 (Krippendorff's "low"; for yes/no, fewer
than 80 % of the rounds alike), disagreement beyond the threshold in 10 % of the compared rounds
or more, a self-assessment gap of a whole level or more, a contradicted descriptor. Criteria are
ranked by the number of flags, then by how often they decide an outcome, then by their
disagreement rate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qa_engine.domain.consolidation import TENTATIVE, agreement_label, ordinal_alpha_with_reason
from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase
from qa_engine.domain.numbers import percent
from qa_engine.domain.outcomes import Outcome, worst
from qa_engine.domain.replay import CompiledRubric, ScoreMap, consolidated_means
from qa_engine.domain.rubric import Rubric

# comments that contradict a high score (the evidence is said to be missing)
NEGATIVE = (
    "missing",
    "absent",
    "not provided",
    "no evidence",
    "lacking",
    "lacks",
    "not addressed",
    "not described",
    "insufficient",
    "manquant",
    "manque",
    "aucune preuve",
    "non fourni",
    "fehlt",
    "fehlend",
    "nicht vorhanden",
    "kein nachweis",
    "chybí",
    "chybějící",
    "brak",
    "mancante",
    "assente",
    "mangler",
)
# comments that contradict a low score (the evidence is said to be excellent)
POSITIVE = (
    "excellent",
    "fully",
    "outstanding",
    "exemplary",
    "comprehensive",
    "pleinement",
    "hervorragend",
    "vollständig",
    "výborný",
    "výborně",
    "plně",
    "doskonały",
    "doskonale",
    "w pełni",
    "eccellente",
    "pienamente",
    "fremragende",
    "fuldt ud",
)
NEGATIONS = frozenset(
    ("not", "no", "nothing", "never", "without", "pas", "rien", "nicht", "nichts", "kein",
     "ne", "nie", "non", "ikke")
)  # fmt: skip

LOW_AGREEMENT = TENTATIVE  # alpha below this is Krippendorff's "low"
YES_NO_ALIKE = 0.8
DISAGREEMENT_RATE = 0.10
SELF_GAP = 1.0
EXAMPLES = 5


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


_NEGATIVE = _pattern(NEGATIVE)
_POSITIVE = _pattern(POSITIVE)
_WORD = re.compile(r"\w+")


def contradiction_word(comment: str, *, high: bool) -> str | None:
    """The word of `NEGATIVE` (for a high score) or `POSITIVE` (for a low one) the comment uses,
    not right after a negation; None when there is none."""
    pattern = _NEGATIVE if high else _POSITIVE
    for m in pattern.finditer(comment):
        before = _WORD.findall(comment[: m.start()])
        if before and before[-1].lower() in NEGATIONS:
            continue
        return m.group(1)
    return None


@dataclass(frozen=True)
class ReviewedRound:
    """One decided review round with what calibration reads from it."""

    case_id: int
    round: int
    rubric_hash: str
    reviews: tuple[ScoreMap, ...]
    comments: tuple[Mapping[str, str], ...]  # per review: criterion id → comment
    self_scores: ScoreMap
    elements: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Example:
    case_id: int
    round: int
    score: float
    word: str
    comment: str


@dataclass
class CriterionCalibration:
    criterion_id: str
    title: str
    kind: str
    gate: int | None
    rounds: int = 0  # rounds in which a reviewer scored it
    scores: int = 0  # reviewers' scores
    compared: int = 0  # rounds with two scores or more
    within_one: int = 0  # scale: rounds whose reviewers are within one level
    alike: int = 0  # yes/no: rounds whose reviewers answered alike
    disagreements: int = 0
    alpha: float | None = None
    alpha_label: str = ""
    self_rounds: int = 0
    self_gap_sum: float = 0.0
    gate_failures: int = 0
    decisive: int = 0
    contradictions: int = 0
    examples: list[Example] = field(default_factory=list)
    disagreement_examples: list[int] = field(default_factory=list)  # case ids
    flags: list[str] = field(default_factory=list)

    @property
    def disagreement_rate(self) -> float | None:
        return self.disagreements / self.compared if self.compared else None

    @property
    def within_one_rate(self) -> float | None:
        return self.within_one / self.compared if self.compared and self.kind == "scale" else None

    @property
    def alike_rate(self) -> float | None:
        return self.alike / self.compared if self.compared and self.kind != "scale" else None

    @property
    def self_gap(self) -> float | None:
        return self.self_gap_sum / self.self_rounds if self.self_rounds else None

    @property
    def agreement(self) -> str:
        """The agreement statistic of this kind of criterion, in words."""
        if self.kind == "scale":
            if self.alpha is None:
                return f"Krippendorff's α (ordinal): {self.alpha_label or 'not computable'}"
            return f"Krippendorff's α (ordinal) = {self.alpha:.3f}: {self.alpha_label}"
        if not self.compared:
            return "percent agreement: no round with two answers"
        return f"percent agreement (yes/no) = {percent(self.alike / self.compared, 0)}"


@dataclass
class CalibrationReport:
    rubric_id: str
    version: str
    threshold: float
    rounds: int = 0
    criteria: list[CriterionCalibration] = field(default_factory=list)  # ranked

    @property
    def flagged(self) -> list[CriterionCalibration]:
        return [c for c in self.criteria if c.flags]


def _gates(
    compiled: CompiledRubric, means: Mapping[str, float], elements: frozenset[str]
) -> tuple[list[tuple[str, Outcome]], Outcome | None]:
    """The failed gates (criterion, outcome at best) of a round and its threshold outcome."""
    failed: list[tuple[str, Outcome]] = []
    contributions = weight = 0.0
    for cid, auto, els, lo, hi, w, gate, otherwise in compiled.items:
        raw = float(sum(1 for el in els if el in elements)) if auto else means.get(cid)
        if raw is None:
            continue
        contributions += (0.0 if hi == lo else (min(max(raw, lo), hi) - lo) / (hi - lo)) * w
        weight += w
        if gate is not None and otherwise is not None and not raw + 1e-9 >= gate:
            failed.append((cid, otherwise))
    if weight <= 0:
        return failed, None
    overall = contributions / weight
    threshold = next((o for m, o in compiled.thresholds if overall + 1e-12 >= m), Outcome.REJECTED)
    return failed, threshold


def calibrate(
    rounds: Iterable[ReviewedRound],
    old: Mapping[str, Rubric],
    rubric: Rubric,
    *,
    threshold: float,
) -> CalibrationReport:
    """The calibration figures of `rubric`'s reviewer criteria over the rounds, ranked."""
    compiled = {h: CompiledRubric(r) for h, r in old.items()}
    report = CalibrationReport(rubric.id, rubric.version, threshold)
    crits: dict[str, CriterionCalibration] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for rc in rubric.reviewer_criteria:
        c = rc.criterion
        if not c.scored:
            continue
        crits[rc.id] = CriterionCalibration(
            rc.id, c.title, c.kind, c.gate.min_level if c.gate else None
        )
        ranges[rc.id] = rubric.score_range(c)
    matrices: dict[str, list[list[float | None]]] = {
        cid: [] for cid, c in crits.items() if c.kind == "scale"
    }
    for rnd in rounds:
        report.rounds += 1
        for cid, cal in crits.items():
            values: list[float] = []
            for i, r in enumerate(rnd.reviews):
                raw = r.get(cid)
                if raw is None:
                    continue
                v = float(raw)
                values.append(v)
                comment = rnd.comments[i].get(cid, "") if i < len(rnd.comments) else ""
                lo, hi = ranges[cid]
                high = v >= hi - 1e-9
                low = v <= (lo if cal.kind != "scale" else lo + 1) + 1e-9
                if comment and (high or low):
                    word = contradiction_word(comment, high=high)
                    if word is not None:
                        cal.contradictions += 1
                        if len(cal.examples) < EXAMPLES:
                            cal.examples.append(
                                Example(rnd.case_id, rnd.round, v, word, comment[:300])
                            )
            if not values:
                continue
            cal.rounds += 1
            cal.scores += len(values)
            if cal.kind == "scale":
                matrices[cid].append([v for v in values])
            if len(values) > 1:
                cal.compared += 1
                spread = max(values) - min(values)
                limit = threshold if cal.kind == "scale" else 0.5
                if spread > limit + 1e-9:
                    cal.disagreements += 1
                    if len(cal.disagreement_examples) < EXAMPLES:
                        cal.disagreement_examples.append(rnd.case_id)
                if cal.kind == "scale":
                    cal.within_one += spread <= 1 + 1e-9
                else:
                    cal.alike += spread < 0.5
            own = rnd.self_scores.get(cid)
            if own is not None:
                cal.self_rounds += 1
                cal.self_gap_sum += float(own) - math.fsum(values) / len(values)
        compiled_r = compiled.get(rnd.rubric_hash)
        if compiled_r is None:
            continue
        failed, threshold_outcome = _gates(
            compiled_r, consolidated_means(rnd.reviews), rnd.elements
        )
        if threshold_outcome is None:
            continue
        with_all = worst(threshold_outcome, *(o for _, o in failed))
        for k, (cid, _) in enumerate(failed):
            gated = crits.get(cid)
            if gated is None:
                continue
            gated.gate_failures += 1
            others = [o for j, (_, o) in enumerate(failed) if j != k]
            if worst(threshold_outcome, *others).rank < with_all.rank:
                gated.decisive += 1
    for cid, matrix in matrices.items():
        cal = crits[cid]
        width = max((len(r) for r in matrix), default=0)
        # reviewers × rounds; which reviewer sits in which row does not change alpha
        rows = [[r[i] if i < len(r) else None for r in matrix] for i in range(width)]
        lo, hi = ranges[cid]
        alpha, why = ordinal_alpha_with_reason(rows, [float(v) for v in range(lo, hi + 1)])
        cal.alpha, cal.alpha_label = alpha, agreement_label(alpha, why)
    for cal in crits.values():
        cal.flags = _flags(cal, threshold)
    report.criteria = sorted(
        crits.values(),
        key=lambda c: (-len(c.flags), -c.decisive, -(c.disagreement_rate or 0.0), c.criterion_id),
    )
    return report


def _flags(cal: CriterionCalibration, threshold: float) -> list[str]:
    """Why a criterion is worth rewording; each flag reads as English and keeps its message (a
    `Phrase`), so that the tables show it in their reader's language."""
    out: list[str] = []
    if cal.kind == "scale" and cal.alpha is not None and cal.alpha < LOW_AGREEMENT:
        out.append(
            Phrase(
                Np_(
                    N_("low agreement across cases (α = %(alpha)s, below %(limit)s)"),
                    alpha=f"{cal.alpha:.3f}",
                    limit=str(LOW_AGREEMENT),
                )
            )
        )
    if cal.kind != "scale" and cal.compared and cal.alike / cal.compared < YES_NO_ALIKE:
        out.append(
            Phrase(
                Np_(
                    N_("reviewers answer alike in only %(share)s of the rounds (below %(limit)s)"),
                    share=percent(cal.alike / cal.compared, 0),
                    limit=percent(YES_NO_ALIKE, 0),
                )
            )
        )
    rate = cal.disagreement_rate
    if rate is not None and rate >= DISAGREEMENT_RATE:
        values = {"num": cal.disagreements, "total": cal.compared, "share": percent(rate, 0)}
        if cal.kind == "scale":
            out.append(
                Phrase(
                    Np_(
                        N_(
                            "reviewers more than %(levels)s levels apart in %(num)s of %(total)s"
                            " rounds (%(share)s)"
                        ),
                        levels=f"{threshold:g}",
                        **values,
                    )
                )
            )
        else:
            out.append(
                Phrase(
                    Np_(
                        N_("reviewers different in %(num)s of %(total)s rounds (%(share)s)"),
                        **values,
                    )
                )
            )
    gap = cal.self_gap
    if gap is not None and abs(gap) >= SELF_GAP:
        out.append(
            Phrase(
                Np_(
                    N_("self-assessments %(gap)s from the peers' mean on average"),
                    gap=f"{gap:+.2f}",
                )
            )
        )
    if cal.contradictions:
        first = cal.examples[0]
        out.append(
            Phrase(
                Nn_(
                    "%(num)s review whose comment contradicts the score (e.g. case %(case)s:"
                    " %(score)s with “%(word)s”)",
                    "%(num)s reviews whose comment contradicts the score (e.g. case %(case)s:"
                    " %(score)s with “%(word)s”)",
                    cal.contradictions,
                    case=first.case_id,
                    score=f"{first.score:g}",
                    word=first.word,
                )
            )
        )
    return out
