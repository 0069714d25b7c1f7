"""Propose, confirm, answer, replace and chase reviewer assignments."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.assignment import (
    Candidate,
    CaseNeed,
    CasePlan,
    Proposal,
    hard_rule_violations,
    plan,
    ranked_candidates,
)
from qa_engine.domain.case_states import REVIEWING, CaseState, require_state
from qa_engine.domain.errors import Conflict, ConflictOfInterest, NotFound, ValidationFailed
from qa_engine.domain.i18n import N_, Message, Np_, Phrase
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.domain.statuses import (
    GONE_ASSIGNMENT,
    LIVE_ASSIGNMENT,
    OPEN_ASSIGNMENT,
    AssignmentStatus,
    status_name,
)
from qa_engine.services import access, audit, notifications
from qa_engine.services.cases import credential_version_of
from qa_engine.services.context import now, transition, workflow_settings
from qa_engine.services.rows import get_or_raise, saved_id
from qa_engine.store import audit_repo, case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import (
    Assignment,
    Case,
    ConflictDeclaration,
    CredentialVersion,
    Institution,
    RubricSnapshot,
    User,
)

OPEN_STATUSES = OPEN_ASSIGNMENT  # an assignment that may still be answered, reminded or replaced


def required_reviews(case: Case) -> int:
    return workflow_settings().reviewers_per_case + case.extra_reviewers_requested


def candidates(session: Session) -> list[Candidate]:
    """Every active reviewer with their load and declared conflicts."""
    users = repo.users_with_role(session, Role.REVIEWER)
    load = case_repo.open_review_counts(session)
    conflicts: dict[int, list[ConflictDeclaration]] = {}
    for c in case_repo.conflicts_of_users(session, [saved_id(u) for u in users]):
        conflicts.setdefault(c.user_id, []).append(c)
    out = []
    for u in users:
        mine = conflicts.get(saved_id(u), [])
        out.append(
            Candidate(
                user_id=saved_id(u),
                name=u.full_name,
                institution_id=u.institution_id,
                open_reviews=load.get(saved_id(u), 0),
                max_open_reviews=u.max_open_reviews,
                expertise_fields=tuple(u.expertise_fields or ()),
                expertise_skills=tuple(u.expertise_skills or ()),
                languages=tuple(u.languages or ()),
                conflict_institutions=frozenset(c.institution_id for c in mine if c.institution_id),
                conflict_credentials=frozenset(c.credential_id for c in mine if c.credential_id),
                conflict_cases=frozenset(c.case_id for c in mine if c.case_id),
                active=u.active,
            )
        )
    return out


def case_need(session: Session, case: Case) -> CaseNeed:
    version = session.get(CredentialVersion, case.credential_version_id)
    data = version.data if version else {}
    live = case_repo.assignments_of(session, saved_id(case), case.round, statuses=LIVE_ASSIGNMENT)
    gone = case_repo.assignments_of(session, saved_id(case), case.round, statuses=GONE_ASSIGNMENT)
    users = {a.reviewer_id: session.get(User, a.reviewer_id) for a in live}
    return CaseNeed(
        case_id=saved_id(case),
        credential_id=case.credential_id,
        provider_institution_id=case.institution_id,
        isced_f=str(data.get("isced_f", "")),
        skills=tuple(
            data.get("esco_skills", []) + data.get("digcomp", []) + data.get("greencomp", [])
        ),
        languages=tuple(data.get("languages", [])),
        needed=max(0, required_reviews(case) - len(live)),
        current_reviewers=frozenset(a.reviewer_id for a in live),
        excluded_reviewers=frozenset(a.reviewer_id for a in gone),
        current_institutions=frozenset(
            u.institution_id for u in users.values() if u and u.institution_id
        ),
        min_institutions=workflow_settings().min_institutions,
        earlier_reviewers=earlier_reviewers(session, case),
    )


def earlier_reviewers(session: Session, case: Case) -> dict[int, int]:
    """Who submitted a review in an earlier round of the case, with the latest such round."""
    out: dict[int, int] = {}
    for a in case_repo.assignments_of(
        session, saved_id(case), statuses=(AssignmentStatus.SUBMITTED,)
    ):
        if a.round < case.round:
            out[a.reviewer_id] = max(a.round, out.get(a.reviewer_id, 0))
    return out


def _semicolons(items: Sequence[str]) -> Message | str:
    """Reasons joined with semicolons, each in the reader's language where it is shown."""
    if len(items) == 1:
        return items[0]
    return Np_(N_("%(first)s; %(rest)s"), first=items[0], rest=_semicolons(items[1:]))


def propose(*, session: Session, actor: Actor, case_id: int) -> tuple[CasePlan, list[Proposal]]:
    """The engine's proposal for one case (and every eligible reviewer ranked), with reasons."""
    actor.require(*access.OFFICERS, action=N_("see reviewer proposals"))
    case = access.case_for(session, actor, case_id)
    need = case_need(session, case)
    pool = candidates(session)
    return plan([need], pool)[case_id], ranked_candidates(need, pool)


def assign(
    *, session: Session, actor: Actor, case_id: int, reviewer_ids: Sequence[int], reason: str = ""
) -> list[Assignment]:
    """Invite reviewers to a case; every hard rule is checked again here, whoever proposed them."""
    actor.require(*access.OFFICERS, action=N_("assign reviewers"))
    case = access.case_for(session, actor, case_id, for_update=True)
    require_state(case.state, *REVIEWING, action=N_("assign reviewers"))
    if not reviewer_ids:
        raise ValidationFailed(N_("choose at least one reviewer"))
    need = case_need(session, case)
    if len(reviewer_ids) > need.needed and case.state == CaseState.PEER_REVIEW.value:
        raise Conflict(
            N_("case %(case)s needs %(needed)s more reviewer(s), not %(chosen)s"),
            case=case.id,
            needed=need.needed,
            chosen=len(reviewer_ids),
        )
    if need.needed == 0:
        raise Conflict(N_("case %(case)s already has the reviewers it needs"), case=case.id)
    pool = {c.user_id: c for c in candidates(session)}
    created = []
    for rid in dict.fromkeys(reviewer_ids):
        cand = pool.get(rid)
        if cand is None:
            raise ValidationFailed(N_("user %(id)s is not an active reviewer"), id=rid)
        problems = hard_rule_violations(cand, need)
        if problems:
            raise ConflictOfInterest(
                N_("%(name)s cannot review case %(case)s: %(problems)s"),
                name=cand.name,
                case=case.id,
                problems=_semicolons(problems),
            )
        created.append(_invite(session, case, rid, actor=actor, reason=reason))
        need = case_need(session, case)
    _after_assignment(session, case, actor)
    return created


def _invite(
    session: Session, case: Case, reviewer_id: int, *, actor: Actor, reason: str
) -> Assignment:
    settings = workflow_settings()
    # Computed once, here: the invitation, the pages, the mails and the command line all show this
    # date; accepting does not move it.
    respond_by = now() + timedelta(days=settings.deadlines_days.invitation_response)
    due_at = now() + timedelta(
        days=settings.deadlines_days.invitation_response + settings.deadlines_days.review
    )
    asg = Assignment(
        case_id=saved_id(case),
        round=case.round,
        reviewer_id=reviewer_id,
        status=AssignmentStatus.INVITED,
        reason=reason[:2000],
        assigned_by=actor.username,
        invited_at=now(),
        respond_by=respond_by,
        due_at=due_at,
    )
    try:
        with session.begin_nested():
            session.add(asg)
    except IntegrityError:
        raise Conflict(
            N_("reviewer %(id)s is already invited to case %(case)s in round %(round)s"),
            id=reviewer_id,
            case=case.id,
            round=case.round,
        ) from None
    audit.record(
        session,
        actor=actor,
        action="assignment.invited",
        subject_type="case",
        subject_id=saved_id(case),
        payload={
            "assignment_id": asg.id,
            "reviewer_id": reviewer_id,
            "round": case.round,
            "reason": reason[:500],
        },
    )
    reviewer = get_or_raise(session, User, reviewer_id, what="user")
    version = credential_version_of(session, case)
    inst = session.get(Institution, case.institution_id)
    notifications.queue(
        session=session,
        key=f"invitation:{asg.id}",
        recipient=reviewer,
        template="invitation",
        case_id=case.id,
        context={
            "case_id": case.id,
            "credential_title": version.data.get("title", ""),
            "provider_name": inst.name if inst else "",
            "rubric_title": _rubric_title(session, case),
            "respond_by": respond_by.date().isoformat(),
            "due_at": due_at.date().isoformat(),
            "reason": reason or "your expertise matches the credential",
        },
    )
    return asg


def _rubric_title(session: Session, case: Case) -> str:
    snap = session.get(RubricSnapshot, case.rubric_snapshot_id)
    return f"{snap.title} ({snap.rubric_id} {snap.version})" if snap else ""


def _after_assignment(session: Session, case: Case, actor: Actor) -> None:
    live = case_repo.assignments_of(session, saved_id(case), case.round, statuses=LIVE_ASSIGNMENT)
    if case.state == CaseState.ASSIGNMENT.value and len(live) >= required_reviews(case):
        transition(
            session, case, CaseState.PEER_REVIEW, actor=actor, payload={"reviewers": len(live)}
        )


def auto_assign(
    *, session: Session, case_ids: Sequence[int], actor: Actor = SYSTEM
) -> dict[int, CasePlan]:
    """Fill every listed case's missing reviewers in one optimisation; unfilled needs go to the QA
    officers."""
    actor.require(*access.OFFICERS, action=N_("assign reviewers"))
    cases = [
        c for c in case_repo.list_cases(session, case_ids=list(case_ids)) if c.state in REVIEWING
    ]
    needs = [case_need(session, c) for c in cases]
    plans = plan([n for n in needs if n.needed > 0], candidates(session))
    by_id = {c.id: c for c in cases}
    for case_id, cp in plans.items():
        case = by_id[case_id]
        for p in cp.proposals:
            _invite(session, case, p.reviewer_id, actor=actor, reason="; ".join(p.reasons))
        _after_assignment(session, case, actor)
        if cp.shortfall:
            request_officer_help(
                session, case, needed=cp.shortfall, why=cp.note or "not enough eligible reviewers"
            )
    return plans


@dataclass(frozen=True)
class ReviewerNeed:
    """Why a case needs one more reviewer: its first reviewers, an extra one (the reviewers
    disagree) or a replacement (a reviewer declined, did not answer, or was overdue)."""

    reason: str  # English where a string is used; a `Phrase`, shown in the reader's language
    replacement: bool = False


FIRST_REVIEWERS = Phrase(Np_(N_("The first reviewers of this round are still to be confirmed.")))
_GONE_ACTIONS = ("assignment.declined", "assignment.expired", "assignment.replaced")


def _replacement_reason(session: Session, asg: Assignment, payload: dict[str, Any]) -> str:
    user = repo.get_user(session, asg.reviewer_id)
    who = user.full_name if user else f"reviewer {asg.reviewer_id}"
    if asg.status == AssignmentStatus.DECLINED:
        conflict = bool(payload.get("conflict"))
        if asg.responded_at is not None:
            said = Np_(
                N_(
                    "A replacement for %(who)s, who declined the invitation on %(day)s declaring "
                    "a conflict of interest"
                )
                if conflict
                else N_("A replacement for %(who)s, who declined the invitation on %(day)s"),
                who=who,
                day=f"{asg.responded_at:%Y-%m-%d}",
            )
        else:
            said = Np_(
                N_(
                    "A replacement for %(who)s, who declined the invitation declaring a conflict "
                    "of interest"
                )
                if conflict
                else N_("A replacement for %(who)s, who declined the invitation"),
                who=who,
            )
        reason = str(payload.get("reason") or asg.decline_reason).strip()
        if reason:
            return Phrase(Np_(N_("%(said)s: “%(reason)s”."), said=said, reason=reason))
        return Phrase(Np_(N_("%(said)s."), said=said))
    if asg.status == AssignmentStatus.EXPIRED:
        if asg.respond_by:
            return Phrase(
                Np_(
                    N_("A replacement for %(who)s, who did not answer the invitation by %(day)s."),
                    who=who,
                    day=f"{asg.respond_by:%Y-%m-%d}",
                )
            )
        return Phrase(
            Np_(
                N_("A replacement for %(who)s, who did not answer the invitation in time."), who=who
            )
        )
    why = str(payload.get("why") or "replaced").strip().rstrip(".")
    if asg.due_at:
        return Phrase(
            Np_(
                N_("A replacement for %(who)s: %(why)s (the review was due %(day)s)."),
                who=who,
                why=why,
                day=f"{asg.due_at:%Y-%m-%d}",
            )
        )
    return Phrase(Np_(N_("A replacement for %(who)s: %(why)s."), who=who, why=why))


def reviewer_needs(session: Session, case: Case) -> list[ReviewerNeed]:
    """One reason per reviewer the case's round still needs, oldest first.

    Read from the case's audit trail, where each request was recorded: each invitation of the
    round fills the oldest open need; a reviewer who declines, does not answer or is replaced, and
    a disagreement that asks for an extra reviewer, each open one."""
    needed = case_need(session, case).needed
    if needed <= 0:
        return []
    case_id = saved_id(case)
    of_round = {a.id: a for a in case_repo.assignments_of(session, case_id, case.round)}
    open_: deque[ReviewerNeed] = deque(
        ReviewerNeed(FIRST_REVIEWERS) for _ in range(workflow_settings().reviewers_per_case)
    )
    for event in audit_repo.events_for(session, "case", case_id):
        payload = event.payload or {}
        if event.action == "assignment.invited" and payload.get("round") == case.round:
            if open_:
                open_.popleft()
        elif event.action in _GONE_ACTIONS and payload.get("assignment_id") in of_round:
            asg = of_round[payload["assignment_id"]]
            open_.append(ReviewerNeed(_replacement_reason(session, asg, payload), True))
        elif (
            event.action == f"case.{CaseState.PEER_REVIEW.value}"
            and payload.get("extra_reviewer")
            and payload.get("round") == case.round
        ):
            reason = payload.get("reason") or Phrase(
                Np_(
                    N_("An extra reviewer: the reviewers disagree on %(criteria)s."),
                    criteria=", ".join(str(c) for c in payload.get("disagreement") or ()),
                )
            )
            open_.append(ReviewerNeed(reason if isinstance(reason, Phrase) else str(reason)))
    out = list(open_)[-needed:]
    return [ReviewerNeed(FIRST_REVIEWERS)] * (needed - len(out)) + out


def _why_in_words(needs: Sequence[ReviewerNeed]) -> str:
    if len(needs) == 1:
        return needs[0].reason
    return "\n" + "\n".join(f"- {n.reason}" for n in needs)


def request_officer_help(
    session: Session, case: Case, *, needed: int, why: str | None = None
) -> None:
    """Ask the QA officers for reviewers; `why` None: the reasons recorded for the case's needs."""
    needs = reviewer_needs(session, case)
    replacement = bool(needs) and all(n.replacement for n in needs)
    if why is None:
        why = _why_in_words(needs) if needs else "reviewers to confirm"
    version = session.get(CredentialVersion, case.credential_version_id)
    inst = session.get(Institution, case.institution_id)
    gone = len(
        case_repo.assignments_of(session, saved_id(case), case.round, statuses=GONE_ASSIGNMENT)
    )
    for officer in repo.users_with_role(session, Role.QA_OFFICER):
        notifications.queue(
            session=session,
            key=f"assignment_needed:{case.id}:{case.round}:{case.extra_reviewers_requested}:{gone}:{officer.id}",
            recipient=officer,
            template="assignment_needed",
            case_id=case.id,
            context={
                "case_id": case.id,
                "credential_title": version.data.get("title", "") if version else "",
                "provider_name": inst.name if inst else "",
                "needed": needed,
                "why": why,
                "replacement": replacement,
            },
        )


def respond(
    *,
    session: Session,
    actor: Actor,
    assignment_id: int,
    accept: bool,
    conflict: bool = False,
    reason: str = "",
) -> Assignment:
    """A reviewer accepts (declaring no conflict) or declines (with a reason, possibly a
    conflict)."""
    asg = case_repo.get_assignment(session, assignment_id)
    if asg is None or asg.reviewer_id != actor.user_id:
        raise NotFound(N_("invitation %(id)s not found"), id=assignment_id)
    case = access.get_case_or_raise(session, asg.case_id)
    if asg.status != AssignmentStatus.INVITED:
        raise Conflict(
            N_("this invitation was already answered (%(status)s)"),
            status=status_name(asg.status),
        )
    require_state(case.state, *REVIEWING, action=N_("answer an invitation"))
    if accept and conflict:
        raise ConflictOfInterest(
            N_("you declared a conflict of interest: decline the invitation instead")
        )
    if not accept and not reason.strip():
        raise ValidationFailed(N_("a reason is required to decline"))
    asg.responded_at = now()
    if accept:
        # the due date stays the one the invitation gave (set once, in `_invite`)
        asg.status = AssignmentStatus.ACCEPTED
    else:
        asg.status = AssignmentStatus.DECLINED
        asg.decline_reason = reason.strip()[:2000]
        if conflict:
            session.add(
                ConflictDeclaration(
                    user_id=asg.reviewer_id,
                    case_id=saved_id(case),
                    credential_id=case.credential_id,
                    reason=reason.strip()[:2000],
                )
            )
    session.add(asg)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assignment.accepted" if accept else "assignment.declined",
        subject_type="case",
        subject_id=saved_id(case),
        payload={"assignment_id": asg.id, "conflict": conflict, "reason": reason.strip()[:500]},
    )
    return asg


def reassign(
    *,
    session: Session,
    actor: Actor,
    assignment_id: int,
    new_reviewer_id: int | None,
    why: str = "",
) -> Assignment:
    """Replace a reviewer who has not submitted; the replaced person is told."""
    actor.require(*access.OFFICERS, action=N_("reassign reviews"))
    asg = case_repo.get_assignment(session, assignment_id)
    if asg is None:
        raise NotFound(N_("assignment %(id)s not found"), id=assignment_id)
    if new_reviewer_id is None:
        raise ValidationFailed(N_("Choose the new reviewer."))
    replace_assignment(session, asg, actor=actor, why=why or "reassigned by the QA office")
    return assign(
        session=session,
        actor=actor,
        case_id=asg.case_id,
        reviewer_ids=[new_reviewer_id],
        reason=why or "replacement",
    )[0]


def case_of_assignment(*, session: Session, actor: Actor, assignment_id: int) -> int:
    """The case an assignment belongs to (for the QA office, who manage assignments)."""
    actor.require(*access.OFFICERS, action=N_("manage assignments"))
    asg = case_repo.get_assignment(session, assignment_id)
    if asg is None:
        raise NotFound(N_("assignment %(id)s not found"), id=assignment_id)
    return asg.case_id


def replace_assignment(
    session: Session,
    asg: Assignment,
    *,
    actor: Actor | str,
    why: str,
    status: AssignmentStatus = AssignmentStatus.REPLACED,
) -> None:
    if asg.status not in OPEN_ASSIGNMENT:
        raise Conflict(
            N_("assignment %(id)s is %(status)s; only an open one can be replaced"),
            id=asg.id,
            status=status_name(asg.status),
        )
    asg.status = status
    session.add(asg)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"assignment.{status}",
        subject_type="case",
        subject_id=asg.case_id,
        payload={"assignment_id": asg.id, "reviewer_id": asg.reviewer_id, "why": why},
    )
    case = access.get_case_or_raise(session, asg.case_id)
    version = credential_version_of(session, case)
    notifications.queue(
        session=session,
        key=f"replaced:{asg.id}",
        recipient=get_or_raise(session, User, asg.reviewer_id, what="user"),
        template="replaced",
        case_id=asg.case_id,
        context={
            "case_id": asg.case_id,
            "credential_title": version.data.get("title", ""),
            "why": why,
        },
    )


def remind(
    *, session: Session, actor: Actor, assignment_id: int, label: str = "manual"
) -> Assignment:
    """Send the reviewer a reminder now."""
    actor.require(*access.OFFICERS, action=N_("send reminders"))
    asg = case_repo.get_assignment(session, assignment_id)
    if asg is None:
        raise NotFound(N_("assignment %(id)s not found"), id=assignment_id)
    if asg.status not in OPEN_ASSIGNMENT:
        raise Conflict(
            N_("assignment %(id)s is %(status)s; nothing to remind"),
            id=asg.id,
            status=status_name(asg.status),
        )
    send_reminder(session, asg, label=f"{label}{asg.reminders_sent + 1}")
    return asg


def send_reminder(session: Session, asg: Assignment, *, label: str) -> bool:
    """Queue one reminder identified by `label`; False when that reminder already exists."""
    key = f"reminder:{asg.id}:{label}"
    if case_repo.get_notification_by_key(session, key) is not None:
        return False
    case = access.get_case_or_raise(session, asg.case_id)
    version = credential_version_of(session, case)
    due = asg.due_at or now()
    asg.reminders_sent += 1
    session.add(asg)
    notifications.queue(
        session=session,
        key=key,
        recipient=get_or_raise(session, User, asg.reviewer_id, what="user"),
        template="reminder",
        case_id=asg.case_id,
        context={
            "case_id": asg.case_id,
            "credential_title": version.data.get("title", ""),
            "due_at": due.date().isoformat(),
            "days_left": (due - now()).days,
            "reminder_no": asg.reminders_sent,
        },
    )
    audit.record(
        session,
        actor=SYSTEM,
        action="assignment.reminded",
        subject_type="case",
        subject_id=asg.case_id,
        payload={"assignment_id": asg.id, "label": label},
    )
    return True


def declare_conflict(
    *,
    session: Session,
    actor: Actor,
    user_id: int,
    institution_code: str | None = None,
    credential_id: int | None = None,
    reason: str = "",
) -> ConflictDeclaration:
    """Record a standing conflict of interest (a reviewer for themself, or an officer for
    anyone)."""
    if actor.user_id != user_id:
        actor.require(*access.OFFICERS, action=N_("declare conflicts for someone else"))
    inst_id = None
    if institution_code:
        inst = repo.get_institution_by_code(session, institution_code)
        if inst is None:
            raise ValidationFailed(N_("unknown institution %(code)s"), code=institution_code)
        inst_id = inst.id
    if inst_id is None and credential_id is None:
        raise ValidationFailed(N_("name the institution or the credential the conflict is with"))
    decl = ConflictDeclaration(
        user_id=user_id, institution_id=inst_id, credential_id=credential_id, reason=reason[:2000]
    )
    session.add(decl)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="conflict.declared",
        subject_type="user",
        subject_id=user_id,
        payload={"institution": institution_code, "credential_id": credential_id},
    )
    return decl
