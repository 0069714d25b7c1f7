"""What waits for each person (the home page) and the aggregate figures leadership reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from qa_engine.domain.case_states import REVIEWING, CaseState
from qa_engine.domain.i18n import Message, Nn_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.statuses import OPEN_ASSIGNMENT, AssignmentStatus
from qa_engine.services import assignments
from qa_engine.services.context import now
from qa_engine.services.credentials import summary_of
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo, web_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import Credential

AGGREGATE_READERS = (Role.LEADERSHIP, Role.QA_OFFICER, Role.APPROVER, Role.ADMIN)


@dataclass
class InstitutionRow:
    code: str
    name: str
    by_state: dict[str, int]
    by_outcome: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass
class Dashboard:
    states: list[str]
    outcomes: list[str]
    rows: list[InstitutionRow]
    totals_by_state: dict[str, int]
    totals_by_outcome: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals_by_state.values())


def dashboard(*, session: Session, actor: Actor) -> Dashboard:
    """Counts of cases by state and by outcome per institution: aggregates only, no person named."""
    actor.require(*AGGREGATE_READERS, action="read the aggregate figures")
    states = [s.value for s in CaseState]
    outcomes = [o.value for o in Outcome]
    by_state: dict[str, dict[str, int]] = {}
    for code, state, n in web_repo.case_counts_by_institution_and_state(session):
        by_state.setdefault(code, {})[state] = n
    by_outcome: dict[str, dict[str, int]] = {}
    for code, outcome, n in web_repo.case_counts_by_institution_and_outcome(session):
        by_outcome.setdefault(code, {})[outcome] = n
    rows = []
    for inst in repo.list_institutions(session):
        rows.append(
            InstitutionRow(
                inst.code,
                inst.name,
                {s: by_state.get(inst.code, {}).get(s, 0) for s in states},
                {o: by_outcome.get(inst.code, {}).get(o, 0) for o in outcomes},
            )
        )
    return Dashboard(
        states,
        outcomes,
        rows,
        {s: sum(r.by_state[s] for r in rows) for s in states},
        {o: sum(r.by_outcome[o] for r in rows) for o in outcomes},
    )


@dataclass
class WaitingItem:
    text: str  # in English
    href: str
    count: int
    urgent: bool = False
    # the line's parts, translated where it is shown and joined with ", " (none: only `text`)
    parts: tuple[Message, ...] = ()


@dataclass
class Waiting:
    """Lines such as "3 reviews due, 1 overdue", each with where to act."""

    items: list[WaitingItem] = field(default_factory=list)

    def add(
        self, count: int, text: str | Sequence[Message], href: str, *, urgent: bool = False
    ) -> None:
        if not count:
            return
        if isinstance(text, str):
            self.items.append(WaitingItem(text, href, count, urgent))
        else:
            parts = tuple(text)
            english = ", ".join(m.english() for m in parts)
            self.items.append(WaitingItem(english, href, count, urgent, parts))


def _overdue(n: int) -> list[Message]:
    return [Nn_("%(num)s overdue", "%(num)s overdue", n)] if n else []


RECENT_DECISION_DAYS = 30
MAX_DECISION_LINES = 10


def _decisions_for_provider(session: Session, institution_id: int, out: Waiting) -> None:
    """The newest decision on each of the institution's credentials that still asks something of
    the provider (an approval with conditions, while it is valid) or is recent, newest first."""
    t = now()
    lines = 0
    decided = case_repo.latest_decisions(session, institution_id=institution_id)
    for case, decision in sorted(decided.values(), key=lambda cd: cd[1].decided_at, reverse=True):
        conditions_open = decision.outcome == Outcome.APPROVED_WITH_CONDITIONS and (
            decision.valid_until is None or decision.valid_until > t
        )
        recent = decision.decided_at > t - timedelta(days=RECENT_DECISION_DAYS)
        if not (conditions_open or recent) or lines >= MAX_DECISION_LINES:
            continue
        credential = session.get(Credential, case.credential_id)
        title = f" “{credential.title}”" if credential else ""
        out.add(
            1,
            f"Case {case.id}{title}: {summary_of(decision)}",
            f"/cases/{case.id}",
            urgent=conditions_open,
        )
        lines += 1


def waiting_for(*, session: Session, actor: Actor) -> Waiting:
    """What waits for this person now, role by role."""
    out = Waiting()
    t = now()
    if Role.REVIEWER in actor.roles and actor.user_id is not None:
        rows = web_repo.assignments_with_cases(
            session, reviewer_id=actor.user_id, statuses=OPEN_ASSIGNMENT
        )
        invited = [a for a, _ in rows if a.status == AssignmentStatus.INVITED]
        accepted = [a for a, _ in rows if a.status == AssignmentStatus.ACCEPTED]
        overdue = [a for a in accepted if a.due_at and a.due_at < t]
        out.add(
            len(invited),
            [Nn_("%(num)s invitation to answer", "%(num)s invitations to answer", len(invited))],
            "/invitations",
            urgent=True,
        )
        if accepted:
            text = [
                Nn_("%(num)s review due", "%(num)s reviews due", len(accepted)),
                *_overdue(len(overdue)),
            ]
            out.add(len(accepted), text, "/invitations", urgent=bool(overdue))
    if Role.PROVIDER in actor.roles and actor.institution_id is not None:
        own = case_repo.list_cases(
            session,
            institution_id=actor.institution_id,
            states=[CaseState.SELF_ASSESSMENT.value, CaseState.RETURNED.value],
        )
        sa = [c for c in own if c.state == CaseState.SELF_ASSESSMENT.value]
        late_sa = [c for c in sa if c.due_at and c.due_at < t]
        returned = [c for c in own if c.state == CaseState.RETURNED.value]
        out.add(
            len(sa),
            [
                Nn_(
                    "%(num)s self-assessment to write", "%(num)s self-assessments to write", len(sa)
                ),
                *_overdue(len(late_sa)),
            ],
            "/cases?state=self_assessment",
            urgent=bool(late_sa),
        )
        out.add(
            len(returned),
            [
                Nn_(
                    "%(num)s credential returned after screening",
                    "%(num)s credentials returned after screening",
                    len(returned),
                )
            ],
            "/cases?state=returned",
            urgent=True,
        )
        _decisions_for_provider(session, actor.institution_id, out)
    if actor.has(Role.QA_OFFICER, Role.ADMIN) and not actor.is_system:
        waiting = [
            c
            for c in case_repo.list_cases(session, states=REVIEWING)
            if assignments.case_need(session, c).needed > 0
        ]
        out.add(
            len(waiting),
            [
                Nn_(
                    "%(num)s case waiting for reviewers",
                    "%(num)s cases waiting for reviewers",
                    len(waiting),
                )
            ],
            "/assign",
            urgent=True,
        )
        open_rows = web_repo.assignments_with_cases(session, statuses=OPEN_ASSIGNMENT)
        late = [
            a
            for a, _ in open_rows
            if a.status == AssignmentStatus.ACCEPTED and a.due_at and a.due_at < t
        ]
        unanswered = [
            a
            for a, _ in open_rows
            if a.status == AssignmentStatus.INVITED and a.respond_by and a.respond_by < t
        ]
        out.add(
            len(late),
            [Nn_("%(num)s review overdue", "%(num)s reviews overdue", len(late))],
            "/cases?state=peer_review",
            urgent=True,
        )
        out.add(
            len(unanswered),
            [
                Nn_(
                    "%(num)s invitation not answered in time",
                    "%(num)s invitations not answered in time",
                    len(unanswered),
                )
            ],
            "/cases?state=assignment",
        )
        returned_count = case_repo.count_cases(session, states=[CaseState.RETURNED.value])
        out.add(
            returned_count,
            [
                Nn_(
                    "%(num)s case returned to providers",
                    "%(num)s cases returned to providers",
                    returned_count,
                )
            ],
            "/cases?state=returned",
        )
    if Role.APPROVER in actor.roles:
        n = case_repo.count_cases(session, states=[CaseState.APPROVAL.value])
        out.add(
            n,
            [Nn_("%(num)s case awaiting your decision", "%(num)s cases awaiting your decision", n)],
            "/cases?state=approval",
            urgent=True,
        )
    return out


@dataclass
class ReviewerLoad:
    user_id: int
    name: str
    institution: str
    open_reviews: int
    max_open_reviews: int
    expertise: list[str]
    languages: list[str]

    @property
    def free(self) -> int:
        return max(0, self.max_open_reviews - self.open_reviews)


def reviewer_load(*, session: Session, actor: Actor) -> list[ReviewerLoad]:
    """Every active reviewer with their open reviews against their limit (QA officers)."""
    actor.require(Role.QA_OFFICER, Role.ADMIN, action="see reviewer load")
    codes = {i.id: i.code for i in repo.list_institutions(session)}
    return [
        ReviewerLoad(
            c.user_id,
            c.name,
            codes.get(c.institution_id, "—"),
            c.open_reviews,
            c.max_open_reviews,
            list(c.expertise_fields),
            list(c.languages),
        )
        for c in sorted(
            assignments.candidates(session),
            key=lambda c: (c.open_reviews / max(c.max_open_reviews, 1), c.name),
        )
    ]


@dataclass
class CaseNeedRow:
    case_id: int
    title: str
    institution: str
    state: str
    needed: int
    state_since: object


def cases_needing_reviewers(*, session: Session, actor: Actor) -> list[CaseNeedRow]:
    """Cases in assignment or peer review that still lack reviewers (QA officers)."""
    actor.require(Role.QA_OFFICER, Role.ADMIN, action="see which cases need reviewers")
    codes = {i.id: i.code for i in repo.list_institutions(session)}
    out = []
    for c in case_repo.list_cases(session, states=REVIEWING):
        need = assignments.case_need(session, c)
        if need.needed > 0:
            cred = repo.get_credential(session, c.credential_id)
            out.append(
                CaseNeedRow(
                    saved_id(c),
                    cred.title if cred else "",
                    codes.get(c.institution_id, "?"),
                    c.state,
                    need.needed,
                    c.state_since,
                )
            )
    return out
