"""Simulated people acting on live cases through the real services.

Providers write self-assessments; reviewers accept or decline invitations (some declines declare
a conflict of interest), some are late (they submit only once their due date has passed and a
reminder came, or never, until the sweep replaces them) and score with a personal bias and
per-criterion noise; in some rounds one reviewer reads a few criteria very differently, so the
engine flags a disagreement and asks for an extra reviewer; QA officers confirm the engine's batch
assignment; approvers decide near the recommended outcome, sometimes with conditions, sometimes
asking for a revision.

Every choice is drawn from a generator keyed by the alliance's seed and by what is decided (the
credential's reference, the round, the reviewer's username), so a run gives the same result
whatever the database, its ids or the order in which cases are handled. A *plan* per case fixes
its outcome where a fixed spread is wanted (the demo); rates govern the rest.

behaviour = alliance.behaviour(staff, rates=Rates(decline_rate=0.2))
behaviour.self_assess(session, case_ids)
behaviour.assign(session, case_ids)          # the QA officer confirms the engine's proposals
behaviour.review_wave(session, case_ids)     # answer invitations, submit the reviews that are due
behaviour.decide(session, case_ids)
behaviour.run(case_ids, uow=…, advance=…, sweep=…)   # all of it, round after round
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlmodel import Session

from qa_engine.domain import clock
from qa_engine.domain.case_states import REVIEWING, CaseState
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.statuses import OPEN_ASSIGNMENT, AssignmentStatus
from qa_engine.services import assignments, decisions, reviews, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services.context import now, set_clock, workflow_settings
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Case, Credential, User
from qa_engine.synthetic.pace import OFFICER_HOURS, lognormal
from qa_engine.synthetic.people import pick
from qa_engine.synthetic.tables import (
    CLAIMS,
    CONDITIONS,
    DECLINE_CONFLICT,
    DECLINE_OTHER,
    NOISY,
    RATIONALES,
    REMARKS,
    REVISIONS,
    member_for,
)

if TYPE_CHECKING:
    from qa_engine.synthetic.alliance import Staff, SyntheticAlliance

# What a plan makes of a case: the quality the reviewers see in each round, and the decisions.
PLANS = (
    "approved",
    "approved_with_conditions",
    "revision_then_approved",
    "rejected",
    "disagreement",
)
_PLAN_QUALITY = {
    "approved": (3.6,),
    "approved_with_conditions": (2.8,),
    "revision_then_approved": (1.7, 3.6),
    "rejected": (0.8,),
    "disagreement": (3.2,),
}
_ORDER = [o.value for o in Outcome]  # best to worst
_ZIPF = np.array([1 / (k + 1) for k in range(len(CONDITIONS))])
_ZIPF = _ZIPF / _ZIPF.sum()


@dataclass(frozen=True)
class Rates:
    """How often the simulated people do what (probabilities, 0 to 1)."""

    decline_rate: float = 0.12  # an invitation is declined
    conflict_share: float = 0.4  # of the declines: with a conflict of interest declared
    late_rate: float = 0.15  # an accepted review is late
    no_show_share: float = (
        0.3  # of the late reviews: never submitted (the sweep replaces the reviewer)
    )
    disagreement_rate: float = (
        0.2  # a round in which one reviewer reads some criteria very differently
    )
    deviation_rate: float = 0.2  # the approver departs one step from the recommended outcome
    improvement: float = 0.7  # quality gained by a revision (scale points)
    max_rounds: int = 2  # a revision request in this round becomes conditions or a rejection

    def __post_init__(self) -> None:
        for name in (
            "decline_rate",
            "conflict_share",
            "late_rate",
            "no_show_share",
            "disagreement_rate",
            "deviation_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability (0 to 1), not {value}")
        if self.max_rounds < 1:
            raise ValueError("max_rounds is at least 1")


@dataclass(frozen=True)
class Timing:
    """Simulated days between the steps of a round (the engine's clock moves only with
    `manage_clock`)."""

    self_assessment: float = 14
    response: float = 3
    review: float = 12
    decision: float = 6


SIMULATED_SPAN_DAYS = 150  # how long ago a call simulated without a start begins


@dataclass
class WaveResult:
    accepted: int = 0
    declined: int = 0
    conflicts: int = 0
    submitted: int = 0
    waiting: int = 0  # accepted reviews not submitted in this wave (late)

    @property
    def acted(self) -> int:
        return self.accepted + self.declined + self.submitted


@dataclass(frozen=True)
class CaseView:
    """What the simulated people know of a case."""

    case: Case
    reference: str
    institution: str
    data: dict[str, Any]
    rubric: Rubric
    plan: str | None

    @property
    def round(self) -> int:
        return self.case.round

    @property
    def case_id(self) -> int:
        return saved_id(self.case)


@dataclass
class _Contest:
    criteria: list[str] = field(default_factory=list)


UnitOfWork = Callable[[], AbstractContextManager[Session]]


class Behaviour:
    def __init__(
        self,
        alliance: SyntheticAlliance,
        staff: Staff,
        *,
        rates: Rates | None = None,
        plans: Mapping[int, str] | None = None,
        manage_clock: bool = False,
        timing: Timing | None = None,
    ) -> None:
        self.alliance = alliance
        self.staff = staff
        self.rates = rates or Rates()
        self.plans = dict(plans or {})
        unknown = sorted(set(self.plans.values()) - set(PLANS))
        if unknown:
            raise ValueError(f"unknown plan(s) {', '.join(unknown)}; plans are {', '.join(PLANS)}")
        self.manage_clock = manage_clock
        self.timing = timing or Timing()
        self._rubrics: dict[int, Rubric] = {}
        self._codes: dict[int, str] = {}
        self._cache: dict[tuple[str, ...], float] = {}

    def rng(self, *parts: object) -> np.random.Generator:
        return self.alliance.rng("behaviour", *parts)

    # ------------------------------------------------------------------ what people know

    def view(self, session: Session, case: Case) -> CaseView:
        if case.rubric_snapshot_id not in self._rubrics:
            self._rubrics[case.rubric_snapshot_id] = case_service.rubric_of(session, case)
        if case.institution_id not in self._codes:
            self._codes.update({saved_id(i): i.code for i in repo.list_institutions(session)})
        data = case_service.credential_version_of(session, case).data
        credential = get_or_raise(session, Credential, case.credential_id, what="credential")
        return CaseView(
            case,
            credential.reference,
            self._codes[case.institution_id],
            data,
            self._rubrics[case.rubric_snapshot_id],
            self.plans.get(saved_id(case)),
        )

    def _views(
        self, session: Session, case_ids: Iterable[int], states: Sequence[str]
    ) -> list[CaseView]:
        return [
            self.view(session, c)
            for c in case_repo.list_cases(session, case_ids=list(case_ids), states=list(states))
        ]

    def _actor(self, session: Session, user_id: int) -> Actor:
        known = self.staff.actor(user_id)
        if known:
            return known
        return repo.actor_for(session, get_or_raise(session, User, user_id, what="user"))

    def _provider(self, session: Session, institution_id: int) -> Actor:
        try:
            return self.staff.provider_for(institution_id)
        except LookupError:  # an institution outside these staff: any provider account of it
            user = next(
                (
                    u
                    for u in repo.users_with_role(session, Role.PROVIDER)
                    if u.institution_id == institution_id
                ),
                None,
            )
            if user is None:
                raise
            return repo.actor_for(session, user)

    # ------------------------------------------------------------------ the hidden truth

    def quality(self, view: CaseView) -> float:
        """The credential's quality in this round on the rubric's 0-4 scale, as reviewers would see
        it."""
        if view.plan:
            levels = _PLAN_QUALITY[view.plan]
            return levels[min(view.round, len(levels)) - 1]
        base = 2.75 + 0.55 * float(self.rng("quality", view.reference).standard_normal())
        return base + self.rates.improvement * (view.round - 1)

    def _normal(self, sd: float, *key: str) -> float:
        if key not in self._cache:
            self._cache[key] = sd * float(self.rng(*key).standard_normal())
        return self._cache[key]

    def _difficulty(self, criterion_id: str) -> float:
        return self._normal(0.3, "criterion", criterion_id)

    def _institution_effect(self, code: str) -> float:
        return self._normal(0.2, "institution", code)

    def reviewer_bias(self, username: str) -> float:
        """How much more (or less) generous than the anchor this reviewer is, in scale points."""
        return self._normal(0.25, "bias", username)

    def anchors(self, view: CaseView) -> dict[str, int]:
        """The score a careful reviewer would give each scale criterion."""
        q = self.quality(view) + (0.0 if view.plan else self._institution_effect(view.institution))
        out = {}
        for rc in view.rubric.reviewer_criteria:
            if rc.criterion.kind == "scale":
                lo, hi = view.rubric.score_range(rc.criterion)
                out[rc.id] = int(np.clip(round(q + self._difficulty(rc.id)), lo, hi))
        return out

    def contest(self, view: CaseView) -> _Contest:
        """Whether one reviewer of this round reads some criteria very differently, and which."""
        rng = self.rng("contest", view.reference, view.round)
        draw = float(rng.random())
        contested = (
            (view.plan == "disagreement" and view.round == 1)
            if view.plan
            else draw < self.rates.disagreement_rate
        )
        if not contested:
            return _Contest()
        scale = [rc.id for rc in view.rubric.reviewer_criteria if rc.criterion.kind == "scale"]
        weights = np.array([3.0 if c in NOISY else 1.0 for c in scale])
        k = min(len(scale), int(rng.integers(1, 4)))
        return _Contest(
            sorted(str(c) for c in rng.choice(scale, k, replace=False, p=weights / weights.sum()))
        )

    def punctuality(self, view: CaseView, username: str) -> str:
        """on_time, late (submits after the due date once reminded) or no_show (never submits)."""
        draw = float(self.rng("punctuality", view.reference, view.round, username).random())
        if draw < self.rates.late_rate * self.rates.no_show_share:
            return "no_show"
        return "late" if draw < self.rates.late_rate else "on_time"

    def review_scores(self, view: CaseView, username: str, position: int) -> dict[str, int]:
        """A reviewer's scores: the anchor, moved by their bias and the criterion's noise, within
        the disagreement threshold of the anchor, except where this round is contested and this
        review is the second one submitted (position 1)."""
        rng = self.rng("review", view.reference, view.round, username)
        threshold = workflow_settings().disagreement_threshold
        width = int(math.floor(threshold / 2))
        bias = self.reviewer_bias(username)
        anchors = self.anchors(view)
        contest = self.contest(view)
        out: dict[str, int] = {}
        for rc in view.rubric.reviewer_criteria:
            c = rc.criterion
            if c.kind == "yes_no":
                out[rc.id] = int(view.data.get("stackability") == "stackable")
                continue
            if c.kind != "scale":
                continue
            lo, hi = view.rubric.score_range(c)
            a = anchors[rc.id]
            noise = NOISY.get(rc.id, 0.45) * float(rng.standard_normal())
            score = int(np.clip(round(a + bias + noise), max(lo, a - width), min(hi, a + width)))
            if rc.id in contest.criteria:
                gap = min(hi - lo, int(math.floor(threshold)) + 1)
                low = int(np.clip(a - gap // 2, lo, hi - gap))
                near, far = (
                    (low, low + gap) if abs(a - low) <= abs(a - low - gap) else (low + gap, low)
                )
                score = far if position == 1 else near
            out[rc.id] = score
        return out

    def recommendation(self, view: CaseView, scores: Mapping[str, int]) -> str:
        """The reviewer's own overall recommendation: the rubric's threshold for their mean
        score."""
        shares = []
        for rc in view.rubric.reviewer_criteria:
            if rc.criterion.kind == "scale" and rc.id in scores:
                lo, hi = view.rubric.score_range(rc.criterion)
                shares.append((scores[rc.id] - lo) / (hi - lo) if hi > lo else 1.0)
        share = sum(shares) / len(shares) if shares else 0.0
        for t in sorted(view.rubric.thresholds, key=lambda t: -t.min_score):
            if share + 1e-12 >= t.min_score:
                return t.outcome.value
        return Outcome.REJECTED.value

    def outcome_for(self, view: CaseView, recommended: str | None) -> str:
        """What the approver decides: the plan's outcome, or near the recommended one."""
        rec = recommended if recommended in _ORDER else Outcome.REVISION_REQUESTED.value
        if view.plan == "revision_then_approved":
            return Outcome.REVISION_REQUESTED.value if view.round == 1 else Outcome.APPROVED.value
        if view.plan == "disagreement":
            return (
                rec
                if rec in (Outcome.APPROVED.value, Outcome.APPROVED_WITH_CONDITIONS.value)
                else Outcome.APPROVED_WITH_CONDITIONS.value
            )
        if view.plan:
            return view.plan
        rng = self.rng("decide", view.reference, view.round)
        k = _ORDER.index(rec)
        if float(rng.random()) < self.rates.deviation_rate:
            k = int(np.clip(k + (1 if rng.random() < 0.5 else -1), 0, len(_ORDER) - 1))
        outcome = _ORDER[k]
        if outcome == Outcome.REVISION_REQUESTED.value and view.round >= self.rates.max_rounds:
            outcome = (
                Outcome.APPROVED_WITH_CONDITIONS.value
                if rng.random() < 0.6
                else Outcome.REJECTED.value
            )
        return outcome

    # ------------------------------------------------------------------ providers

    def self_assessment(self, view: CaseView) -> tuple[dict[str, dict[str, Any]], str]:
        """The provider's entries (optimistic by a third of a level) and summary."""
        rng = self.rng("self-assessment", view.reference, view.round)
        anchors = self.anchors(view)
        domain = member_for(view.institution).domain
        entries: dict[str, dict[str, Any]] = {}
        for rc in view.rubric.reviewer_criteria:
            c = rc.criterion
            if c.kind == "scale":
                lo, hi = view.rubric.score_range(c)
                score = int(
                    np.clip(
                        round(anchors[rc.id] + 0.35 + 0.5 * float(rng.standard_normal())), lo, hi
                    )
                )
                entries[rc.id] = {
                    "score": score,
                    "narrative": f"{c.title} {pick(rng, CLAIMS)}; see the evidence linked.",
                    "evidence": [f"https://{domain}/mc/{view.reference}/{rc.id}"],
                }
            elif c.kind == "yes_no":
                stackable = view.data.get("stackability") == "stackable"
                towards = view.data.get("stackable_towards")
                entries[rc.id] = {
                    "score": stackable,
                    "narrative": f"Stackable towards {towards}."
                    if stackable and towards
                    else "Stackable as published."
                    if stackable
                    else "Offered as a stand-alone credential.",
                }
            elif c.kind == "text":
                entries[rc.id] = {"narrative": "Nothing to add."}
        summary = (
            f"Self-assessment of {view.data.get('title', view.reference)}, round {view.round}: "
            f"{len(entries)} criteria addressed with evidence."
        )
        return entries, summary

    def self_assess(self, session: Session, case_ids: Iterable[int]) -> int:
        """Each case waiting for its self-assessment gets one from its institution's provider; how
        many."""
        done = 0
        for view in self._views(session, case_ids, (CaseState.SELF_ASSESSMENT,)):
            entries, summary = self.self_assessment(view)
            self_assessments.save_self_assessment(
                session=session,
                actor=self._provider(session, view.case.institution_id),
                case_id=saved_id(view.case),
                entries=entries,
                summary=summary,
                submit=True,
            )
            done += 1
        return done

    # ------------------------------------------------------------------ QA officers

    def assign(self, session: Session, case_ids: Iterable[int]) -> int:
        """The QA officer confirms the engine's batch proposal for every case that lacks reviewers;
        return how many invitations went out."""
        needing = [
            saved_id(c)
            for c in case_repo.list_cases(session, case_ids=list(case_ids), states=REVIEWING)
            if assignments.case_need(session, c).needed > 0
        ]
        if not needing:
            return 0
        plans = assignments.auto_assign(session=session, case_ids=needing, actor=self.staff.officer)
        return sum(len(p.proposals) for p in plans.values())

    # ------------------------------------------------------------------ reviewers

    def review_entries(
        self, view: CaseView, username: str, position: int
    ) -> tuple[dict[str, dict[str, Any]], str, str]:
        """(entries, recommendation, overall comment) of one review."""
        rng = self.rng("comments", view.reference, view.round, username)
        scores = self.review_scores(view, username, position)
        entries: dict[str, dict[str, Any]] = {}
        for rc in view.rubric.reviewer_criteria:
            c = rc.criterion
            if c.kind == "scale":
                lo, hi = view.rubric.score_range(c)
                level = view.rubric.scale_of_scored(c).level(scores[rc.id])
                band = (
                    "high"
                    if scores[rc.id] >= hi - 1
                    else "low"
                    if scores[rc.id] <= lo + 1
                    else "mid"
                )
                text = (
                    f"{level.descriptor} {pick(rng, REMARKS[band])}"
                    if level
                    else pick(rng, REMARKS[band])
                )
                entries[rc.id] = {"score": scores[rc.id], "comment": text}
            elif c.kind == "yes_no":
                entries[rc.id] = {
                    "score": bool(scores[rc.id]),
                    "comment": "Checked against the published description.",
                }
            elif c.kind == "text":
                entries[rc.id] = {"comment": "No further remarks."}
        rec = self.recommendation(view, scores)
        titled = {rc.id: rc.criterion.title for rc in view.rubric.reviewer_criteria}
        scale = {rc.id for rc in view.rubric.reviewer_criteria if rc.criterion.kind == "scale"}
        ranked = sorted((s, cid) for cid, s in scores.items() if cid in scale)
        overall = (
            (
                f"Recommendation: {Outcome(rec).label}. Strongest: {titled[ranked[-1][1]]}; "
                f"weakest: {titled[ranked[0][1]]}."
            )
            if ranked
            else f"Recommendation: {Outcome(rec).label}."
        )
        return entries, rec, overall

    def decline(self, view: CaseView, username: str) -> tuple[bool, bool, str]:
        """(declines, declares a conflict, reason) for an invitation."""
        rng = self.rng("respond", view.reference, view.round, username)
        if float(rng.random()) >= self.rates.decline_rate:
            return False, False, ""
        conflict = float(rng.random()) < self.rates.conflict_share
        return True, conflict, pick(rng, DECLINE_CONFLICT if conflict else DECLINE_OTHER)

    def review_wave(self, session: Session, case_ids: Iterable[int]) -> WaveResult:
        """Reviewers answer every open invitation, then submit the reviews that are due from them:
        on-time reviewers at once, late ones only after their due date has passed and a reminder
        came, no-shows never."""
        result = WaveResult()
        ids = list(case_ids)
        for view in self._views(session, ids, REVIEWING):
            for a in case_repo.assignments_of(
                session, view.case_id, view.round, statuses=(AssignmentStatus.INVITED,)
            ):
                who = self._actor(session, a.reviewer_id)
                declines, conflict, reason = self.decline(view, who.username)
                assignments.respond(
                    session=session,
                    actor=who,
                    assignment_id=saved_id(a),
                    accept=not declines,
                    conflict=conflict,
                    reason=reason,
                )
                if declines:
                    result.declined += 1
                    result.conflicts += conflict
                else:
                    result.accepted += 1
        if result.accepted:
            self.pass_days(self.timing.review)
        for view in self._views(session, ids, (CaseState.PEER_REVIEW,)):
            for a in case_repo.assignments_of(
                session, view.case_id, view.round, statuses=(AssignmentStatus.ACCEPTED,)
            ):
                who = self._actor(session, a.reviewer_id)
                punctuality = self.punctuality(view, who.username)
                reminded_late = a.due_at is not None and now() >= a.due_at and a.reminders_sent > 0
                if not (punctuality == "on_time" or (punctuality == "late" and reminded_late)):
                    result.waiting += 1
                    continue
                position = case_repo.submitted_review_count(session, view.case_id, view.round)
                entries, rec, overall = self.review_entries(view, who.username, position)
                reviews.save_review(
                    session=session,
                    actor=who,
                    assignment_id=saved_id(a),
                    entries=entries,
                    recommendation=rec,
                    overall_comment=overall,
                    submit=True,
                )
                result.submitted += 1
        return result

    # ------------------------------------------------------------------ approvers

    def decide(self, session: Session, case_ids: Iterable[int]) -> dict[int, str]:
        """An approver decides every case waiting for approval; case → outcome."""
        out: dict[int, str] = {}
        for view in self._views(session, case_ids, (CaseState.APPROVAL,)):
            cons = case_repo.latest_consolidation(session, view.case_id, view.round)
            outcome = self.outcome_for(view, cons.recommended_outcome if cons else None)
            rng = self.rng("decision-text", view.reference, view.round)
            conditions: list[str] = []
            if outcome == Outcome.APPROVED_WITH_CONDITIONS.value:
                k = int(rng.integers(1, 4))
                conditions = [str(c) for c in rng.choice(CONDITIONS, k, replace=False, p=_ZIPF)]
            elif outcome == Outcome.REVISION_REQUESTED.value:
                conditions = [
                    str(c) for c in rng.choice(REVISIONS, int(rng.integers(1, 3)), replace=False)
                ]
            overall = (
                f"{cons.overall:.2f}" if cons and cons.overall is not None else "not available"
            )
            rationale = RATIONALES[outcome].format(overall=overall)
            if view.case.extra_reviewers_requested:
                rationale += (
                    " The reviewers disagreed; the extra review was weighed with the others."
                )
            approver = self.staff.approvers[int(rng.integers(len(self.staff.approvers)))]
            decisions.decide(
                session=session,
                actor=approver,
                case_id=view.case_id,
                outcome=outcome,
                rationale=rationale,
                conditions=conditions,
            )
            out[view.case_id] = outcome
        return out

    # ------------------------------------------------------------------ time

    def officer_delay_days(self, round_no: int) -> float:
        """How long the QA officer takes to confirm the reviewer proposals (hours, seeded)."""
        median, sigma = OFFICER_HOURS
        draw = float(self.rng("officer-delay", round_no).normal())
        return lognormal(draw, median, sigma) / 24

    def pass_days(self, days: float) -> None:
        """Move the engine's clock on (only when this behaviour manages it)."""
        if self.manage_clock and days:
            clock.advance_to(now() + timedelta(days=days))

    def next_deadline(self, session: Session, case_ids: Iterable[int]) -> datetime | None:
        """When the sweep next has something to do for these cases' open assignments (a reminder
        after the due date, a replacement, an unanswered invitation), or None."""
        settings = workflow_settings()
        t = now()
        times = []
        for case in case_repo.list_cases(session, case_ids=list(case_ids), states=REVIEWING):
            for a in case_repo.assignments_of(
                session, saved_id(case), case.round, statuses=OPEN_ASSIGNMENT
            ):
                if a.status == AssignmentStatus.INVITED and a.respond_by is not None:
                    times.append(a.respond_by)
                elif a.status == AssignmentStatus.ACCEPTED and a.due_at is not None:
                    marks = [
                        a.due_at + timedelta(days=d) for d in settings.reminders.days_after_due
                    ]
                    if settings.replace_after_days_overdue > 0:
                        marks.append(a.due_at + timedelta(days=settings.replace_after_days_overdue))
                    ahead = [m for m in marks if m > t]
                    times.append(min(ahead) if ahead else t)
        return max(min(times), t) + timedelta(minutes=1) if times else None

    @staticmethod
    def overdue(session: Session, case_ids: Iterable[int]) -> int:
        """How many open assignments of these cases are past their due date (or answer-by date)."""
        t = now()
        count = 0
        for case in case_repo.list_cases(session, case_ids=list(case_ids), states=REVIEWING):
            for a in case_repo.assignments_of(
                session, saved_id(case), case.round, statuses=OPEN_ASSIGNMENT
            ):
                deadline = a.respond_by if a.status == AssignmentStatus.INVITED else a.due_at
                count += deadline is not None and deadline <= t
        return count

    # ------------------------------------------------------------------ a whole call

    def run(
        self,
        case_ids: Iterable[int],
        *,
        uow: UnitOfWork,
        advance: Callable[[list[int]], Any],
        sweep: Callable[[], Any] | None = None,
        max_waves: int = 12,
        start: datetime | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> list[str]:
        """Route the cases round after round until each is decided (or stuck), the engine's
        automated stages in between: `uow()` is a unit of work (a context manager yielding a
        session, committed on exit), `advance(ids)` runs the automated stages of those cases,
        `sweep()` the scheduled sweep. With `manage_clock` the engine's clock starts at `start`
        (default: the simulated time already set, else `SIMULATED_SPAN_DAYS` ago), moves on by
        the `Timing` between steps and jumps to the next deadline when only late reviewers are
        left, never past the real now; it returns to real time at the end. Returns the steps, in
        words."""
        steps: list[str] = []

        def say(message: str) -> None:
            steps.append(message)
            if on_step:
                on_step(message)

        ids = list(case_ids)
        if self.manage_clock and start is not None:
            set_clock(start)
        elif self.manage_clock and not clock.simulated():
            # the clock never runs ahead of the real now: a call simulated from here on starts
            # in the past (set the clock before opening the cases to keep their history in order)
            set_clock(now() - timedelta(days=SIMULATED_SPAN_DAYS))
        if self.manage_clock and not clock.paced():
            clock.set_pace(self.alliance.pace())  # the engine's own steps take time too
        try:
            for round_no in range(1, self.rates.max_rounds + 2):
                live = self._in_state(uow, ids, (CaseState.SELF_ASSESSMENT,))
                if not live:
                    break
                say(f"round {round_no}: providers write {len(live)} self-assessment(s)")
                self.pass_days(self.timing.self_assessment)
                with uow() as s:
                    self.self_assess(s, live)
                advance(live)
                say(f"round {round_no}: the QA officer confirms the engine's reviewer proposals")
                self.pass_days(self.officer_delay_days(round_no))
                with uow() as s:
                    self.assign(s, live)
                advance(live)
                self._review_waves(
                    live,
                    uow=uow,
                    advance=advance,
                    sweep=sweep,
                    max_waves=max_waves,
                    say=say,
                    round_no=round_no,
                )
                waiting = self._in_state(uow, live, (CaseState.APPROVAL,))
                if waiting:
                    say(f"round {round_no}: the QA board decides {len(waiting)} case(s)")
                    self.pass_days(self.timing.decision)
                    with uow() as s:
                        self.decide(s, waiting)
                    advance(waiting)
        finally:
            if self.manage_clock:
                set_clock(None)
        return steps

    def _review_waves(
        self,
        live: list[int],
        *,
        uow: UnitOfWork,
        advance: Callable[[list[int]], Any],
        sweep: Callable[[], Any] | None,
        max_waves: int,
        say: Callable[[str], None],
        round_no: int,
    ) -> None:
        for wave in range(1, max_waves + 1):
            pending = self._in_state(uow, live, REVIEWING)
            if not pending:
                return
            say(
                f"round {round_no}, wave {wave}: reviewers answer and score "
                f"({len(pending)} case(s) in review)"
            )
            self.pass_days(self.timing.response)
            with uow() as s:
                result = self.review_wave(s, pending)
            with uow() as s:
                invited = self.assign(s, pending)  # replacements for those who declined
            advance(
                pending
            )  # consolidation (an extra reviewer on disagreement), invitations delivered
            with uow() as s:
                invited += self.assign(s, pending)
            if not (self.manage_clock and sweep is not None):
                if result.acted or invited:
                    continue
                return  # only late reviewers are left, and time does not pass here
            with uow() as s:
                overdue = self.overdue(s, pending)
            if overdue:
                say(
                    f"round {round_no}: {now():%Y-%m-%d}, {overdue} review(s) overdue; "
                    "the sweep reminds and replaces"
                )
                sweep()
                with uow() as s:
                    invited += self.assign(s, pending)
            if result.acted or invited:
                continue
            with uow() as s:
                when = self.next_deadline(s, pending)
            if when is None:
                return
            when = clock.advance_to(when)  # never past the real now
            say(
                f"round {round_no}: {when:%Y-%m-%d}, deadlines pass; "
                "the sweep reminds and replaces late reviewers"
            )
            sweep()
            with uow() as s:
                self.assign(s, pending)

    @staticmethod
    def _in_state(uow: UnitOfWork, ids: Sequence[int], states: Sequence[str]) -> list[int]:
        with uow() as s:
            return [
                saved_id(c)
                for c in case_repo.list_cases(s, case_ids=list(ids), states=list(states))
            ]
