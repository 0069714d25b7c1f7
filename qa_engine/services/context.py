"""What services share: the clock, the workflow settings, state changes with their audit event."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from qa_engine.config import get_settings
from qa_engine.domain import clock
from qa_engine.domain.case_states import CaseState, check_transition
from qa_engine.domain.clock import now as now  # the engine's clock, for the services
from qa_engine.domain.clock import set_clock as set_clock  # tests and simulations move it
from qa_engine.domain.roles import SYSTEM, Actor
from qa_engine.domain.workflow_settings import WorkflowSettings, load_workflow_settings
from qa_engine.services import audit
from qa_engine.services.rows import saved_id
from qa_engine.store.models import Case


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> WorkflowSettings:
    return load_workflow_settings(Path(path))


def workflow_settings() -> WorkflowSettings:
    path = get_settings().workflow_settings
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _load(str(path), mtime)


def transition(
    session: Session,
    case: Case,
    target: CaseState,
    *,
    actor: Actor | str,
    payload: dict[str, Any] | None = None,
) -> Case:
    """Move a case to `target` if the state machine allows it, and record the event."""
    before = case.state
    check_transition(before, target)
    if actor == SYSTEM or actor == SYSTEM.username:
        # the engine's own work on the stage it leaves takes time (a simulation's pace)
        clock.elapse(before)
    case.state = target.value
    case.state_since = now()
    if target in (CaseState.CLOSED, CaseState.WITHDRAWN):
        case.closed_at = now()
    session.add(case)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"case.{target.value}",
        subject_type="case",
        subject_id=saved_id(case),
        payload={"from": before, "to": target.value, "round": case.round, **(payload or {})},
    )
    return case
