"""After a human action has committed, the automated stages run in a background task, after the
response has been sent: a request never waits for a flow."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import BackgroundTasks

from qa_engine.workflows import kick as kick_module

log = logging.getLogger("qa_engine.web")


def _advance(case_ids: list[int]) -> None:
    try:
        note = kick_module.kick(case_ids)  # looked up at call time, so tests may replace it
        log.info("kick %s: %s", case_ids, note)
    except Exception:  # noqa: BLE001 - the action is committed; the sweep advances the case later
        log.exception("kick of cases %s failed", case_ids)


def advance_later(background: BackgroundTasks, case_ids: Iterable[int]) -> None:
    ids = sorted({int(c) for c in case_ids})
    if ids:
        background.add_task(_advance, ids)
