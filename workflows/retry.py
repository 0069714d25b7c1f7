"""The flows' one retry policy: a task is retried only when a second try may pass (I/O)."""

from __future__ import annotations

from typing import Any

from prefect import State, Task
from prefect.client.schemas.objects import TaskRun
from sqlalchemy.exc import OperationalError

from qa_engine.domain.errors import StorageError


def retry_on_io(task_: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry only what may pass on a second try: database and file-system hiccups."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001
        return False
    return isinstance(exc, OperationalError | OSError | StorageError)


def io_retries(*delays: int) -> dict[str, Any]:
    """Task options: retry an I/O failure once after each of `delays` seconds, nothing else."""
    return {
        "retries": len(delays),
        "retry_delay_seconds": list(delays),
        "retry_condition_fn": retry_on_io,
    }
