"""Start the automated stages after a human action has committed.

Embedded mode runs the flow in this process (no server to install). Deployment mode asks the
Prefect server to run the deployment (`run_deployment(..., timeout=0)`, with an idempotency key so
a repeated kick for the same case version starts one run); `qa-engine worker` processes serve it.
A kick that fails is not an error for the person who acted: the sweep picks the case up later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from qa_engine.config import get_settings

log = logging.getLogger("qa_engine.kick")

ADVANCE_DEPLOYMENT = "advance-case/advance-case"
ADVANCE_MANY_DEPLOYMENT = "advance-cases/advance-cases"


def kick(case_ids: Sequence[int], *, idempotency: str = "") -> str:
    """Advance these cases now; return a short note of what was started."""
    ids = sorted(set(case_ids))
    if not ids:
        return "nothing to advance"
    try:
        if get_settings().prefect_mode == "deployment":
            return _kick_deployment(ids, idempotency)
        return _kick_embedded(ids)
    except Exception as exc:  # noqa: BLE001 - the human action is committed; the sweep retries
        log.warning("kick of cases %s failed: %s", ids, exc)
        return f"could not start the flow now ({type(exc).__name__}); the sweep will advance the case"


def _kick_embedded(ids: list[int]) -> str:
    from qa_engine.workflows.flows import advance_case, advance_cases

    if len(ids) == 1:
        steps = _run(advance_case(ids[0]))
        return f"case {ids[0]}: " + ("; ".join(steps) if steps else "waiting for a person")
    results = _run(advance_cases(ids))
    moved = sum(1 for v in results.values() if v)
    return f"{moved} of {len(ids)} case(s) advanced"


def _run(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # called from inside an event loop (e.g. a web request thread): run in a fresh loop elsewhere
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _kick_deployment(ids: list[int], idempotency: str) -> str:
    from prefect.deployments import run_deployment

    from qa_engine.store import audit_repo
    from qa_engine.store.db import session_scope

    # The key names the case's last recorded event: the same kick twice starts one run, and any
    # new human action (a new event) starts a new one.
    started = []
    with session_scope() as session:
        marks = {cid: audit_repo.last_seq_for(session, "case", cid) for cid in ids}
    for cid in ids:
        run = run_deployment(ADVANCE_DEPLOYMENT, parameters={"case_id": cid}, timeout=0,
                             idempotency_key=f"advance-{cid}-e{marks[cid]}{idempotency}")
        started.append(str(run.id))
    return f"{len(started)} flow run(s) queued"
