"""Replay a rubric version over past decisions: what a new version would have recommended for every
decided review round, from the reviews stored for that round.

Each round is consolidated the engine's way (`consolidation.consolidate`: the mean of the
reviewers' scores per criterion, the elements checks counted from the credential version the round
reviewed) and scored under the version the case was scored against (*before*) and under the new
version (*after*). Criteria are matched by id. A criterion of the new version that no reviewer of a
round scored is left out of that round's score (the other weights rescaled, as `scoring.score`
does with any criterion not scored) and reported, never guessed.

The rounds are scored all at once, as matrices (`_Evidence.score`: the rules of `scoring.score`,
the same formulas and tolerances, without building each breakdown); the same matrices say why an
outcome changed (which gate, which threshold). `CompiledRubric` applies the same rules to one
round at a time (for the calibration). The tests check both against `scoring.score`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qa_engine.domain.i18n import N_, Np_, Phrase
from qa_engine.domain.outcomes import Outcome, worst
from qa_engine.domain.rubric import Rubric

ScoreMap = Mapping[str, float | int | bool | None]

# the overall score's distribution is shown in bins of a tenth (the last one holds 1.0)
BINS = 10
# the width of one band of overall scores, in percentage points
BAND_POINTS = 100 // BINS


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
        if not self.rounds:
            return (
                f"{self.rubric_id} {self.version}: no decided round of the period was scored"
                f" against a version of '{self.rubric_id}' (a rubric that others include is"
                " replayed through a draft of the rubric that includes it)"
            )
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
        f"{i * BAND_POINTS}–{(i + 1) * BAND_POINTS} %" + ("" if i == BINS - 1 else " (excl.)")
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


def reasons(before: _Scored, b: int, after: _Scored, a: int) -> tuple[str, ...]:
    """Why the recommended outcome of a round (row `b` of `before`, row `a` of `after`) changed:
    the gates that fail now or no longer, the thresholds the overall score crosses, the criteria
    the new version scores that no reviewer scored. Each reason reads as English and keeps its
    message (a `Phrase`), so that the tables show it in their reader's language."""
    out: list[str] = []
    new = after.rubric
    gates_b, failed_b = before.gate_view(b)
    gates_a, failed_a = after.gate_view(a)
    otherwise = {name: o for name, _, o, _ in after.gates}
    for cid in failed_a:
        if cid not in failed_b:
            level, raw = gates_a[cid]
            out.append(
                _reason(
                    N_(
                        "gate %(criterion)s ≥ %(level)s now fails (consolidated score %(score)s)"
                        " → at best %(outcome)s"
                    ),
                    criterion=cid,
                    level=level,
                    score=_fmt2(raw),
                    outcome=otherwise[cid].value,
                )
            )
    for cid in failed_b:
        if cid in failed_a:
            continue
        old_level = gates_b[cid][0]
        if new.criterion(cid) is None:
            out.append(
                _reason(
                    N_("gate %(criterion)s ≥ %(level)s: the criterion is not in the new version"),
                    criterion=cid,
                    level=old_level,
                )
            )
        elif cid not in gates_a:
            out.append(
                _reason(
                    N_("gate %(criterion)s ≥ %(level)s is removed"), criterion=cid, level=old_level
                )
            )
        elif gates_a[cid][1] is None:
            out.append(
                _reason(N_("gate %(criterion)s is not scored under the new version"), criterion=cid)
            )
        else:
            level, raw = gates_a[cid]
            out.append(
                _reason(
                    N_(
                        "gate %(criterion)s ≥ %(level)s now passes (consolidated score %(score)s;"
                        " the gate was ≥ %(old)s)"
                    ),
                    criterion=cid,
                    level=level,
                    score=_fmt2(raw),
                    old=old_level,
                )
            )
    t_b, t_a = _outcome(int(before.threshold[b])), _outcome(int(after.threshold[a]))
    overall_b = _value(float(before.overall[b]))
    overall_a = _value(float(after.overall[a]))
    if t_b != t_a:
        mins = {t.outcome: t.min_score for t in new.thresholds}
        at = mins.get(t_a) if t_a else None
        values = {
            "before": _fmt(overall_b),
            "after": _fmt(overall_a),
            "old": t_b.value if t_b else "-",
            "new": t_a.value if t_a else "-",
        }
        if at is not None:
            out.append(
                _reason(
                    N_(
                        "overall %(before)s → %(after)s: threshold outcome %(old)s → %(new)s"
                        " (threshold %(threshold)s)"
                    ),
                    threshold=f"{at:g}",
                    **values,
                )
            )
        else:
            out.append(
                _reason(
                    N_("overall %(before)s → %(after)s: threshold outcome %(old)s → %(new)s"),
                    **values,
                )
            )
    missing = after.not_scored(a)
    if missing:
        out.append(
            _reason(
                N_("not scored by any reviewer, left out: %(criteria)s"),
                criteria=", ".join(missing),
            )
        )
    if not out:
        if failed_a:
            out.append(
                _reason(
                    N_("overall %(before)s → %(after)s; gates failed %(gates)s"),
                    before=_fmt(overall_b),
                    after=_fmt(overall_a),
                    gates=", ".join(failed_a),
                )
            )
        else:
            out.append(
                _reason(
                    N_("overall %(before)s → %(after)s; no gate failed"),
                    before=_fmt(overall_b),
                    after=_fmt(overall_a),
                )
            )
    return tuple(out)


def _reason(msgid: str, **values: object) -> str:
    return Phrase(Np_(msgid, **values))


def _fmt2(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


class _Evidence:
    """The consolidated means of many rounds as one rounds × criteria matrix (NaN: no reviewer
    scored it) and the standard elements of their credentials as a rounds × elements matrix."""

    def __init__(self, rounds: Sequence[DecidedRound]) -> None:
        self.ids: dict[str, int] = {}
        self.elements: dict[str, int] = {}
        at: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        el_at: list[int] = []
        el_cols: list[int] = []
        ids, els = self.ids, self.elements
        for i, rnd in enumerate(rounds):
            for review in rnd.reviews:
                for cid, raw in review.items():
                    if raw is None:
                        continue
                    j = ids.get(cid)
                    if j is None:
                        j = ids[cid] = len(ids)
                    at.append(i)
                    cols.append(j)
                    vals.append(float(raw))
            for el in rnd.elements:
                k = els.get(el)
                if k is None:
                    k = els[el] = len(els)
                el_at.append(i)
                el_cols.append(k)
        n, width = len(rounds), max(len(ids), 1)
        flat = np.asarray(at, dtype=np.int64) * width + np.asarray(cols, dtype=np.int64)
        sums = np.bincount(flat, weights=np.asarray(vals, dtype=float), minlength=n * width)
        counts = np.bincount(flat, minlength=n * width)
        with np.errstate(invalid="ignore", divide="ignore"):
            # reviewers' scores are whole numbers: their sum is exact, as `math.fsum` is
            self.means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).reshape(
                n, width
            )
        present = np.zeros((n, max(len(els), 1)), dtype=bool)
        present[np.asarray(el_at, dtype=np.int64), np.asarray(el_cols, dtype=np.int64)] = True
        self.present = present

    def score(self, rubric: Rubric, rows: NDArray[np.int64]) -> _Scored:
        """The given rounds scored under `rubric`: the rules of `scoring.score`."""
        n = len(rows)
        columns: list[NDArray[np.float64]] = []
        lo_l: list[float] = []
        hi_l: list[float] = []
        w_l: list[float] = []
        gates: list[tuple[int, str, int, Outcome]] = []
        names: list[str] = []
        for rc in rubric.criteria:
            c = rc.criterion
            if not c.scored:
                continue
            lo, hi = rubric.score_range(c)
            if c.kind == "elements_check":
                idx = [self.elements[e] for e in c.elements if e in self.elements]
                col = self.present[rows][:, idx].sum(axis=1).astype(float)
            elif rc.id in self.ids:
                col = self.means[rows, self.ids[rc.id]]
            else:
                col = np.full(n, np.nan)
            if c.gate is not None:
                gates.append((len(columns), rc.id, c.gate.min_level, c.gate.otherwise))
            columns.append(col)
            lo_l.append(lo)
            hi_l.append(hi)
            w_l.append(rc.effective_weight)
            names.append(rc.id)
        raw = np.column_stack(columns) if columns else np.zeros((n, 0))
        lo_a, hi_a, w = np.array(lo_l), np.array(hi_l), np.array(w_l)
        valid = ~np.isnan(raw)
        span = np.where(hi_a > lo_a, hi_a - lo_a, 1.0)
        norm = np.where(hi_a > lo_a, (np.clip(raw, lo_a, hi_a) - lo_a) / span, 0.0)
        contributions = np.where(valid, norm * w, 0.0).sum(axis=1)
        weight = (valid * w).sum(axis=1)
        scored = weight > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            overall = np.where(scored, contributions / np.where(scored, weight, 1.0), np.nan)
        threshold = np.full(n, Outcome.REJECTED.rank, dtype=np.int64)
        done = np.zeros(n, dtype=bool)
        for t in sorted(rubric.thresholds, key=lambda t: -t.min_score):
            hit = ~done & (overall + 1e-12 >= t.min_score)
            threshold[hit] = t.outcome.rank
            done |= hit
        rank = threshold.copy()
        failed = np.zeros((n, len(gates)), dtype=bool)
        for g, (j, _, level, otherwise) in enumerate(gates):
            failed[:, g] = valid[:, j] & ~(raw[:, j] + 1e-9 >= level)
            rank = np.where(failed[:, g], np.maximum(rank, otherwise.rank), rank)
        missing = (~valid).sum(axis=0)
        return _Scored(
            rubric=rubric,
            overall=overall,
            rank=np.where(scored, rank, -1),
            threshold=np.where(scored, threshold, -1),
            names=names,
            raw=raw,
            gates=[(name, level, otherwise, j) for j, name, level, otherwise in gates],
            failed=failed,
            missing={cid: int(m) for cid, m in zip(names, missing, strict=True) if m},
        )


@dataclass
class _Scored:
    """Rounds scored under one rubric version, as matrices (rows: the rounds scored)."""

    rubric: Rubric
    overall: NDArray[np.float64]  # NaN: nothing scored
    rank: NDArray[np.int64]  # rank of the recommended outcome, -1: none
    threshold: NDArray[np.int64]  # rank of the thresholds' outcome, -1: none
    names: list[str]  # the scored criteria, the columns of `raw`
    raw: NDArray[np.float64]  # the scores given to `scoring.score` (NaN: not scored)
    gates: list[tuple[str, int, Outcome, int]]  # criterion, level, outcome at best, column
    failed: NDArray[np.bool_]  # rounds × gates
    missing: dict[str, int]  # criterion → rounds that do not score it

    def gate_view(self, row: int) -> tuple[dict[str, tuple[int, float | None]], list[str]]:
        """The gates of one round (criterion → level, score) and the gates it fails."""
        gates = {name: (level, _value(float(self.raw[row, j]))) for name, level, _, j in self.gates}
        failed = [g[0] for k, g in enumerate(self.gates) if self.failed[row, k]]
        return gates, failed

    def not_scored(self, row: int) -> list[str]:
        return [n for j, n in enumerate(self.names) if math.isnan(self.raw[row, j])]


_BY_RANK = sorted(Outcome, key=lambda o: o.rank)


def _outcome(rank: int) -> Outcome | None:
    return _BY_RANK[rank] if rank >= 0 else None


def _value(x: float) -> float | None:
    return None if math.isnan(x) else x


def replay(rounds: Iterable[DecidedRound], old: Mapping[str, Rubric], new: Rubric) -> ReplayReport:
    """Score every round under the version it was scored against (`old`, by content hash) and
    under `new`; report the changes, the distributions and the effect per group.

    The rounds are scored together, as matrices (`_Evidence`), which also say why an outcome
    changed."""
    given = list(rounds)
    for rnd in given:
        if rnd.rubric_hash not in old:
            raise KeyError(f"case {rnd.case_id}: rubric version {rnd.rubric_hash[:12]}… not given")
    report = ReplayReport(new.id, new.version, new.content_hash)
    n = len(given)
    evidence = _Evidence(given)
    overall_b = np.full(n, np.nan)
    rank_b = np.full(n, -1, dtype=np.int64)
    hashes = np.array([r.rubric_hash for r in given], dtype=object)
    scored_b: dict[str, _Scored] = {}
    local = np.zeros(n, dtype=np.int64)  # each round's row in its old version's matrices
    for h, rubric in old.items():
        rows = np.flatnonzero(hashes == h) if n else np.zeros(0, dtype=np.int64)
        if len(rows):
            scored_b[h] = evidence.score(rubric, rows)
            overall_b[rows], rank_b[rows] = scored_b[h].overall, scored_b[h].rank
            local[rows] = np.arange(len(rows))
            report.old_versions[f"{rubric.id} {rubric.version}"] = len(rows)
    after = evidence.score(new, np.arange(n, dtype=np.int64))
    overall_a, rank_a, missing_counts = after.overall, after.rank, after.missing
    report.rounds = n
    for ranks, counts in ((rank_b, report.outcomes_before), (rank_a, report.outcomes_after)):
        values, times = np.unique(ranks, return_counts=True)
        for v, k in zip(values.tolist(), times.tolist(), strict=True):
            o = _outcome(v)
            counts[o.value if o else "none"] = k
    for overall, bins in ((overall_b, report.bins_before), (overall_a, report.bins_after)):
        ok = overall[~np.isnan(overall)]
        which = np.minimum((ok * BINS + 1e-9).astype(np.int64), BINS - 1)
        for b, k in enumerate(np.bincount(which, minlength=BINS).tolist()):
            bins[b] = k
    changed = np.flatnonzero(rank_b != rank_a)
    changes: dict[int, Change] = {}
    for i in changed.tolist():
        rnd = given[i]
        changes[i] = Change(
            rnd.case_id,
            rnd.round,
            rnd.institution,
            rnd.field,
            rnd.eqf,
            rnd.decided,
            _outcome(int(rank_b[i])),
            _outcome(int(rank_a[i])),
            _value(float(overall_b[i])),
            _value(float(overall_a[i])),
            reasons(scored_b[rnd.rubric_hash], int(local[i]), after, i),
        )
    report.changes = sorted(changes.values(), key=lambda c: (c.case_id, c.round))
    ob_list, oa_list = overall_b.tolist(), overall_a.tolist()
    for i, rnd in enumerate(given):
        change = changes.get(i)
        b, a = ob_list[i], oa_list[i]
        for groups, key in (
            (report.by_institution, rnd.institution),
            (report.by_field, broad_field(rnd.field)),
            (report.by_eqf, str(rnd.eqf) if rnd.eqf is not None else "none"),
        ):
            g = _group(groups, key)
            g.rounds += 1
            if b == b:  # not NaN
                g.sum_before += b
                g.scored_before += 1
            if a == a:
                g.sum_after += a
                g.scored_after += 1
            if change is not None:
                g.changed += 1
                g.worse += change.direction == "worse"
                g.better += change.direction == "better"
    old_ids = {rc.id for r in old.values() for rc in r.criteria}
    report.unscored = [
        UnscoredCriterion(cid, rc.criterion.title if rc else cid, k, cid not in old_ids)
        for cid, k in missing_counts.items()
        for rc in [new.criterion(cid)]
    ]
    new_ids = {rc.id for rc in new.criteria}
    report.removed = sorted(old_ids - new_ids)
    for groups in (report.by_institution, report.by_field, report.by_eqf):
        ordered = dict(sorted(groups.items()))
        groups.clear()
        groups.update(ordered)
    return report
