"""Fault injection for durability tests: crash a flow right after a named step has committed."""

from __future__ import annotations

import os


class SimulatedCrash(Exception):
    """Raised on purpose where the environment asks for a crash (tests only)."""


_crash_after: set[str] = set()


def crash_after(*steps: str) -> None:
    _crash_after.clear()
    _crash_after.update(steps)


def maybe_crash(point: str) -> None:
    wanted = _crash_after | set(filter(None, os.environ.get("QA_FAULT_CRASH_AFTER", "").split(",")))
    if point in wanted:
        _crash_after.discard(point)
        raise SimulatedCrash(f"simulated crash after {point}")


def maybe_pause() -> None:
    """Slow each step down when the environment asks (tests that must catch a batch in the middle)."""
    delay = os.environ.get("QA_FAULT_STEP_DELAY_MS")
    if delay:
        import time

        time.sleep(int(delay) / 1000)
