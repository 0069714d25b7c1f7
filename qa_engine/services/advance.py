"""What the engine does by itself next for a case: exactly one automated step, or nothing at a human
gate.

The flows call `advance_once` (`next_step` then `run_step`) in a fresh transaction per step, so a
crash between two steps leaves the case in a consistent state and a re-run continues where it
stopped; `drive` repeats a step function up to the next human gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from qa_engine.domain.case_states import REVIEWING, CaseState
from qa_engine.services import access, assignments, consolidation, reporting
from qa_engine.services.cases import screen_case
from qa_engine.services.context import workflow_settings
from qa_engine.store import case_repo

SCREEN = "screen"
AUTO_ASSIGN = "auto_assign"
ASK_OFFICER = "ask_officer"
CONSOLIDATE = "consolidate"
REPORT = "report"
FINISH = "finish"


@dataclass(frozen=True)
class Step:
    case_id: int
    name: str
    state: str


@dataclass(frozen=True)
class StepOutcome:
    """What one automated step did. `at_gate`: the case now waits for a person (stop driving it)."""

    case_id: int
    step: str
    message: str
    at_gate: bool = False


def next_step(session: Session, case_id: int) -> Step | None:
    """The automated step due for this case now, or None when it waits for a person."""
    case = case_repo.get_case(session, case_id)
    if case is None:
        return None
    state = CaseState(case.state)
    if state in (CaseState.SUBMITTED, CaseState.SCREENING):
        return Step(case_id, SCREEN, case.state)
    if state == CaseState.CONSOLIDATION:
        return Step(case_id, CONSOLIDATE, case.state)
    if state == CaseState.REPORTING:
        decision = case_repo.get_decision(session, case_id, case.round)
        if decision is None:
            return None
        rows = reporting.rows_of(session, decision)
        if not reporting.files_done(rows):
            return Step(case_id, REPORT, case.state)
        return Step(case_id, FINISH, case.state)
    if state in REVIEWING:
        submitted = case_repo.submitted_review_count(session, case_id, case.round)
        if state == CaseState.PEER_REVIEW and submitted >= assignments.required_reviews(case):
            return Step(case_id, CONSOLIDATE, case.state)
        need = assignments.case_need(session, case)
        if need.needed > 0:
            if workflow_settings().auto_assign:
                return Step(case_id, AUTO_ASSIGN, case.state)
            return Step(case_id, ASK_OFFICER, case.state)
    return None


def run_step(
    session: Session, step: Step, *, report_generator: reporting.Generator | None = None
) -> StepOutcome:
    """Perform one step if the case is still where the step expects it; return what happened."""
    case = case_repo.get_case(session, step.case_id)
    if case is None or case.state != step.state:
        return StepOutcome(step.case_id, step.name, "skipped (the case moved on)")
    if step.name == SCREEN:
        screen_case(session=session, case_id=step.case_id)
    elif step.name == CONSOLIDATE:
        consolidation.consolidate_case(session=session, case_id=step.case_id)
    elif step.name == AUTO_ASSIGN:
        plans = assignments.auto_assign(session=session, case_ids=[step.case_id])
        plan = plans.get(step.case_id)
        if plan is not None and not plan.proposals:
            return StepOutcome(
                step.case_id,
                step.name,
                "no eligible reviewer; the QA officers were asked",
                at_gate=True,
            )
    elif step.name == ASK_OFFICER:
        need = assignments.case_need(session, case)
        # the reasons recorded with the case: first reviewers, an extra one, or a replacement
        assignments.request_officer_help(session, case, needed=need.needed)
        return StepOutcome(step.case_id, step.name, "waiting for a QA officer", at_gate=True)
    elif step.name == REPORT:
        reporting.generate_reports(
            session=session, case_id=step.case_id, generator=report_generator
        )
    elif step.name == FINISH:
        reporting.finish_reporting(session=session, case_id=step.case_id)
    session.flush()
    after = access.get_case_or_raise(session, step.case_id)
    return StepOutcome(step.case_id, step.name, f"{step.name}: {step.state} → {after.state}")


def advance_once(
    session: Session, case_id: int, *, report_generator: reporting.Generator | None = None
) -> StepOutcome | None:
    """Perform the automated step due for this case now; None when it waits for a person."""
    step = next_step(session, case_id)
    if step is None:
        return None
    return run_step(session, step, report_generator=report_generator)


def drive(
    step: Callable[[int], StepOutcome | None], case_id: int, *, max_steps: int
) -> list[StepOutcome]:
    """Call `step` for the case until it has nothing to do or reaches a human gate (at most
    `max_steps` times); return what each call did. The flows pass a step that runs in its own
    transaction."""
    done: list[StepOutcome] = []
    for _ in range(max_steps):
        outcome = step(case_id)
        if outcome is None:
            break
        done.append(outcome)
        if outcome.at_gate:
            break
    return done
