"""Fault injection for the durability tests, from the test side only: nothing in the engine reads a
fault setting. Every flow performs each automated step through `flows.run_next_step` (one committed
transaction) and delivers messages through `delivery.deliver_pending`, both looked up when they
run; these helpers wrap them, with a `pytest.MonkeyPatch` that undoes the wrapping.

For a test that starts the CLI as a subprocess, `tests/fault_runner.py` installs the same hooks in
that process and then runs the CLI."""

from __future__ import annotations

import threading
import time

import pytest

from qa_engine.workflows import delivery, flows

# the point after the notifications of a run were delivered (not a step's name)
DELIVER = "deliver"


class SimulatedCrash(Exception):
    """Raised on purpose where a test asked for a crash."""


def crash_after(monkeypatch: pytest.MonkeyPatch, *points: str) -> None:
    """Crash the run once right after each named step (`advance.SCREEN`, `AUTO_ASSIGN`, `REPORT`, …)
    has committed, or after the run's notifications were delivered (`DELIVER`)."""
    pending = set(points)
    step = flows.run_next_step

    def crashing_step(case_id: int):
        outcome = step(case_id)
        if outcome is not None and outcome.step in pending:
            pending.discard(outcome.step)
            raise SimulatedCrash(f"simulated crash after {outcome.step}")
        return outcome

    monkeypatch.setattr(flows, "run_next_step", crashing_step)
    if DELIVER not in pending:
        return
    deliver = delivery.deliver_pending

    def crashing_delivery(*args, **kwargs):
        result = deliver(*args, **kwargs)
        if DELIVER in pending:
            pending.discard(DELIVER)
            raise SimulatedCrash(f"simulated crash after {DELIVER}")
        return result

    monkeypatch.setattr(delivery, "deliver_pending", crashing_delivery)


def slow_steps(monkeypatch: pytest.MonkeyPatch, delay_ms: int) -> None:
    """Make each step last `delay_ms` longer (after its commit): tests that must catch a batch in
    the middle."""
    step = flows.run_next_step

    def slow_step(case_id: int):
        outcome = step(case_id)
        time.sleep(delay_ms / 1000)
        return outcome

    monkeypatch.setattr(flows, "run_next_step", slow_step)


def hold_after(
    monkeypatch: pytest.MonkeyPatch,
    steps: int,
    *,
    reached: threading.Event | None = None,
    release: threading.Event | None = None,
    timeout: float = 900,
) -> None:
    """Stop the run right after its `steps`-th step has committed: set `reached`, then wait until
    `release` is set (at most `timeout` seconds, then crash), or, without `release`, until the
    process is killed.

    A test that must act in the middle of a batch waits for `reached` instead of racing the batch
    with the clock: however slow the machine, the batch cannot end before the test has acted."""
    step = flows.run_next_step
    count = 0
    lock = threading.Lock()

    def holding_step(case_id: int):
        nonlocal count
        outcome = step(case_id)
        if outcome is None:
            return outcome
        with lock:
            count += 1
            hold = count == steps
        if hold:
            if reached is not None:
                reached.set()
            if release is None:
                threading.Event().wait()  # held until the process is killed
            elif not release.wait(timeout):
                raise SimulatedCrash(f"held after {steps} step(s) and not released in {timeout} s")
        return outcome

    monkeypatch.setattr(flows, "run_next_step", holding_step)
