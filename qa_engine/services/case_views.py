"""Read-side use cases of the web app: lists with totals, a case's history, the consolidated view,
a reviewer's own assignments and reviews, the reports of a case. Every read checks access first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from qa_engine.domain.consolidation import ConsolidationResult
from qa_engine.domain.errors import NotFound, StaleUpdate
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric import Rubric
from qa_engine.services import access
from qa_engine.services import consolidation as consolidation_service
from qa_engine.services.cases import (
    credential_version_of,
    list_cases_for,
    rubric_and_hash_of,
    rubric_of,
)
from qa_engine.services.reviews import VisibleReview, reviewer_labels, visible_reviews
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
    User,
)

CASE_READERS = (Role.PROVIDER, Role.REVIEWER, Role.QA_OFFICER, Role.APPROVER, Role.ADMIN)


# --------------------------------------------------------------------------- lists


def cases_page(*, session: Session, actor: Actor, states: list[str] | None = None, offset: int = 0,
               limit: int = 50) -> tuple[list[Case], int]:
    """One page of the cases this actor may see, and how many there are in all."""
    actor.require(*CASE_READERS, action="list cases (leadership reads the dashboard)")
    if actor.has(*access.STAFF):
        return (list_cases_for(session=session, actor=actor, states=states, offset=offset, limit=limit),
                case_repo.count_cases(session, states=states))
    everything = list_cases_for(session=session, actor=actor, states=states)
    return everything[offset: offset + limit], len(everything)


def check_case_version(case: Case, expected: int | None) -> None:
    if expected is not None and case.version != expected:
        raise StaleUpdate(f"case {case.id} changed since you loaded it (version {case.version}, yours {expected}); reload it")


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class HistoryEvent:
    seq: int
    at: datetime
    who: str
    action: str
    text: str


_ACTION_TEXT = {
    "case.opened": "opened the case",
    "case.screening": "started screening",
    "case.returned": "returned the credential to the provider",
    "case.submitted": "resubmitted the credential",
    "case.self_assessment": "opened the self-assessment",
    "self_assessment.saved": "saved a draft of the self-assessment",
    "self_assessment.submitted": "submitted the self-assessment",
    "case.assignment": "moved the case to reviewer assignment",
    "assignment.invited": "invited a reviewer",
    "assignment.accepted": "accepted an invitation",
    "assignment.declined": "declined an invitation",
    "assignment.replaced": "replaced a reviewer",
    "assignment.expired": "replaced an unanswered invitation",
    "assignment.reminded": "reminded a reviewer",
    "case.peer_review": "started peer review",
    "review.saved": "saved a draft review",
    "review.submitted": "submitted a review",
    "case.consolidation": "consolidated the reviews",
    "consolidation.done": "finished the consolidation",
    "case.approval": "sent the case for decision",
    "case.reporting": "decided",
    "decision.notified": "told the provider of the decision",
    "report.requested": "requested a report",
    "report.generated": "generated a report",
    "case.closed": "closed the case",
    "case.withdrawn": "withdrew the case",
}


def case_history(*, session: Session, actor: Actor, case_id: int) -> list[HistoryEvent]:
    """The audit events of a case as this actor may read them: names only for QA staff."""
    case = access.case_for(session, actor, case_id)
    names = access.sees_reviewer_names(actor)
    staff = actor.has(*access.STAFF)
    out = []
    roles: dict[str, str] = {}
    for ev in audit_repo.events_for(session, "case", case.id):
        if not staff and ev.action in ("review.saved", "self_assessment.saved") and ev.actor != actor.username:
            continue  # other people's drafts are their own business
        if ev.actor == "qa-engine":
            who = "the engine"
        elif ev.actor == actor.username:
            who = "you"
        elif names:
            who = ev.actor
        else:
            if ev.actor not in roles:
                roles[ev.actor] = _role_label(session, ev.actor)
            who = roles[ev.actor]
        out.append(HistoryEvent(ev.seq, ev.at, who, ev.action, _ACTION_TEXT.get(ev.action, ev.action.replace("_", " "))))
    return out


_ROLE_LABELS = ((Role.APPROVER, "an approver"), (Role.QA_OFFICER, "the QA office"), (Role.ADMIN, "an administrator"),
                (Role.REVIEWER, "a reviewer"), (Role.PROVIDER, "the provider"))


def _role_label(session: Session, username: str) -> str:
    """Who acted, by role only (names are for QA staff)."""
    user = repo.get_user_by_username(session, username)
    held = repo.roles_of(session, user.id) if user else frozenset()
    return next((label for role, label in _ROLE_LABELS if role in held), "someone")


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
    for a in case_repo.assignments_of(session, case.id):
        user = session.get(User, a.reviewer_id) if names else None
        out.append(AssignmentLine(a, labels.get(a.reviewer_id, "Reviewer"), user.full_name if user else None,
                                  codes.get(user.institution_id) if user else None))
    return out


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


def case_detail(*, session: Session, actor: Actor, case_id: int) -> CaseDetail:
    case = access.case_for(session, actor, case_id)
    snap = session.get(RubricSnapshot, case.rubric_snapshot_id)
    mine = (case_repo.live_assignment_for(session, case.id, actor.user_id)
            if actor.user_id is not None and Role.REVIEWER in actor.roles else None)
    # a reviewer sees only their own line; the provider and staff see every reviewer (by label)
    lines = assignment_lines(session, actor, case)
    if not (actor.has(*access.STAFF) or access.is_provider_of(actor, case)):
        lines = [ln for ln in lines if mine is not None and ln.assignment.id == mine.id]
    return CaseDetail(case, repo.get_credential(session, case.credential_id), credential_version_of(session, case),
                      session.get(Institution, case.institution_id),
                      snap.title if snap else "", f"{snap.rubric_id} {snap.version}" if snap else "",
                      lines, case_repo.decisions_of(session, case.id), case_repo.reports_of(session, case.id), mine)


def case_rubric(*, session: Session, actor: Actor, case_id: int) -> tuple[Case, Rubric]:
    case = access.case_for(session, actor, case_id)
    return case, rubric_of(session, case)


@dataclass(frozen=True)
class ConsolidatedView:
    case: Case
    rubric: Rubric
    reviews: list[VisibleReview]
    result: ConsolidationResult
    stored: Consolidation | None
    decision: Decision | None


def consolidated_view(*, session: Session, actor: Actor, case_id: int) -> ConsolidatedView:
    """Scores side by side, spread, agreement, gates and the recommendation (QA staff and approvers)."""
    case = access.case_for(session, actor, case_id)
    actor.require(*access.STAFF, action="read the consolidated review")
    rubric = rubric_of(session, case)
    shown = visible_reviews(session=session, actor=actor, case_id=case.id)
    return ConsolidatedView(case, rubric, shown, consolidation_service.compute(session, case),
                            case_repo.latest_consolidation(session, case.id, case.round),
                            case_repo.get_decision(session, case.id, case.round))


# --------------------------------------------------------------------------- a reviewer's own work


def my_assignments(*, session: Session, actor: Actor, include_closed: bool = False) -> list[tuple[Assignment, Case, str]]:
    """The reviewer's invitations and reviews with the credential title."""
    actor.require(Role.REVIEWER, action="have review assignments")
    out = []
    statuses = None if include_closed else ("invited", "accepted", "submitted")
    for a, c in web_repo.assignments_with_cases(session, reviewer_id=actor.user_id, statuses=statuses,
                                                open_cases_only=not include_closed):
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


def my_review(*, session: Session, actor: Actor, assignment_id: int) -> MyReview:
    """The reviewer's own assignment with the draft or submitted review (404 for anyone else)."""
    asg = case_repo.get_assignment(session, assignment_id)
    if asg is None or actor.user_id is None or asg.reviewer_id != actor.user_id or asg.status not in case_repo.LIVE_ASSIGNMENT:
        raise NotFound(f"assignment {assignment_id} not found")
    case = case_repo.get_case(session, asg.case_id)
    rubric, rubric_hash = rubric_and_hash_of(session, case)
    return MyReview(asg, case, rubric, rubric_hash, case_repo.review_for_assignment(session, asg.id),
                    credential_version_of(session, case))


def check_review_version(mine: MyReview, expected: int | None) -> None:
    if expected is not None and mine.review is not None and mine.review.version != expected:
        raise StaleUpdate(f"the review changed since you loaded it (version {mine.review.version}, yours {expected}); reload it")


# --------------------------------------------------------------------------- reports


def reports_of_case(*, session: Session, actor: Actor, case_id: int) -> list[Report]:
    case = access.case_for(session, actor, case_id)
    return case_repo.reports_of(session, case.id)


_REPORT_ID = re.compile(r"[A-Za-z0-9\-]{1,40}")


def report_for_download(*, session: Session, actor: Actor, report_id: str) -> Report:
    """A generated report this actor may read (its case is readable), else NotFound."""
    row = case_repo.get_report_by_report_id(session, report_id) if _REPORT_ID.fullmatch(report_id) else None
    if row is None:
        raise NotFound(f"report {report_id} not found")
    try:
        access.case_for(session, actor, row.case_id)
    except NotFound:
        raise NotFound(f"report {report_id} not found") from None
    if row.status != "generated" or not row.path:
        raise NotFound(f"report {report_id} is not generated yet")
    return row


def report_exists(*, session: Session, report_id: str) -> bool:
    """Whether the engine issued a report with this id (public: says nothing else)."""
    row = case_repo.get_report_by_report_id(session, report_id) if _REPORT_ID.fullmatch(report_id) else None
    return row is not None and row.status == "generated"
