"""Run the qa-engine CLI with fault hooks installed in its process (see `tests/faults.py`):

    python -m tests.fault_runner [--step-delay-ms N] [--crash-after STEP[,STEP…]]
                                 [--hold-after-steps K] -- ARGS…

runs ``qa-engine ARGS…`` (the flows in this process, against the Prefect server the test exported)
with every automated step slowed down by N ms, crashing after the named steps, or stopping for good
after the K-th step (until the test kills the process)."""

from __future__ import annotations

import argparse
import sys

import pytest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fault_runner")
    parser.add_argument("--step-delay-ms", type=int, default=0)
    parser.add_argument("--crash-after", default="", help="comma-separated step names")
    parser.add_argument("--hold-after-steps", type=int, default=0)
    parser.add_argument("cli", nargs=argparse.REMAINDER, help="-- then the qa-engine arguments")
    args = parser.parse_args(argv)
    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli

    from tests import faults

    hooks = pytest.MonkeyPatch()  # never undone: the process ends with the command
    if args.step_delay_ms:
        faults.slow_steps(hooks, args.step_delay_ms)
    if args.crash_after:
        faults.crash_after(hooks, *filter(None, args.crash_after.split(",")))
    if args.hold_after_steps:
        faults.hold_after(hooks, args.hold_after_steps)

    from qa_engine.cli.main import main as qa_engine

    sys.argv = ["qa-engine", *cli]
    qa_engine()


if __name__ == "__main__":
    main()
