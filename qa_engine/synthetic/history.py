"""The history of a synthetic alliance for benchmarks and leadership reports: the eight
institutions, reviewers with expertise and load limits, credentials, and decided cases with their
whole paper trail, written with bulk inserts (SQLAlchemy Core ``insert`` executemany, in batches)
in one transaction. `qa-engine dev generate --history N` and ``python -m bench.generate`` run it.

Each decided case has a credential version with plausible standard elements (the same generator as
the live alliance, `qa_engine.synthetic.credentials`), a self-assessment per round, two reviews per
round (a third when the first two disagree) scored on the real ``4eu-mici`` rubric (loaded from the
rubrics folder and snapshotted like the engine does), a consolidation per pass computed with the
engine's own scoring rules, a decision per round with varied outcomes and conditions (a revision
request opens a second round), and its case history as audit events with realistic stage
durations. Some screenings return the case first; some reviews come in late; a few percent of the
cases are still open, some with overdue reviews.

The history events continue the audit chain of the database (each event's hash covers the one
before it, `qa_engine.domain.audit.link`), so ``qa-engine audit verify`` still passes. The
generator holds the database's write lock for its whole run (one transaction; on PostgreSQL also
the audit advisory lock), so nothing else can append to the chain in between.

Left out for size: reviewers' per-criterion comments, the consolidation's ``explanation`` lines,
reports and notifications, and audit events other than the case state changes.
"""

from __future__ import annotations

import gc
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, col

from qa_engine.domain import clock
from qa_engine.domain.audit import ChainHead, NewEvent, canonical_json, link
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.consolidation import (
    FEWER_THAN_TWO,
    NO_VARIATION,
    agreement_label,
    agreement_words,
    yes_no_summary,
)
from qa_engine.domain.outcomes import APPROVING, Outcome, worst
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS
from qa_engine.domain.statuses import AssignmentStatus, ReviewStatus, SelfAssessmentStatus
from qa_engine.services.rows import saved_id
from qa_engine.store import audit_repo
from qa_engine.store.models import (
    Assignment,
    AuditEvent,
    Case,
    Consolidation,
    Credential,
    CredentialVersion,
    Decision,
    Institution,
    Review,
    RubricSnapshot,
    SelfAssessment,
    User,
    UserRole,
    table_of,
)
from qa_engine.synthetic.credentials import CredentialFactory
from qa_engine.synthetic.people import person_name, reviewer_profile
from qa_engine.synthetic.tables import CONDITIONS, NOISY, member_for

RUBRIC_ID = "4eu-mici"
BATCH = 5000
DAY = 86400.0

# A case's history event before it joins the chain: (at, actor, action, case id, payload).
_Event = tuple[datetime, str, str, int, dict[str, Any]]
_DEADLINES = frozenset({"due_at", "respond_by", "valid_until"})  # may lie after the run's now


@dataclass
class Generated:
    cases: int = 0
    decided_cases: int = 0
    open_cases: int = 0
    rounds: int = 0
    reviews: int = 0
    criterion_scores: int = 0
    audit_events: int = 0
    seconds: float = 0.0
    first_at: datetime | None = None
    last_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.decided_cases:,} decided + {self.open_cases:,} open cases, "
            f"{self.rounds:,} review rounds, {self.reviews:,} reviews, "
            f"{self.criterion_scores:,} criterion scores, {self.audit_events:,} "
            f"history events in {self.seconds:.1f} s"
        )


# --------------------------------------------------------------------------- the rubric, fast


class FastRubric:
    """The scoring rules of `qa_engine.domain.scoring` and `consolidation`, vectorised for one
    rubric (same formulas; `tests/services/test_leadership.py` checks the results against the
    domain)."""

    def __init__(self, rubric: Rubric, disagreement_threshold: float = 2.0) -> None:
        self.rubric = rubric
        self.threshold = disagreement_threshold
        scored = rubric.scored_criteria
        self.ids = [rc.id for rc in scored]
        self.lo = np.array([rubric.score_range(rc.criterion)[0] for rc in scored], dtype=float)
        self.hi = np.array([rubric.score_range(rc.criterion)[1] for rc in scored], dtype=float)
        self.w = np.array([rc.effective_weight for rc in scored], dtype=float)
        self.kinds = [rc.criterion.kind for rc in scored]
        self.gates = [
            (i, rc.criterion.gate.min_level, rc.criterion.gate.otherwise)
            for i, rc in enumerate(scored)
            if rc.criterion.gate is not None
        ]
        self.reviewer_idx = [
            i for i, rc in enumerate(scored) if rc.criterion.kind != "elements_check"
        ]
        self.reviewer_ids = [self.ids[i] for i in self.reviewer_idx]
        self.limits = np.array(
            [disagreement_threshold if self.kinds[i] == "scale" else 0.5 for i in self.reviewer_idx]
        )
        self.span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        self.auto_idx = {
            rc.id: i for i, rc in enumerate(scored) if rc.criterion.kind == "elements_check"
        }
        refs: dict[str, list[int]] = {}
        for i, rc in enumerate(scored):
            for key in dict.fromkeys(list(rc.criterion.maps_to) + list(rc.criterion.elements)):
                refs.setdefault(key, []).append(i)
        self.refs = sorted(refs.items())
        self.ref_criteria = [(ref, [self.ids[i] for i in idx]) for ref, idx in self.refs]
        self.ref_w = np.zeros((len(self.refs), len(self.ids)))
        for r, (_, idx) in enumerate(self.refs):
            self.ref_w[r, idx] = self.w[idx]
        self.ref_wsum = self.ref_w.sum(axis=1)
        self.thresholds = sorted(rubric.thresholds, key=lambda t: -t.min_score)
        # alpha is ordinal over the scale criteria only (as in `consolidation.consolidate`)
        self.scale_cols = [j for j, i in enumerate(self.reviewer_idx) if self.kinds[i] == "scale"]
        self.yes_no_cols = [j for j, i in enumerate(self.reviewer_idx) if self.kinds[i] != "scale"]
        domain: set[float] = set()
        for i in self.reviewer_idx:
            if self.kinds[i] != "scale":
                continue
            domain.update(float(v) for v in range(int(self.lo[i]), int(self.hi[i]) + 1))
        self.domain = sorted(domain)

    def consolidate(
        self, reviews: np.ndarray, automated: dict[str, int], recommendations: list[str]
    ) -> dict[str, Any]:
        """`reviews`: reviewers × reviewer criteria. Returns what `ConsolidationResult.to_json`
        holds."""
        r = reviews.astype(float)
        n = r.shape[0]
        mean = r.mean(axis=0)
        lo_v, hi_v = r.min(axis=0), r.max(axis=0)
        spread = hi_v - lo_v
        median = np.median(r, axis=0)
        stdev = r.std(axis=0, ddof=1) if n > 1 else np.zeros(r.shape[1])
        flags = (spread > self.limits + 1e-9) & (n > 1)
        ids = self.reviewer_ids
        crit = [
            {
                "criterion_id": c,
                "n": n,
                "scores": col,
                "mean": m,
                "median": md,
                "minimum": a,
                "maximum": b,
                "spread": sp,
                "stdev": sd,
                "disagreement": f,
            }
            for c, col, m, md, a, b, sp, sd, f in zip(
                ids,
                r.T.tolist(),
                mean.tolist(),
                median.tolist(),
                lo_v.tolist(),
                hi_v.tolist(),
                spread.tolist(),
                stdev.tolist(),
                flags.tolist(),
                strict=True,
            )
        ]
        disagreement = [c for c, f in zip(ids, flags.tolist(), strict=True) if f]
        means = np.zeros(len(self.ids))
        means[self.reviewer_idx] = mean
        for cid, value in automated.items():
            means[self.auto_idx[cid]] = value
        norm = (np.clip(means, self.lo, self.hi) - self.lo) / self.span
        overall = float((norm * self.w).sum() / self.w.sum())
        scores = (self.ref_w @ norm) / self.ref_wsum
        by_reference = {
            ref: {"score": sc, "criteria": crits}
            for (ref, crits), sc in zip(self.ref_criteria, scores.tolist(), strict=True)
        }
        gates_failed, gate_outcomes = [], []
        for i, minimum, otherwise in self.gates:
            if not means[i] + 1e-9 >= minimum:
                gates_failed.append(self.ids[i])
                gate_outcomes.append(otherwise)
        threshold_outcome = next(
            (t.outcome for t in self.thresholds if overall + 1e-12 >= t.min_score), Outcome.REJECTED
        )
        recommended = (
            worst(threshold_outcome, *gate_outcomes) if gate_outcomes else threshold_outcome
        )
        scale = r[:, self.scale_cols]
        alpha = ordinal_alpha_fast(scale, self.domain) if self.scale_cols else None
        why = None
        if alpha is None:
            why = FEWER_THAN_TWO if n < 2 or not self.scale_cols else NO_VARIATION
        compared = within_one = 0
        largest_gap: float | None = None
        largest_gap_criterion: str | None = None
        if n > 1 and self.scale_cols:
            gaps = spread[self.scale_cols]
            top = int(np.argmax(gaps))
            compared, within_one = len(self.scale_cols), int((gaps <= 1 + 1e-9).sum())
            largest_gap, largest_gap_criterion = float(gaps[top]), ids[self.scale_cols[top]]
        yes_no_compared = len(self.yes_no_cols) if n > 1 else 0
        yes_no_alike = int((spread[self.yes_no_cols] < 0.5).sum()) if yes_no_compared else 0
        counts: dict[str, int] = {}
        for rec in recommendations:
            counts[rec] = counts.get(rec, 0) + 1
        return {
            "reviewers": n,
            "criteria": crit,
            "agreement": alpha,
            "agreement_label": agreement_label(alpha, why),
            "disagreement": disagreement,
            "compared": compared,
            "within_one": within_one,
            "largest_gap": largest_gap,
            "largest_gap_criterion": largest_gap_criterion,
            "yes_no_compared": yes_no_compared,
            "yes_no_alike": yes_no_alike,
            "agreement_summary": agreement_words(
                reviewers=n,
                compared=compared,
                within_one=within_one,
                largest_gap=largest_gap,
                largest_gap_criterion=largest_gap_criterion,
                disagreement=disagreement,
            ),
            "yes_no_summary": yes_no_summary(yes_no_alike, yes_no_compared),
            "overall": overall,
            "gates_failed": gates_failed,
            "recommended_outcome": recommended.value,
            "threshold_outcome": threshold_outcome.value,
            "by_reference": by_reference,
            "explanation": [],
            "recommendations": counts,
        }


def ordinal_alpha_fast(matrix: np.ndarray, domain: list[float]) -> float | None:
    """Krippendorff's ordinal alpha of a complete raters × units matrix of integer scores (what
    `qa_engine.domain.consolidation.ordinal_alpha` computes with the `krippendorff` package, in a
    form cheap enough for a hundred thousand rounds; the tests compare the two)."""
    raters = matrix.shape[0]
    values = np.asarray(domain)
    if raters < 2 or len(np.unique(matrix)) < 2:
        return None
    onehot = (
        (matrix[:, :, None] == values[None, None, :]).sum(axis=0).astype(float)
    )  # units × values
    coincidence = (onehot.T @ onehot - np.diag(onehot.sum(axis=0))) / (raters - 1)
    n_c = coincidence.sum(axis=0)
    n = n_c.sum()
    cum = np.concatenate([[0.0], np.cumsum(n_c)])
    k = len(values)
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    delta = (cum[hi + 1] - cum[lo] - (n_c[lo] + n_c[hi]) / 2) ** 2
    d_o = (coincidence * delta).sum()
    d_e = (np.outer(n_c, n_c) * delta).sum() / (n - 1)
    if d_e == 0:
        return None
    return float(1 - d_o / d_e)


# --------------------------------------------------------------------------- helpers


class _Ids:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next: dict[str, int] = {}

    def take(self, model: type[SQLModel], n: int = 1) -> int:
        table = table_of(model)
        name = table.name
        if name not in self.next:
            self.next[name] = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        first = self.next[name]
        self.next[name] += n
        return first


class _Chain:
    """Appends history events to the audit chain (`qa_engine.domain.audit.link`), in time order."""

    def __init__(self, conn: Connection, ids: _Ids) -> None:
        self.head = audit_repo.head(conn)
        self.ids = ids

    def rows(self, events: list[_Event]) -> list[dict[str, Any]]:
        """`events`: (at, actor, action, case_id, payload); sorted by time here."""
        events.sort(key=lambda e: (e[0], e[3]))
        first_id = self.ids.take(AuditEvent, len(events))
        # payloads hold JSON types only: stored as given, hashed canonically
        linked = link(
            self.head,
            (
                NewEvent(at, actor, action, "case", str(case_id), payload)
                for at, actor, action, case_id, payload in events
            ),
        )
        out = [{"id": first_id + k, **audit_repo.row(ev)} for k, ev in enumerate(linked)]
        if out:
            self.head = ChainHead(out[-1]["seq"], out[-1]["hash"])
        return out


def _insert(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    table = table_of(model)
    for i in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[i : i + BATCH])


# --------------------------------------------------------------------------- the generator


class _Alliance:
    def __init__(
        self,
        conn: Connection,
        rng: np.random.Generator,
        fast: FastRubric,
        snapshot: RubricSnapshot,
        ids: _Ids,
        chain: _Chain,
        institutions: list[Institution],
        n_cases: int,
    ) -> None:
        self.conn, self.rng, self.fast, self.snap, self.ids, self.chain = (
            conn,
            rng,
            fast,
            snapshot,
            ids,
            chain,
        )
        self.institutions = institutions
        self.n_reviewer_criteria = len(fast.reviewer_ids)
        self.crit_difficulty = rng.normal(0.0, 0.3, self.n_reviewer_criteria)
        self.crit_noise: NDArray[np.float64] = np.array(
            [NOISY.get(c, rng.uniform(0.35, 0.6)) for c in fast.reviewer_ids]
        )
        self.stackable_idx = (
            fast.reviewer_ids.index("dg-stackable") if "dg-stackable" in fast.reviewer_ids else None
        )
        self.inst_effect = {saved_id(i): rng.normal(0.0, 0.2) for i in institutions}
        self.factory = CredentialFactory(rng)
        self.members = {
            saved_id(i): member_for(
                i.code, name=i.name, local_name=i.local_name, city=i.city, country=i.country
            )
            for i in institutions
        }
        self.sa_criteria = [rc.id for rc in fast.rubric.reviewer_criteria]
        self._people(n_cases)

    # ---- people
    def _people(self, n_cases: int) -> None:
        rng, now = self.rng, clock.now()
        per_inst = int(min(60, 6 + n_cases // 2000))
        users, roles = [], []
        first = self.ids.take(User, 6 + len(self.institutions) * (1 + per_inst))
        uid = first
        self.reviewers_by_inst: dict[int, list[int]] = {}
        self.reviewer_bias: dict[int, float] = {}
        self.providers: dict[int, str] = {}
        self.officers: list[str] = []  # usernames
        self.approvers: list[int] = []  # user ids

        def add(username: str, name: str, inst: int | None, role: str, **extra: Any) -> int:
            nonlocal uid
            users.append(
                {
                    "id": uid,
                    "username": username,
                    "full_name": name,
                    "email": f"{username}@bench.example.eu",
                    "institution_id": inst,
                    "password_hash": None,
                    "active": True,
                    "max_open_reviews": extra.get("max_open", 4),
                    "expertise_fields": extra.get("fields", []),
                    "expertise_skills": extra.get("skills", []),
                    "languages": extra.get("languages", ["en"]),
                    "session_epoch": 0,
                    "created_at": now,
                }
            )
            roles.append({"user_id": uid, "role": role})
            uid += 1
            return uid - 1

        def staff_name(k: int) -> str:
            member = self.members[saved_id(self.institutions[k % len(self.institutions)])]
            return person_name(rng, member.locale).full

        for k in range(2):
            self.officers.append(f"bench-officer-{first}-{k}")
            add(self.officers[-1], f"{staff_name(k)} (QA office)", None, "qa_officer")
        for k in range(3):
            u = f"bench-approver-{first}-{k}"
            self.approvers.append(add(u, f"{staff_name(k + 2)} (QA board)", None, "approver"))
        add(f"bench-leader-{first}", "4EU+ steering committee", None, "leadership")
        for inst in self.institutions:
            inst_id = saved_id(inst)
            member = self.members[inst_id]
            self.providers[inst_id] = f"bench-prov-{first}-{inst.code.lower()}"
            add(
                self.providers[inst_id],
                f"Micro-credential team, {member.local_name}",
                inst_id,
                "provider",
            )
            self.reviewers_by_inst[inst_id] = []
            for _k in range(per_inst):
                profile = reviewer_profile(rng, member)
                rid = add(
                    f"bench-rev-{uid}-{inst.code.lower()}",
                    profile.name.full,
                    inst_id,
                    "reviewer",
                    max_open=profile.max_open_reviews,
                    fields=profile.expertise_fields,
                    skills=profile.expertise_skills,
                    languages=profile.languages,
                )
                self.reviewers_by_inst[inst_id].append(rid)
                self.reviewer_bias[rid] = float(rng.normal(0, 0.25))
        _insert(self.conn, User, users)
        first_role = self.ids.take(UserRole, len(roles))
        _insert(self.conn, UserRole, [{"id": first_role + i, **r} for i, r in enumerate(roles)])
        self.pool_for: dict[int, np.ndarray] = {
            inst_id: np.array(
                [r for other, rs in self.reviewers_by_inst.items() if other != inst_id for r in rs]
            )
            for inst_id in map(saved_id, self.institutions)
        }

    # ---- credentials
    def credential_data(self, inst: Institution, ref: str) -> dict[str, Any]:
        return self.factory.data(self.rng, self.members[saved_id(inst)], ref)

    def recommendation(self, scores: np.ndarray) -> str:
        """A reviewer's own overall recommendation: the rubric's threshold for their mean score."""
        share = float(np.mean(scores)) / 4.0
        return next(
            (t.outcome.value for t in self.fast.thresholds if share + 1e-12 >= t.min_score),
            "rejected",
        )

    @staticmethod
    def optional_present(data: dict[str, Any]) -> int:
        return sum(1 for _, (_, f) in EU_OPTIONAL_ELEMENTS.items() if data.get(f))

    # ---- scores
    def review_scores(self, q: float, inst_id: int, reviewer: int, stackable: bool) -> np.ndarray:
        rng = self.rng
        raw = (
            q
            + self.inst_effect[inst_id]
            + self.crit_difficulty
            + self.reviewer_bias[reviewer]
            + rng.normal(0, 1, self.n_reviewer_criteria) * self.crit_noise
        )
        scores = np.clip(np.rint(raw), 0, 4).astype(int)
        if self.stackable_idx is not None:
            scores[self.stackable_idx] = (
                int(stackable) if rng.random() > 0.05 else int(not stackable)
            )
        return scores

    def self_scores(self, q: float, inst_id: int, stackable: bool) -> np.ndarray:
        raw = (
            q
            + self.inst_effect[inst_id]
            + self.crit_difficulty
            + 0.35
            + self.rng.normal(0, 0.5, self.n_reviewer_criteria)
        )
        scores = np.clip(np.rint(raw), 0, 4).astype(int)
        if self.stackable_idx is not None:
            scores[self.stackable_idx] = int(stackable)
        return scores

    def decide(self, recommended: str, final_round: bool) -> tuple[str, list[str]]:
        rng = self.rng
        order = [o.value for o in Outcome]
        k = order.index(recommended)
        if rng.random() > 0.8:
            k = int(np.clip(k + rng.choice([-1, 1]), 0, 3))
        outcome = order[k]
        if final_round and outcome == "revision_requested":
            outcome = "approved_with_conditions" if rng.random() < 0.6 else "rejected"
        conditions: list[str] = []
        if outcome == "approved_with_conditions":
            conditions = [
                str(c)
                for c in rng.choice(
                    CONDITIONS, int(rng.integers(1, 4)), replace=False, p=_zipf(len(CONDITIONS))
                )
            ]
        elif outcome == "revision_requested" and rng.random() < 0.5:
            conditions = [str(rng.choice(CONDITIONS, p=_zipf(len(CONDITIONS))))]
        return outcome, conditions


def _zipf(n: int) -> list[float]:
    w = [1 / (k + 1) for k in range(n)]
    s = sum(w)
    return [x / s for x in w]


def _lognormal(rng: np.random.Generator, median_days: float, sigma: float) -> float:
    return float(median_days * math.exp(rng.normal(0, sigma)))


def _missing_problems(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Problems of a returned screening, in the words the engine's screening uses; and the
    fields."""
    ids = list(EU_ELEMENTS)
    weights = np.array([1, 1, 1, 1, 3, 4, 8, 6, 3, 2, 7], dtype=float)
    k = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
    missing = sorted(rng.choice(ids, k, replace=False, p=weights / weights.sum()), key=ids.index)
    fields = [EU_ELEMENTS[m][1] for m in missing]
    if rng.random() < 0.7:
        names = ", ".join(f"{m} {EU_ELEMENTS[m][0]}" for m in missing)
        return [
            f"eu-elements: {11 - k} of 11 standard elements present, 11 required; missing: {names}"
        ], fields
    return [f"{f}: required" for f in fields], fields


def generate(
    engine: Engine,
    n_cases: int = 1000,
    *,
    seed: int = 42,
    until: datetime | None = None,
    span_days: int = 730,
    open_share: float = 0.03,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int], None] | None = None,
) -> Generated:
    """Write `n_cases` decided cases (plus a few open ones) of a synthetic alliance; return counts.

    `progress` gets a line per chunk written, `tick` (cases written, cases in all)."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived rows and no cycles: the cyclic collector only costs time
    try:
        return _generate(
            engine,
            n_cases,
            seed=seed,
            until=until,
            span_days=span_days,
            open_share=open_share,
            say=say,
            tick=tick or (lambda _done, _total: None),
            t0=t0,
        )
    finally:
        if collecting:
            gc.enable()


def _generate(
    engine: Engine,
    n_cases: int,
    *,
    seed: int,
    until: datetime | None,
    span_days: int,
    open_share: float,
    say: Callable[[str], None],
    tick: Callable[[int, int], None],
    t0: float,
) -> Generated:
    from qa_engine.services import rubrics as rubric_service
    from qa_engine.services.institutions import seed_institutions

    until = min(until or clock.now(), clock.now()).replace(microsecond=0)  # never ahead
    rng = np.random.default_rng(seed)
    rubric = rubric_service.load(RUBRIC_ID)
    fast = FastRubric(rubric)
    out = Generated()
    with engine.connect() as conn, conn.begin():
        audit_repo.lock_chain(conn)
        with Session(bind=conn) as session:
            seed_institutions(session=session)
            snap = rubric_service.snapshot(session=session, rubric=rubric)
            session.flush()
            institutions = list(session.scalars(select(Institution).order_by(col(Institution.id))))
            snap_id, snap_hash = saved_id(snap), snap.content_hash
        run = _Run(
            n_decided=n_cases,
            until=until,
            span_days=span_days,
            snap_id=snap_id,
            snap_hash=snap_hash,
        )
        ids = _Ids(conn)
        chain = _Chain(conn, ids)
        world = _Alliance(conn, rng, fast, snap, ids, chain, institutions, n_cases)
        n_open = max(3, int(n_cases * open_share)) if n_cases else 0
        chunk = max(
            250, min(2000, (n_cases + n_open) // 20)
        )  # small enough for a progress bar to move
        done = 0
        for start in range(0, n_cases + n_open, chunk):
            size = min(chunk, n_cases + n_open - start)
            rows = _chunk(world, run, start, size, out)
            model: type[SQLModel]
            for model in (
                Credential,
                CredentialVersion,
                Case,
                SelfAssessment,
                Assignment,
                Review,
                Consolidation,
                Decision,
            ):
                name = table_of(model).name
                _insert(conn, model, rows[name])
                out.counts[name] = out.counts.get(name, 0) + len(rows[name])
            events = chain.rows(rows["events"])
            _insert(conn, AuditEvent, events)
            out.audit_events += len(events)
            done += size
            say(
                f"{done:,} of {n_cases + n_open:,} cases written ({time.perf_counter() - t0:.0f} s)"
            )
            tick(done, n_cases + n_open)
        if conn.dialect.name == "postgresql":
            for model in (
                User,
                UserRole,
                Credential,
                CredentialVersion,
                Case,
                SelfAssessment,
                Assignment,
                Review,
                Consolidation,
                Decision,
                AuditEvent,
            ):
                name = table_of(model).name
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
    if engine.dialect.name == "sqlite":
        raw = (
            engine.raw_connection()
        )  # outside any transaction: the engine's connections autocommit
        try:
            driver = raw.driver_connection
            if driver is None:  # never for a connection the pool handed out
                raise RuntimeError("the SQLite connection has no driver connection")
            driver.execute("ANALYZE")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    out.seconds = time.perf_counter() - t0
    out.cases = n_cases + n_open
    out.decided_cases = n_cases
    out.open_cases = n_open
    return out


@dataclass(frozen=True)
class _Run:
    """What every case of one run shares: how many are decided, the period, the rubric snapshot."""

    n_decided: int
    until: datetime
    span_days: int
    snap_id: int
    snap_hash: str


# Where an open case stopped (a returned one stays returned), and how often.
_OPEN_STOPS = (
    CaseState.SELF_ASSESSMENT,
    CaseState.ASSIGNMENT,
    CaseState.PEER_REVIEW,
    CaseState.APPROVAL,
)
_OPEN_STOP_SHARES = (0.25, 0.1, 0.45, 0.2)


def _chunk(w: _Alliance, run: _Run, start: int, size: int, out: Generated) -> dict[str, list[Any]]:
    # the rows of each table, and the case history events ("events")
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "credential",
            "credential_version",
            "qa_case",
            "self_assessment",
            "assignment",
            "review",
            "consolidation",
            "decision",
            "events",
        )
    }
    cred_id = w.ids.take(Credential, size)
    case_id = w.ids.take(Case, size)
    for k in range(size):
        _CaseHistory(w, run, rows, out, index=start + k, cid=cred_id + k, kid=case_id + k).write()
    return rows


@dataclass
class _Panel:
    """A round's reviewers: who invited them, who is reviewing (reviewer, invited at), who is in
    reserve."""

    officer: str
    pool: np.ndarray
    live: list[tuple[int, datetime]]
    spare: list[int]


@dataclass
class _Reviews:
    """The reviews a round collected: one row of scores per reviewer, their recommendations."""

    matrix: np.ndarray
    recommendations: list[str]


class _CaseHistory:
    """One case with its credential, rounds, reviews, consolidations, decisions and history,
    written stage by stage on the case's own clock. The stages draw from the run's random generator
    in a fixed order: the same seed gives the same history."""

    def __init__(
        self,
        w: _Alliance,
        run: _Run,
        rows: dict[str, list[Any]],
        out: Generated,
        *,
        index: int,
        cid: int,
        kid: int,
    ) -> None:
        self.w, self.rng, self.run, self.rows, self.out = w, w.rng, run, rows, out
        self.cid, self.kid = cid, kid
        self.is_open = index >= run.n_decided
        self.t0: datetime  # when the case opened
        self.clock: datetime  # the case's own clock, from its opening (`_open_and_screen`) on
        self.events: list[_Event] = []
        self.state = CaseState.SUBMITTED
        self.outcome: str | None = None
        self.due_at: datetime | None = None
        self.extra = 0
        self.rounds = 0

    # ---- the clock and the history events
    def ev(self, action: str, payload: dict[str, Any], actor: str = "qa-engine") -> None:
        self.events.append((self.clock, actor, action, self.kid, payload))

    def step(self, days: float) -> datetime:
        """Move the case's clock on by `days` (at least a second, plus up to a second of jitter)."""
        self.clock = self.clock + timedelta(
            seconds=max(1.0, days * DAY) + float(self.rng.uniform(0, 1))
        )
        return self.clock

    def move(
        self,
        to: CaseState,
        payload: dict[str, Any] | None = None,
        actor: str = "qa-engine",
        rnd: int = 1,
    ) -> None:
        self.ev(
            f"case.{to}", {"from": self.state, "to": to, "round": rnd, **(payload or {})}, actor
        )
        self.state = to

    # ---- the whole case
    def write(self) -> None:
        marks = {name: len(rows) for name, rows in self.rows.items()}
        self._credential()
        self._open_and_screen()
        self._credential_rows()
        stop = self._open_stop()
        self._quality()
        rnd = 0
        while self.state != CaseState.RETURNED:
            rnd += 1
            if not self._round(rnd, stop):
                break
        self._not_after_until(marks)
        self._case_row(rnd)

    def _not_after_until(self, marks: dict[str, int]) -> None:
        """Move the whole case back in time if its last event would lie after the run's `until`
        (the run's real now): the generator never dates anything in the future. Deadlines and a
        decision's validity may lie ahead; they move with the case."""
        rows = [row for name, all_rows in self.rows.items() for row in all_rows[marks[name] :]]
        times = [self.clock, *(e[0] for e in self.events)]
        times += [
            v
            for row in rows
            for k, v in row.items()
            if isinstance(v, datetime) and k not in _DEADLINES
        ]
        excess = max(times) - self.run.until
        if excess <= timedelta(0):
            return
        for row in rows:
            for k, v in row.items():
                if isinstance(v, datetime):
                    row[k] = v - excess
        self.events = [(at - excess, who, what, kid, p) for at, who, what, kid, p in self.events]
        self.t0, self.clock = self.t0 - excess, self.clock - excess
        if self.due_at is not None:
            self.due_at -= excess

    def _credential(self) -> None:
        """The institution, the credential's content, and (for a returned screening) its first,
        incomplete version."""
        w, rng = self.w, self.rng
        self.inst = w.institutions[int(rng.integers(len(w.institutions)))]
        self.ref = f"BENCH-{self.cid:07d}"
        self.data = w.credential_data(self.inst, self.ref)
        self.provider = w.providers[saved_id(self.inst)]
        self.returned = rng.random() < 0.12
        self.versions = []
        self.problems: list[str] = []
        if self.returned:
            self.problems, fields = _missing_problems(rng)
            v1 = dict(self.data)
            for f in fields:
                v1[f] = [] if isinstance(self.data.get(f), list) else ""
            self.versions.append(v1)
        self.versions.append(self.data)
        self.first_cv = w.ids.take(CredentialVersion, len(self.versions))

    def _open_and_screen(self) -> None:
        """Opened, screened; a returned case is resubmitted (unless it is an open case still
        waiting) and screened again."""
        rng, run = self.rng, self.run
        if self.is_open:
            self.t0 = run.until - timedelta(days=float(rng.uniform(5, 60)))
        else:
            self.t0 = run.until - timedelta(days=float(rng.uniform(90, max(91, run.span_days))))
        self.clock = self.t0
        self.ev(
            "case.opened",
            {
                "credential_id": self.cid,
                "credential_version": 1,
                "credential_hash": hashlib.sha256(
                    canonical_json(self.versions[0]).encode()
                ).hexdigest(),
                "rubric": f"{RUBRIC_ID}@{self.w.fast.rubric.version}",
                "rubric_hash": run.snap_hash,
                "previous_case_id": None,
            },
            self.provider,
        )
        self.step(2 / 1440)
        self.move(CaseState.SCREENING)
        self.cv_current = self.first_cv
        self.screening_problems: list[str] = []
        if not self.returned:
            return
        self.step(1 / 1440)
        self.move(CaseState.RETURNED, {"problems": self.problems})
        self.screening_problems = self.problems
        if self.is_open and rng.random() < 0.1:
            return  # still waiting for the provider
        self.step(_lognormal(rng, 6, 0.7))
        self.move(
            CaseState.SUBMITTED,
            {"credential_version_id": self.first_cv + 1, "previous_version_id": self.first_cv},
            self.provider,
        )
        self.cv_current = self.first_cv + 1
        self.screening_problems = []
        self.step(2 / 1440)
        self.move(CaseState.SCREENING)

    def _credential_rows(self) -> None:
        for n, version in enumerate(self.versions, start=1):
            self.rows["credential_version"].append(
                {
                    "id": self.first_cv + n - 1,
                    "credential_id": self.cid,
                    "number": n,
                    "data": version,
                    "content_hash": hashlib.sha256(canonical_json(version).encode()).hexdigest(),
                    "source": "bench",
                    "created_by_id": None,
                    "created_at": self.t0,
                }
            )
        self.rows["credential"].append(
            {
                "id": self.cid,
                "institution_id": saved_id(self.inst),
                "reference": self.ref,
                "title": self.data["title"],
                "current_version": len(self.versions),
                "created_at": self.t0,
                "updated_at": self.t0,
            }
        )

    def _open_stop(self) -> CaseState | None:
        """Where an open case stops; None for a case that is decided."""
        if not self.is_open:
            return None
        if self.state == CaseState.RETURNED:
            return CaseState.RETURNED
        return CaseState(
            str(self.rng.choice([s.value for s in _OPEN_STOPS], p=list(_OPEN_STOP_SHARES)))
        )

    def _quality(self) -> None:
        """How good the credential is (the scores' centre), and what the automated criteria find."""
        self.q = float(self.rng.normal(2.75, 0.55))
        self.stackable = self.data["stackability"] == "stackable"
        self.optional = self.w.optional_present(self.data)

    # ---- one review round
    def _round(self, rnd: int, stop: CaseState | None) -> bool:
        """Self-assessment, reviewers, reviews, consolidation, decision; True when a revision opens
        another round."""
        if not self._self_assessment(rnd, stop):
            return False
        if stop == CaseState.ASSIGNMENT:
            return False
        panel = self._invite(rnd)
        reviews = self._peer_review(rnd, panel, stopped=stop == CaseState.PEER_REVIEW)
        if reviews is None:
            return False
        final, reviews = self._consolidate(rnd, panel, reviews)
        self.out.rounds += 1
        self.out.reviews += reviews.matrix.shape[0]
        self.out.criterion_scores += int(reviews.matrix.size)
        if stop == CaseState.APPROVAL:
            return False
        return self._decide(rnd, final)

    def _self_assessment(self, rnd: int, stop: CaseState | None) -> bool:
        """The round opens; the provider submits the self-assessment (False: the case stops
        before)."""
        w = self.w
        self.step(1 / 1440)
        self.move(
            CaseState.SELF_ASSESSMENT,
            {"elements_present": 11} if rnd == 1 else {"new_round": rnd},
            rnd=rnd,
        )
        if stop == CaseState.SELF_ASSESSMENT:
            self.due_at = self.clock + timedelta(days=30)
            return False
        sa_id = w.ids.take(SelfAssessment)
        self.step(_lognormal(self.rng, 14, 0.6))
        sscores = w.self_scores(self.q, saved_id(self.inst), self.stackable)
        entries: dict[str, dict[str, Any]] = {
            c: {"score": None, "narrative": "", "evidence": []} for c in w.sa_criteria
        }
        for j, c in enumerate(w.fast.reviewer_ids):
            entries[c] = {
                "score": int(sscores[j]),
                "narrative": "See the evidence linked.",
                "evidence": [],
            }
        self.rows["self_assessment"].append(
            {
                "id": sa_id,
                "case_id": self.kid,
                "round": rnd,
                "entries": entries,
                "summary": "Summary of the self-assessment.",
                "status": SelfAssessmentStatus.SUBMITTED,
                "updated_at": self.clock,
                "submitted_at": self.clock,
                "version": 1,
            }
        )
        self.move(CaseState.ASSIGNMENT, actor=self.provider, rnd=rnd)
        return True

    def _invite(self, rnd: int) -> _Panel:
        """Two reviewers of other institutions are invited; one who declines is replaced from the
        reserve."""
        w, rng = self.w, self.rng
        pool = w.pool_for[saved_id(self.inst)]
        picks = [int(x) for x in rng.choice(pool, 4, replace=False)]
        reviewers, spare = picks[:2], picks[2:]
        invited = self.step(_lognormal(rng, 2, 0.6))
        officer = str(rng.choice(w.officers))
        live = []
        for r in reviewers:
            if rng.random() < 0.08:  # declined, replaced by a spare reviewer
                a_id = w.ids.take(Assignment)
                responded = invited + timedelta(days=_lognormal(rng, 1.5, 0.5))
                self.rows["assignment"].append(
                    _assignment(
                        a_id,
                        self.kid,
                        rnd,
                        r,
                        AssignmentStatus.DECLINED,
                        officer,
                        invited,
                        responded,
                        None,
                        "workload",
                    )
                )
                r = spare.pop()
                inv2 = responded + timedelta(hours=2)
            else:
                inv2 = invited
            live.append((r, inv2))
        return _Panel(officer, pool, live, spare)

    def _peer_review(self, rnd: int, panel: _Panel, *, stopped: bool) -> _Reviews | None:
        """The reviewers accept and review (None: an open case stopped in peer review, some reviews
        missing)."""
        w, rng, until = self.w, self.rng, self.run.until
        accepted_at = []
        for _r, inv in panel.live:
            accepted_at.append(inv + timedelta(days=_lognormal(rng, 1.5, 0.6)))
        self.step(
            max((a - self.clock).total_seconds() / DAY for a in accepted_at) if accepted_at else 0
        )
        self.move(
            CaseState.PEER_REVIEW, {"reviewers": len(panel.live)}, actor=panel.officer, rnd=rnd
        )
        review_matrix, recs, submitted_times = [], [], []
        for (r, inv), acc in zip(panel.live, accepted_at, strict=True):
            a_id = w.ids.take(Assignment)
            due = inv + timedelta(days=7 + 21)  # set at the invitation, as the engine does
            took = _lognormal(rng, 15, 0.45)
            sub = acc + timedelta(days=took)
            if stopped and (sub > until or rng.random() < 0.5):
                self.rows["assignment"].append(
                    _assignment(
                        a_id,
                        self.kid,
                        rnd,
                        r,
                        AssignmentStatus.ACCEPTED,
                        panel.officer,
                        inv,
                        acc,
                        due,
                        "",
                        reminders=int(until > due),
                    )
                )
                continue
            scores = w.review_scores(self.q, saved_id(self.inst), r, self.stackable)
            self.rows["assignment"].append(
                _assignment(
                    a_id,
                    self.kid,
                    rnd,
                    r,
                    AssignmentStatus.SUBMITTED,
                    panel.officer,
                    inv,
                    acc,
                    due,
                    "",
                    reminders=int(sub > due),
                )
            )
            rec = w.recommendation(scores)
            self.rows["review"].append(
                _review(w, a_id, self.kid, rnd, r, scores, rec, sub, self.run.snap_hash)
            )
            review_matrix.append(scores)
            recs.append(rec)
            submitted_times.append(sub)
        if stopped:
            return None
        self.clock = max(submitted_times)
        return _Reviews(np.stack(review_matrix), recs)

    def _consolidate(
        self, rnd: int, panel: _Panel, reviews: _Reviews
    ) -> tuple[dict[str, Any], _Reviews]:
        """Consolidation; a disagreement calls in a third reviewer once, then consolidates again.
        The case goes to approval; returns the final consolidation and every review of the
        round."""
        w = self.w
        self.step(1 / 1440)
        self.move(CaseState.CONSOLIDATION, rnd=rnd)
        automated = {"eu-elements": 11, "eu-optional-elements": self.optional}
        passes = [w.fast.consolidate(reviews.matrix, automated, reviews.recommendations)]
        if passes[0]["disagreement"] and self.extra < 1:
            self.extra += 1
            self.move(
                CaseState.PEER_REVIEW,
                {"extra_reviewer": True, "disagreement": passes[0]["disagreement"], "required": 3},
                rnd=rnd,
            )
            reviews = self._extra_review(rnd, panel, reviews)
            self.step(1 / 1440)
            self.move(CaseState.CONSOLIDATION, rnd=rnd)
            passes.append(w.fast.consolidate(reviews.matrix, automated, reviews.recommendations))
        final = passes[-1]
        for p, data_ in enumerate(passes, start=1):
            self.rows["consolidation"].append(
                {
                    "id": w.ids.take(Consolidation),
                    "case_id": self.kid,
                    "round": rnd,
                    "pass_no": p,
                    "data": data_,
                    "overall": data_["overall"],
                    "agreement": data_["agreement"],
                    "recommended_outcome": data_["recommended_outcome"],
                    "disagreement": bool(data_["disagreement"]),
                    "created_at": self.clock,
                }
            )
        self.step(1 / 1440)
        self.move(
            CaseState.APPROVAL,
            {
                "overall": final["overall"],
                "agreement": final["agreement"],
                "recommended": final["recommended_outcome"],
                "pass": len(passes),
            },
            rnd=rnd,
        )
        return final, reviews

    def _extra_review(self, rnd: int, panel: _Panel, reviews: _Reviews) -> _Reviews:
        """A third reviewer, not yet in this round, reviews (recommending what the first did)."""
        w, rng = self.w, self.rng
        used = set()
        for a in reversed(self.rows["assignment"]):  # this round's assignments are the last ones
            if (a["case_id"], a["round"]) != (self.kid, rnd):
                break
            used.add(a["reviewer_id"])
        r = panel.spare.pop() if panel.spare else int(rng.choice(panel.pool))
        while r in used:
            r = int(rng.choice(panel.pool))
        inv = self.step(1 / 24)
        acc = inv + timedelta(days=_lognormal(rng, 1.5, 0.6))
        sub = acc + timedelta(days=_lognormal(rng, 12, 0.45))
        a_id = w.ids.take(Assignment)
        scores = w.review_scores(self.q, saved_id(self.inst), r, self.stackable)
        rec = reviews.recommendations[0]
        self.rows["assignment"].append(
            _assignment(
                a_id,
                self.kid,
                rnd,
                r,
                AssignmentStatus.SUBMITTED,
                panel.officer,
                inv,
                acc,
                inv + timedelta(days=7 + 21),
                "",
                reminders=0,
            )
        )
        self.rows["review"].append(
            _review(w, a_id, self.kid, rnd, r, scores, rec, sub, self.run.snap_hash)
        )
        self.clock = sub
        return _Reviews(np.vstack([reviews.matrix, scores]), [*reviews.recommendations, rec])

    def _decide(self, rnd: int, final: dict[str, Any]) -> bool:
        """The board decides and the reports follow; True when a revision opens another round."""
        w, rng = self.w, self.rng
        decided_at = self.step(_lognormal(rng, 6, 0.6))
        outcome, conditions = w.decide(final["recommended_outcome"], final_round=rnd >= 2)
        self.outcome = outcome
        approver = int(rng.choice(w.approvers))
        d_id = w.ids.take(Decision)
        self.rows["decision"].append(
            {
                "id": d_id,
                "case_id": self.kid,
                "round": rnd,
                "outcome": outcome,
                "rationale": f"Decided on the consolidated review ({final['overall']:.2f}).",
                "conditions": conditions,
                "decided_by_id": approver,
                "decided_at": decided_at,
                "valid_until": decided_at + timedelta(days=1095) if outcome in APPROVING else None,
            }
        )
        self.move(
            CaseState.REPORTING,
            {"decision_id": d_id, "outcome": outcome, "conditions": conditions},
            actor=f"approver-{approver}",
            rnd=rnd,
        )
        self.step(3 / 1440)
        if outcome == Outcome.REVISION_REQUESTED:
            return True
        self.move(CaseState.CLOSED, {"outcome": outcome, "decision_id": d_id}, rnd=rnd)
        return False

    # ---- the case row
    def _case_row(self, rnd: int) -> None:
        closed = self.state == CaseState.CLOSED
        self.rows["qa_case"].append(
            {
                "id": self.kid,
                "credential_id": self.cid,
                "credential_version_id": self.cv_current,
                "rubric_snapshot_id": self.run.snap_id,
                "institution_id": saved_id(self.inst),
                "state": self.state,
                "round": max(rnd, 1),
                "outcome": self.outcome if closed else None,
                "screening_problems": self.screening_problems,
                "previous_case_id": None,
                "opened_by_id": None,
                "opened_at": self.t0,
                "state_since": self.clock,
                "due_at": self.due_at,
                "closed_at": self.clock if closed else None,
                "extra_reviewers_requested": self.extra,
                "version": 1,
            }
        )
        self.rows["events"].extend(self.events)
        out = self.out
        out.first_at = min(out.first_at or self.t0, self.t0)
        out.last_at = max(out.last_at or self.clock, self.clock)


def _assignment(
    a_id: int,
    case_id: int,
    rnd: int,
    reviewer: int,
    status: AssignmentStatus,
    officer: str,
    invited: datetime,
    responded: datetime,
    due: datetime | None,
    decline: str,
    reminders: int = 0,
) -> dict[str, Any]:
    return {
        "id": a_id,
        "case_id": case_id,
        "round": rnd,
        "reviewer_id": reviewer,
        "status": status,
        "reason": "",
        "assigned_by": officer,
        "invited_at": invited,
        "responded_at": responded,
        "respond_by": invited + timedelta(days=7),
        "due_at": due,
        "decline_reason": decline,
        "reminders_sent": reminders,
        "version": 1,
    }


def _review(
    w: _Alliance,
    a_id: int,
    case_id: int,
    rnd: int,
    reviewer: int,
    scores: np.ndarray,
    rec: str,
    submitted: datetime,
    rubric_hash: str,
) -> dict[str, Any]:
    return {
        "id": w.ids.take(Review),
        "assignment_id": a_id,
        "case_id": case_id,
        "round": rnd,
        "reviewer_id": reviewer,
        "scores": {c: int(s) for c, s in zip(w.fast.reviewer_ids, scores, strict=True)},
        "comments": {},
        "recommendation": rec,
        "overall_comment": "Reviewed against the rubric.",
        "status": ReviewStatus.SUBMITTED,
        "rubric_hash": rubric_hash,
        "updated_at": submitted,
        "submitted_at": submitted,
        "version": 1,
    }
