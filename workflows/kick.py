"""Start the automated stages after a human action has committed.

Embedded mode runs the flow in the data folder's local Prefect server process (started on first
need, see `local_server`), or in this process when a Prefect server is given (PREFECT_API_URL).
Deployment mode asks the
Prefect server to run the deployment (`run_deployment(..., timeout=0)`, with an idempotency key so
a repeated kick for the same case version starts one run); `qa-engine worker` processes serve it.
A kick that fails is not an error for the person who acted: the sweep picks the case up later.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast

from qa_engine.config import Settings, get_settings
from qa_engine.domain import advance_notes
from qa_engine.workflows import local_server

log = logging.getLogger("qa_engine.kick")
T = TypeVar("T")

ADVANCE_DEPLOYMENT = "advance-case/advance-case"
ADVANCE_MANY_DEPLOYMENT = "advance-cases/advance-cases"


def kick(
    case_ids: Sequence[int], *, idempotency: str = "", on_start: Callable[[], None] | None = None
) -> str:
    """Advance these cases now; return a short note of what was started (English wherever a
    string is used, a `Phrase` that the command line shows in its language)."""
    ids = sorted(set(case_ids))
    if not ids:
        return advance_notes.nothing_to_advance()
    try:
        if get_settings().prefect_mode == "deployment":
            return _kick_deployment(ids, idempotency)
        return _kick_embedded(ids, on_start)
    except Exception as exc:  # noqa: BLE001 - the human action is committed; the sweep retries
        log.warning("kick of cases %s failed: %s", ids, exc)
        return advance_notes.not_started(type(exc).__name__)


def _kick_embedded(ids: list[int], on_start: Callable[[], None] | None = None) -> str:
    if len(ids) == 1:
        steps = run_flow("advance_case", case_id=ids[0], on_start=on_start)
        return advance_notes.case_steps(ids[0], list(steps or []))
    results = run_flow("advance_cases", case_ids=ids, on_start=on_start)
    moved = sum(1 for v in results.values() if v)
    return advance_notes.cases_advanced(moved, len(ids))


def prepare_prefect(settings: Settings | None = None) -> None:
    """Before Prefect is used in this process: its home in the data folder, offline, patient."""
    settings = settings or get_settings()
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(settings.prefect_home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = str(
        int(settings.prefect_startup_timeout)
    )


def local_prefect(
    settings: Settings | None = None,
    *,
    on_start: Callable[[], None] | None = None,
) -> local_server.ServerInfo:
    """The data folder's local Prefect server, started when none answers."""
    settings = settings or get_settings()
    return local_server.ensure_started(
        settings.resolved_data_dir,
        startup_timeout=settings.prefect_startup_timeout,
        idle_minutes=settings.prefect_idle_minutes,
        on_start=on_start,
    )


def use_local_prefect_here(
    settings: Settings | None = None, on_start: Callable[[], None] | None = None
) -> local_server.ServerInfo | None:
    """Make flows run in this process report to the local Prefect server (unless one is given)."""
    settings = settings or get_settings()
    prepare_prefect(settings)
    if os.environ.get("PREFECT_API_URL"):
        return None
    info = local_prefect(settings, on_start=on_start)
    os.environ["PREFECT_API_URL"] = info.api_url
    return info


def run_flow(name: str, *, on_start: Callable[[], None] | None = None, **params: Any) -> Any:
    """Run one of the engine's flows (`flows.BY_NAME`) and return its result.

    With a Prefect server given (PREFECT_API_URL), in this process against it; otherwise in the
    local Prefect server's process, warm, so a command does not pay Prefect's start-up. A local
    server started with other QA_* settings than ours runs nothing of ours: then here, reporting to
    it."""
    settings = get_settings()
    if not os.environ.get("PREFECT_API_URL"):
        info = local_prefect(settings, on_start=on_start)
        if info.fingerprint == local_server.config_fingerprint(settings.resolved_data_dir):
            return _json_result(name, local_server.run_flow(info, name, **params))
        os.environ["PREFECT_API_URL"] = info.api_url
    prepare_prefect(settings)
    from qa_engine.workflows.flows import BY_NAME

    return _run(BY_NAME[name](**params))


def _json_result(name: str, result: Any) -> Any:
    """JSON turned the case ids that key a result into strings: turn them back."""

    def ids(d: dict[str, Any]) -> dict[int, Any]:
        return {int(k): v for k, v in d.items()}

    if name == "advance_cases":
        return ids(result)
    if name == "sweep":
        return {**result, "advanced": ids(result.get("advanced") or {})}
    if name == "intake":
        return {**result, "advanced": ids(result.get("advanced") or {})}
    return result


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # called from inside an event loop (e.g. a web request thread): run in a fresh loop elsewhere
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _kick_deployment(ids: list[int], idempotency: str) -> str:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    from qa_engine.store import audit_repo
    from qa_engine.store.db import session_scope

    # The key names the case's last recorded event: the same kick twice starts one run, and any
    # new human action (a new event) starts a new one.
    started = []
    with session_scope() as session:
        marks = {cid: audit_repo.last_seq_for(session, "case", cid) for cid in ids}
    for cid in ids:
        # Prefect types the answer as the FlowRun or, in an async context, its coroutine; this
        # runs in synchronous code (a command, a web request's thread): the FlowRun
        run = cast(
            FlowRun,
            run_deployment(
                ADVANCE_DEPLOYMENT,
                parameters={"case_id": cid},
                timeout=0,
                idempotency_key=f"advance-{cid}-e{marks[cid]}{idempotency}",
            ),
        )
        started.append(str(run.id))
    return advance_notes.runs_queued(len(started))
