"""Read-side use cases of the web app: lists with totals, a case's history, the consolidated view,
a reviewer's own assignments and reviews, the reports of a case. Every read checks access first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from qa_engine.domain.case_states import REVIEWING, CaseState
from qa_engine.domain.consolidation import ConsolidationResult
from qa_engine.domain.errors import Conflict, NotFound
from qa_engine.domain.history import ACTION_TEXT
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.domain.statuses import (
    LIVE_ASSIGNMENT,
    AssignmentStatus,
    ReportStatus,
    SelfAssessmentStatus,
)
from qa_engine.services import access
from qa_engine.services import consolidation as consolidation_service
from qa_engine.services.assignments import ReviewerNeed, reviewer_needs
from qa_engine.services.cases import (
    RoundChanges,
    credential_version_for_round,
    credential_version_of,
    list_cases_for,
    round_changes,
    rubric_and_hash_of,
    rubric_of,
)
from qa_engine.services.credentials import summary_of
from qa_engine.services.reporting import REPORT_KINDS
from qa_engine.services.reviews import (
    VisibleReview,
    own_assignment,
    reviewer_labels,
    visible_reviews,
)
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.services.rubrics import from_snapshot
from qa_engine.store import audit_repo, case_repo, web_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import (
    Assignment,
    Case,
    Consolidation,
    Credential,
    CredentialVersion,
    Decision,
    Institution,
    Report,
    Review,
    RubricSnapshot,
    SelfAssessment,
    User,
)

CASE_READERS = access.CASE_READERS


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class CaseRow:
    """A case as lists show it: with its credential's title and its institution's code."""

    case: Case
    credential_title: str
    institution: str


@dataclass(frozen=True)
class CasesPage:
    rows: list[CaseRow]
    total: int
    counts: dict[str, int] | None  # every case by state, for QA staff (when asked for)
    intake_queue: bool  # the QA office's view of the list


def _rows(session: Session, cases: list[Case]) -> list[CaseRow]:
    labels = case_repo.case_labels(session, [saved_id(c) for c in cases])
    return [CaseRow(c, *labels.get(saved_id(c), ("", "?"))) for c in cases]


def cases_page(
    *,
    session: Session,
    actor: Actor,
    states: list[str] | None = None,
    offset: int = 0,
    limit: int | None = 50,
    with_counts: bool = False,
) -> CasesPage:
    """One page of the cases this actor may see (every one when `limit` is None), and how many there
    are."""
    actor.require(*CASE_READERS, action=N_("list cases (leadership reads the dashboard)"))
    staff = actor.has(*access.STAFF)
    if staff:
        cases = list_cases_for(
            session=session, actor=actor, states=states, offset=offset, limit=limit
        )
        total = case_repo.count_cases(session, states=states)
    else:
        everything = list_cases_for(session=session, actor=actor, states=states)
        cases = everything[offset : offset + limit if limit is not None else None]
        total = len(everything)
    counts = web_repo.case_state_counts(session) if staff and with_counts else None
    return CasesPage(_rows(session, cases), total, counts, actor.has(Role.QA_OFFICER, Role.ADMIN))


def case_row(*, session: Session, actor: Actor, case_id: int) -> CaseRow:
    """One case as lists show it."""
    return _rows(session, [access.case_for(session, actor, case_id)])[0]


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class HistoryEvent:
    seq: int
    at: datetime
    who: str
    action: str
    text: str  # a msgid (N_), translated where it is shown
    named: bool = False  # `who` is a username, else a msgid ("the engine", "a reviewer")


def case_history(*, session: Session, actor: Actor, case_id: int) -> list[HistoryEvent]:
    """The audit events of a case as this actor may read them: names only for QA staff."""
    case = access.case_for(session, actor, case_id)
    names = access.sees_reviewer_names(actor)
    staff = actor.has(*access.STAFF)
    out = []
    roles: dict[str, str] = {}
    for ev in audit_repo.events_for(session, "case", saved_id(case)):
        if (
            not staff
            and ev.action in ("review.saved", "self_assessment.saved")
            and ev.actor != actor.username
        ):
            continue  # other people's drafts are their own business
        named = False
        if ev.actor == "qa-engine":
            who = N_("the engine")
        elif ev.actor == actor.username:
            who = N_("you")
        elif names:
            who, named = ev.actor, True
        else:
            if ev.actor not in roles:
                roles[ev.actor] = _role_label(session, ev.actor)
            who = roles[ev.actor]
        out.append(
            HistoryEvent(
                ev.seq,
                ev.at,
                who,
                ev.action,
                ACTION_TEXT.get(ev.action, ev.action.replace("_", " ")),
                named,
            )
        )
    return out


_ROLE_LABELS = (
    (Role.APPROVER, N_("an approver")),
    (Role.QA_OFFICER, N_("the QA office")),
    (Role.ADMIN, N_("an administrator")),
    (Role.REVIEWER, N_("a reviewer")),
    (Role.PROVIDER, N_("the provider")),
)


def _role_label(session: Session, username: str) -> str:
    """Who acted, by role only (names are for QA staff)."""
    user = repo.get_user_by_username(session, username)
    held = repo.roles_of(session, saved_id(user)) if user else frozenset()
    return next((label for role, label in _ROLE_LABELS if role in held), N_("someone"))


@dataclass(frozen=True)
class AssignmentLine:
    assignment: Assignment
    label: str
    reviewer_name: str | None
    institution_code: str | None


def assignment_lines(session: Session, actor: Actor, case: Case) -> list[AssignmentLine]:
    """The case's assignments with reviewer labels; names only for those who may see them."""
    labels = reviewer_labels(session, case)
    names = access.sees_reviewer_names(actor)
    codes = {i.id: i.code for i in repo.list_institutions(session)}
    out = []
    for a in case_repo.assignments_of(session, saved_id(case)):
        user = session.get(User, a.reviewer_id) if names else None
        out.append(
            AssignmentLine(
                a,
                labels.get(a.reviewer_id, "Reviewer"),
                user.full_name if user else None,
                codes.get(user.institution_id) if user else None,
            )
        )
    return out


@dataclass(frozen=True)
class CaseActions:
    """What this person may do with a case (by the services' access rules), so a page offers only
    that."""

    is_provider: bool
    officer: bool
    staff: bool
    approver: bool
    may_withdraw: bool
    may_resubmit: bool
    may_revise: bool = False  # the new round after a revision request waits for the provider


def case_actions(actor: Actor, case: Case) -> CaseActions:
    manages = access.manages_case(actor, case)
    return CaseActions(
        is_provider=access.is_provider_of(actor, case),
        officer=actor.has(Role.QA_OFFICER, Role.ADMIN),
        staff=actor.has(*access.STAFF),
        approver=Role.APPROVER in actor.roles,
        may_withdraw=manages and CaseState(case.state).open,
        may_resubmit=manages and case.state == CaseState.RETURNED.value,
        # a case reaches a round after the first only through a revision request
        may_revise=manages and case.state == CaseState.SELF_ASSESSMENT.value and case.round > 1,
    )


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    credential: Credential
    version: CredentialVersion
    institution: Institution
    rubric_title: str
    rubric_ref: str
    assignments: list[AssignmentLine]
    decisions: list[Decision]
    reports: list[Report]
    my_assignment: Assignment | None
    may: CaseActions
    consolidation: Consolidation | None  # the round's latest, for QA staff and approvers only
    changes: RoundChanges | None = None  # a revision round: what changed since the round before
    newest_version: CredentialVersion | None = None  # the credential's, for who may revise
    # why the round needs reviewers, one reason per missing reviewer (for the QA office)
    reviewer_needs: tuple[ReviewerNeed, ...] = ()
    # the newest decision in words: outcome, conditions, what the provider does next
    decision_text: str = ""
    rubric: Rubric | None = None  # the case's frozen rubric (its texts in every language it has)

    @property
    def row(self) -> CaseRow:
        return CaseRow(self.case, self.credential.title, self.institution.code)


def case_detail(*, session: Session, actor: Actor, case_id: int) -> CaseDetail:
    case = access.case_for(session, actor, case_id)
    snap = session.get(RubricSnapshot, case.rubric_snapshot_id)
    mine = access.current_assignment(session, actor, case)
    # a reviewer sees only their own line; the provider and staff see every reviewer (by label)
    lines = assignment_lines(session, actor, case)
    may = case_actions(actor, case)
    if not (actor.has(*access.STAFF) or access.is_provider_of(actor, case)):
        lines = [ln for ln in lines if mine is not None and ln.assignment.id == mine.id]
    decided = case_repo.decisions_of(session, case_id)
    needs = tuple(reviewer_needs(session, case)) if may.officer and case.state in REVIEWING else ()
    return CaseDetail(
        case,
        get_or_raise(session, Credential, case.credential_id, what="credential"),
        credential_version_of(session, case),
        get_or_raise(session, Institution, case.institution_id, what="institution"),
        snap.title if snap else "",
        f"{snap.rubric_id} {snap.version}" if snap else "",
        lines,
        decided,
        case_repo.reports_of(session, case_id),
        mine,
        may,
        case_repo.latest_consolidation(session, case_id, case.round)
        if actor.has(*access.STAFF)
        else None,
        round_changes(session, case, case.round),
        repo.get_credential_version(session, case.credential_id) if may.may_revise else None,
        needs,
        summary_of(decided[-1]) if decided else "",
        from_snapshot(snap) if snap else None,
    )


@dataclass(frozen=True)
class ConsolidatedView:
    case: Case
    rubric: Rubric
    reviews: list[VisibleReview]
    result: ConsolidationResult
    stored: Consolidation | None
    decision: Decision | None
    may_decide: bool  # an approver, and the case waits for the decision


def consolidated_view(*, session: Session, actor: Actor, case_id: int) -> ConsolidatedView:
    """Scores side by side, spread, agreement, gates and the recommendation (QA staff and
    approvers)."""
    case = access.case_for(session, actor, case_id)
    actor.require(*access.STAFF, action=N_("read the consolidated review"))
    rubric = rubric_of(session, case)
    shown = visible_reviews(session=session, actor=actor, case_id=case_id)
    return ConsolidatedView(
        case,
        rubric,
        shown,
        consolidation_service.compute(session, case),
        case_repo.latest_consolidation(session, case_id, case.round),
        case_repo.get_decision(session, case_id, case.round),
        Role.APPROVER in actor.roles and case.state == CaseState.APPROVAL.value,
    )


# --------------------------------------------------------------------------- a reviewer's own work


def my_assignments(
    *, session: Session, actor: Actor, include_closed: bool = False
) -> list[tuple[Assignment, Case, str]]:
    """The reviewer's invitations and reviews with the credential title."""
    actor.require(*access.REVIEWERS, action=N_("have review assignments"))
    out = []
    statuses = None if include_closed else LIVE_ASSIGNMENT
    for a, c in web_repo.assignments_with_cases(
        session, reviewer_id=actor.user_id, statuses=statuses, open_cases_only=not include_closed
    ):
        version = session.get(CredentialVersion, c.credential_version_id)
        out.append((a, c, version.data.get("title", "") if version else ""))
    return out


@dataclass(frozen=True)
class MyReview:
    assignment: Assignment
    case: Case
    rubric: Rubric
    rubric_hash: str
    review: Review | None
    credential: CredentialVersion
    # the decision of the assignment's round, once made: what a reviewer of an earlier round still
    # sees of the case (the case itself is the current round's reviewers', `access.may_read_case`)
    decision: Decision | None = None

    @property
    def current_round(self) -> bool:
        """The assignment belongs to the case's current round."""
        return self.assignment.round == self.case.round

    @property
    def editable(self) -> bool:
        return (
            self.assignment.status == AssignmentStatus.ACCEPTED
            and self.case.state == CaseState.PEER_REVIEW.value
        )


def my_review(*, session: Session, actor: Actor, assignment_id: int) -> MyReview:
    """The reviewer's own assignment with the draft or submitted review (404 for anyone else)."""
    asg = own_assignment(session, actor, assignment_id)
    case = access.get_case_or_raise(session, asg.case_id)
    rubric, rubric_hash = rubric_and_hash_of(session, case)
    return MyReview(
        asg,
        case,
        rubric,
        rubric_hash,
        case_repo.review_for_assignment(session, saved_id(asg)),
        credential_version_for_round(session, case, asg.round),  # the version this round reviews
        case_repo.get_decision(session, saved_id(case), asg.round),
    )


def check_review_open(mine: MyReview) -> None:
    """A submitted review is final: nothing more is read into it."""
    if mine.assignment.status == AssignmentStatus.SUBMITTED:
        raise Conflict(N_("this review is already submitted"))


@dataclass(frozen=True)
class ReviewForm:
    mine: MyReview
    self_assessment: SelfAssessment | None  # the provider's submitted one, beside each criterion


def review_form(*, session: Session, actor: Actor, assignment_id: int) -> ReviewForm:
    """The reviewer's own review with the self-assessment of the round it reviews."""
    mine = my_review(session=session, actor=actor, assignment_id=assignment_id)
    sa = case_repo.get_self_assessment(session, saved_id(mine.case), mine.assignment.round)
    submitted = sa is not None and sa.status == SelfAssessmentStatus.SUBMITTED
    return ReviewForm(mine, sa if submitted else None)


# --------------------------------------------------------------------------- reports


def reports_of_case(*, session: Session, actor: Actor, case_id: int) -> list[Report]:
    case = access.case_for(session, actor, case_id)
    return case_repo.reports_of(session, saved_id(case))


_REPORT_ID = re.compile(r"[A-Za-z0-9\-]{1,40}")


def report_for_download(*, session: Session, actor: Actor, report_id: str) -> Report:
    """A generated report this actor may read (its case is readable), else NotFound."""
    row = (
        case_repo.get_report_by_report_id(session, report_id)
        if _REPORT_ID.fullmatch(report_id)
        else None
    )
    if row is None or row.kind not in REPORT_KINDS:  # the exports have their own routes
        raise NotFound(N_("report %(id)s not found"), id=report_id)
    try:
        access.case_for(session, actor, row.case_id)
    except NotFound:
        raise NotFound(N_("report %(id)s not found"), id=report_id) from None
    if row.status != ReportStatus.GENERATED or not row.path:
        raise NotFound(N_("report %(id)s is not generated yet"), id=report_id)
    return row


def report_exists(*, session: Session, report_id: str) -> bool:
    """Whether the engine issued a report with this id (public: says nothing else)."""
    row = (
        case_repo.get_report_by_report_id(session, report_id)
        if _REPORT_ID.fullmatch(report_id)
        else None
    )
    if row is None and _REPORT_ID.fullmatch(report_id):
        return case_repo.issued_file_exists(session, report_id)
    return row is not None and row.status == ReportStatus.GENERATED
