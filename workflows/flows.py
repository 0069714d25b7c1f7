"""Prefect flows that route cases. They are thin: each task opens its own session, calls a service
and commits; flows take ids only. The database holds every case's state, so a retried or repeated
run re-reads it and changes nothing twice."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from prefect import Flow, flow, task
from prefect.runtime import flow_run

from qa_engine.services import advance
from qa_engine.services.advance import StepOutcome
from qa_engine.services.reporting import Generator
from qa_engine.store.db import session_scope
from qa_engine.workflows.retry import io_retries

MAX_STEPS = 25


def _report_generator() -> Generator:
    """The reporting service's generator, writing the reports and then the interop exports of a
    decision through their adapters."""
    from qa_engine.adapters.export_files import ExportFiles
    from qa_engine.adapters.report_files import ReportFiles
    from qa_engine.services.exports import files_generator

    return files_generator(ReportFiles.from_settings(), ExportFiles.from_settings())


def run_next_step(case_id: int) -> StepOutcome | None:
    """The next automated step of one case in its own transaction; None at a human gate.

    Every flow reaches the steps through this name, looked up when it runs: the durability tests
    wrap it to crash or slow a run right after a step has committed (tests/faults.py)."""
    with session_scope() as session:
        return advance.advance_once(session, case_id, report_generator=_report_generator())


def _messages(outcomes: list[StepOutcome]) -> list[str]:
    # flow results travel as JSON (the local Prefect server answers with them): plain strings
    return [o.message for o in outcomes]


@task(name="advance-step", **io_retries(1, 5))
def advance_step(case_id: int) -> StepOutcome | None:
    """Perform the next automated step of one case in its own transaction; None at a human gate."""
    return run_next_step(case_id)


def drive_in_process(case_id: int, max_steps: int = MAX_STEPS) -> list[str]:
    """The steps of one case as plain calls, each in its own transaction, up to the next human gate.

    What a chunk task runs; also the baseline of the orchestration benchmark and the web tests'
    stand-in for a kick (the same steps without Prefect)."""
    return _messages(advance.drive(run_next_step, case_id, max_steps=max_steps))


@task(name="advance-chunk", **io_retries(1, 5))
def advance_chunk(case_ids: list[int], max_steps: int = MAX_STEPS) -> dict[int, list[str]]:
    """Advance a chunk of cases; one task run for many cases keeps orchestration cheap per case.

    A retried chunk re-reads every case's state, so steps already committed are not repeated."""
    return {cid: drive_in_process(cid, max_steps) for cid in case_ids}


CHUNK = 50


def _drive_many(case_ids: Sequence[int], max_steps: int) -> dict[int, list[str]]:
    ids = list(dict.fromkeys(case_ids))
    out: dict[int, list[str]] = {}
    for i in range(0, len(ids), CHUNK):
        out.update(advance_chunk.submit(ids[i : i + CHUNK], max_steps).result())
    return out


@task(name="deliver-notifications", **io_retries(2, 10))
def deliver_notifications(case_ids: list[int] | None = None) -> dict[str, int]:
    from qa_engine.workflows.delivery import deliver_pending

    result = deliver_pending(case_ids=case_ids)
    return {"sent": result.sent, "failed": result.failed}


def _drive(case_id: int, max_steps: int) -> list[str]:
    # Tasks run in the task runner's threads (submit), not on the flow's event loop: signing a
    # report runs an event loop of its own, which cannot nest inside the flow's.
    return _messages(
        advance.drive(lambda cid: advance_step.submit(cid).result(), case_id, max_steps=max_steps)
    )


@flow(name="advance-case", flow_run_name="case-{case_id}")
async def advance_case(case_id: int, max_steps: int = MAX_STEPS) -> list[str]:
    """Advance one case through its automated stages up to the next human gate."""
    done = _drive(case_id, max_steps)
    deliver_notifications.submit([case_id]).result()
    return done


def _batch_name() -> str:
    ids = flow_run.parameters.get("case_ids") or []
    if not ids:
        return "cases-none"
    return f"cases-{min(ids)}-{max(ids)}-n{len(ids)}"


@flow(name="advance-cases", flow_run_name=_batch_name)
async def advance_cases(case_ids: list[int], max_steps: int = MAX_STEPS) -> dict[int, list[str]]:
    """Advance many cases in one run, in chunks (far cheaper than one run or task per case)."""
    out = _drive_many(case_ids, max_steps)
    deliver_notifications.submit(list(case_ids)).result()
    return out


@task(name="sweep")
def sweep_task() -> dict[str, Any]:
    from qa_engine.services.sweep import sweep

    with session_scope() as session:
        result = sweep(session=session)
    return {"summary": result.summary(), "to_advance": sorted(result.to_advance)}


@flow(name="sweep", flow_run_name="sweep")
async def sweep_flow() -> dict[str, Any]:
    """Deadlines, reminders, replacements, expired approvals, then advance what can move."""
    result = sweep_task.submit().result()
    advanced = _drive_many(result["to_advance"], MAX_STEPS)
    delivered = deliver_notifications.submit(None).result()
    return {**result, "advanced": advanced, "delivered": delivered}


@task(name="import-credentials")
def import_task(path: str, rubric_id: str, actor_username: str | None) -> list[int]:
    """Import the file as the named user (or the engine) and open a case for each credential without
    one."""
    from qa_engine.adapters.credential_io import read_credentials_file
    from qa_engine.config import get_settings
    from qa_engine.services import credential_import
    from qa_engine.services.actors import acting_user

    settings = get_settings()
    file = Path(path)
    with session_scope() as session:
        actor = acting_user(session=session, username=actor_username)
        known = credential_import.known_providers(session=session, actor=actor)
    items = read_credentials_file(
        file,
        max_bytes=settings.max_upload_bytes,
        max_unzipped_bytes=settings.max_unzipped_bytes,
        known_providers=known,
    )
    with session_scope() as session:
        result = credential_import.import_credentials(
            session=session,
            actor=actor,
            items=items,
            open_cases=True,
            rubric_id=rubric_id,
            source=file.name,
        )
    return result.opened_cases


@flow(name="intake", flow_run_name="intake-{path}")
async def intake_flow(
    path: str, rubric_id: str = "4eu-mici", actor_username: str | None = None
) -> dict[str, Any]:
    """Import a spreadsheet or JSON of credentials, open a case for each new or changed one, and
    advance them."""
    case_ids = import_task.submit(path, rubric_id, actor_username).result()
    advanced = _drive_many(case_ids, MAX_STEPS)
    deliver_notifications.submit(case_ids).result()
    return {"cases": case_ids, "advanced": advanced}


# the flows are async: calling one gives the coroutine of its run
EngineFlow = Flow[..., Coroutine[Any, Any, Any]]
ALL_FLOWS: Sequence[EngineFlow] = (advance_case, advance_cases, sweep_flow, intake_flow)
# the flows a command may ask the local Prefect server to run, by name
BY_NAME: dict[str, EngineFlow] = {
    "advance_case": advance_case,
    "advance_cases": advance_cases,
    "sweep": sweep_flow,
    "intake": intake_flow,
}
