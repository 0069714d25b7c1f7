"""The reporting stage: one report per decision (requested once, generated once), then close or
open the next round."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from qa_engine.domain.case_states import CaseState, require_state
from qa_engine.domain.errors import Conflict
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.report import make_report_id
from qa_engine.domain.roles import SYSTEM
from qa_engine.domain.statuses import ReportStatus
from qa_engine.services import access, audit
from qa_engine.services.cases import record_round
from qa_engine.services.context import now, transition, workflow_settings
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store.models import Case, Decision, Report

REPORT_KINDS = ("pdf", "xlsx")


def report_id_for(decision: Decision, kind: str) -> str:
    """Return the public id of this decision's report of this kind."""
    return make_report_id(
        year=decision.decided_at.year, case_id=decision.case_id, round=decision.round, kind=kind
    )


def current_decision(session: Session, case: Case) -> Decision:
    decision = case_repo.get_decision(session, saved_id(case), case.round)
    if decision is None:
        raise Conflict(f"case {case.id} has no decision for round {case.round}")
    return decision


def request_reports(*, session: Session, case_id: int) -> list[Report]:
    """Create the report rows of the current decision unless they exist (exactly once)."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    require_state(case.state, CaseState.REPORTING, action="request reports")
    decision = current_decision(session, case)
    decision_id = saved_id(decision)
    out = []
    for kind in REPORT_KINDS:
        row = case_repo.get_report(session, decision_id, kind)
        if row is None:
            row = Report(
                decision_id=decision_id,
                case_id=case_id,
                kind=kind,
                report_id=report_id_for(decision, kind),
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # requested at the same moment by another run: keep theirs
                row = case_repo.get_report(session, decision_id, kind)
                if row is None:
                    raise
            else:
                audit.record(
                    session,
                    actor=SYSTEM,
                    action="report.requested",
                    subject_type="case",
                    subject_id=case_id,
                    payload={"report_id": row.report_id, "kind": kind, "decision_id": decision.id},
                )
        out.append(row)
    return out


Generator = Callable[[Session, Report], None]


def generate_reports(
    *, session: Session, case_id: int, generator: Generator | None
) -> list[Report]:
    """Generate every requested report of the current decision with `generator` (which sets path and
    hash)."""
    rows = request_reports(session=session, case_id=case_id)
    for row in rows:
        if row.status == ReportStatus.GENERATED or generator is None:
            continue
        generator(session, row)
        row.status = ReportStatus.GENERATED
        row.generated_at = now()
        row.error = ""
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=SYSTEM,
            action="report.generated",
            subject_type="case",
            subject_id=case_id,
            payload={
                "report_id": row.report_id,
                "kind": row.kind,
                "sha256": row.sha256,
                "path": row.path,
            },
        )
    return rows


def finish_reporting(*, session: Session, case_id: int, require_generated: bool = True) -> Case:
    """Close the case, or open the next round after a revision request."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        raise access.not_found(case_id)
    require_state(case.state, CaseState.REPORTING, action="finish reporting")
    decision = current_decision(session, case)
    decision_id = saved_id(decision)
    rows = [case_repo.get_report(session, decision_id, k) for k in REPORT_KINDS]
    present = [r for r in rows if r is not None]
    if len(present) < len(rows) or (
        require_generated and any(r.status != ReportStatus.GENERATED for r in present)
    ):
        raise Conflict(
            f"case {case.id}: the reports of decision {decision.id} are not generated yet"
        )
    if decision.outcome == Outcome.REVISION_REQUESTED.value:
        case.round += 1
        record_round(session, case)  # the version of round 1 until a revision is submitted
        case.extra_reviewers_requested = 0
        case.due_at = now() + timedelta(days=workflow_settings().deadlines_days.self_assessment)
        transition(
            session,
            case,
            CaseState.SELF_ASSESSMENT,
            actor=SYSTEM,
            payload={"new_round": case.round, "decision_id": decision.id},
        )
    else:
        case.outcome = decision.outcome
        case.due_at = None
        transition(
            session,
            case,
            CaseState.CLOSED,
            actor=SYSTEM,
            payload={"outcome": decision.outcome, "decision_id": decision.id},
        )
    return case
