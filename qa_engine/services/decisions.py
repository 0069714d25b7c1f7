"""The approver's decision, once per round."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.errors import Conflict, ConflictOfInterest, ValidationFailed, check_version
from qa_engine.domain.i18n import N_, Np_
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor
from qa_engine.services import access, audit, notifications
from qa_engine.services.cases import credential_version_of
from qa_engine.services.context import now, transition, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Case, Decision


def decide(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    outcome: str,
    rationale: str,
    conditions: Sequence[str] = (),
    expected_version: int | None = None,
) -> Decision:
    """Record the decision of the case's current round and hand the case to reporting.

    `expected_version` is the case version the approver decided on (the consolidated view they
    read); a case that changed since is refused (`StaleUpdate`)."""
    actor.require(*access.APPROVERS, action=N_("decide on a case"))
    case = access.case_for(session, actor, case_id, for_update=True)
    require_state(case.state, CaseState.APPROVAL, action=N_("decide"))
    check_version(Np_(N_("case %(id)s"), id=case.id), case.version, expected_version)
    try:
        result = Outcome(outcome)
    except ValueError:
        raise ValidationFailed(
            N_("outcome %(outcome)s is not one of: %(outcomes)s"),
            outcome=repr(outcome),
            outcomes=", ".join(o.value for o in Outcome),
        ) from None
    rationale = (rationale or "").strip()
    if len(rationale) < 10:
        raise ValidationFailed(N_("a rationale is required (a sentence at least)"))
    clean_conditions = [c.strip() for c in conditions if c and c.strip()]
    if result == Outcome.APPROVED_WITH_CONDITIONS and not clean_conditions:
        raise ValidationFailed(N_("approved_with_conditions needs at least one condition"))
    if result in (Outcome.APPROVED, Outcome.REJECTED) and clean_conditions:
        raise ValidationFailed(
            N_(
                "%(outcome)s takes no conditions;"
                " use approved_with_conditions or revision_requested"
            ),
            outcome=result.value,
        )
    if (
        actor.user_id is not None
        and case_repo.assignment_for(session, case_id, actor.user_id) is not None
    ):
        raise ConflictOfInterest(N_("you reviewed this case; another approver must decide"))
    valid_until = None
    if result in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS):
        valid_until = now() + timedelta(days=workflow_settings().approval_validity_days)
    decision = Decision(
        case_id=case_id,
        round=case.round,
        outcome=result.value,
        rationale=rationale[:20000],
        conditions=clean_conditions,
        decided_by_id=actor.user_id,
        decided_at=now(),
        valid_until=valid_until,
    )
    try:
        with session.begin_nested():
            session.add(decision)
    except IntegrityError:
        raise Conflict(
            N_("case %(id)s round %(round)s is already decided"), id=case.id, round=case.round
        ) from None
    transition(
        session,
        case,
        CaseState.REPORTING,
        actor=actor,
        payload={
            "decision_id": decision.id,
            "outcome": result.value,
            "conditions": clean_conditions,
        },
    )
    _notify_provider(session, case, decision)
    return decision


def _notify_provider(session: Session, case: Case, decision: Decision) -> None:
    version = credential_version_of(session, case)
    outcome = Outcome(decision.outcome)
    context = {
        "case_id": case.id,
        "credential_title": version.data.get("title", ""),
        "rationale": decision.rationale,
        "conditions": decision.conditions,
    }
    if outcome == Outcome.REVISION_REQUESTED:
        template, context = "revision_requested", {**context, "round": case.round + 1}
    else:
        template = "decision"
        context = {
            **context,
            "outcome": outcome.value,
            "outcome_label": outcome.label,
            "valid_until": decision.valid_until.date().isoformat() if decision.valid_until else "",
        }
    notifications.queue(
        session=session,
        key=f"decision:{decision.id}",
        recipient=version.data.get("contact_email") or "qa-office@4euplus.eu",
        template=template,
        context=context,
        case_id=case.id,
    )
    audit.record(
        session,
        actor="qa-engine",
        action="decision.notified",
        subject_type="case",
        subject_id=saved_id(case),
        payload={"decision_id": decision.id},
    )
