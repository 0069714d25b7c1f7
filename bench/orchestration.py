"""Benchmark: N cases through every automated stage via the real Prefect flows (batch advance),
against the same service calls in a plain Python loop, in the same run on identical databases.

    python -m bench.orchestration [--cases 1000] [--report-cases 100]

Stages timed: screening, auto-assignment (with invitations delivered), consolidation, reporting
(signed PDF + workbook; on the first --report-cases cases only: rendering dominates and costs
the same on both sides). The human steps between them (self-assessments, reviews, decisions) are
the synthetic alliance's simulated people (`qa_engine.synthetic`) acting through the services, not
timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _use(data_dir: Path, wf: Path) -> None:
    os.environ["QA_DATA_DIR"] = str(data_dir)
    os.environ["QA_WORKFLOW_SETTINGS"] = str(wf)
    os.environ.pop("QA_DATABASE_URL", None)
    from qa_engine.config import reset_settings
    from qa_engine.store.db import reset_engines

    reset_settings()
    reset_engines()


# The simulated people act the same way on both databases (same seed) and never decline, come
# late or disagree: every case reaches each automated stage, so both sides do identical work.
STEADY = {"decline_rate": 0.0, "late_rate": 0.0, "disagreement_rate": 0.0}


def _setup(n: int, seed: int) -> dict:
    from qa_engine.cli.main import initialise_all
    from qa_engine.store.db import session_scope
    from qa_engine.synthetic import Rates, SyntheticAlliance

    initialise_all()
    alliance = SyntheticAlliance(seed=seed)
    with session_scope() as s:
        # enough reviewers and load for every case at once: 2 per case, 12 open reviews each
        staff = alliance.staff(s, reviewers_per_institution=max(5, n // 32), max_open_reviews=12)
    with session_scope() as s:
        ids = alliance.open_cases(s, alliance.credentials(s, n), staff=staff)
    return {"behaviour": alliance.behaviour(staff, rates=Rates(**STEADY)), "ids": ids}


def _self_assess(behaviour, ids):
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        behaviour.self_assess(s, ids)


def _review(behaviour, ids):
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        behaviour.review_wave(s, ids)


def _decide(behaviour, ids):
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        behaviour.decide(s, ids)


def _plain(ids):
    from qa_engine.workflows.delivery import deliver_pending
    from qa_engine.workflows.flows import drive_in_process

    for cid in ids:
        drive_in_process(cid)
    deliver_pending(case_ids=ids)


def _flows(ids):
    from qa_engine.workflows.flows import advance_cases

    asyncio.run(advance_cases(ids))


def _children_cpu() -> float:
    """CPU seconds of this process's children (the local Prefect server), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    todo = [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
            if pid != os.getpid():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


def _quiet(limit: float = 120.0) -> None:
    """Wait until the Prefect server has digested the last run's events: it does so after the run
    returns, and would otherwise take its CPU from whichever side runs next."""
    deadline = time.monotonic() + limit
    last = _children_cpu()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _children_cpu()
        if now - last < 0.02:
            return
        last = now


def _states(ids):
    from collections import Counter

    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        return Counter(case_repo.get_case(s, c).state for c in ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--report-cases", type=int, default=100)
    parser.add_argument(
        "--first",
        type=int,
        choices=(0, 1),
        default=0,
        help="0: the plain loop goes first in the first stage; 1: the flows do",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect"))
        import yaml

        wf = yaml.safe_load((ROOT / "workflows" / "settings.yaml").read_text())
        wf["auto_assign"] = True
        (tmp / "wf.yaml").write_text(yaml.safe_dump(wf))
        sides = {"plain loop": (tmp / "plain", _plain), "Prefect flows": (tmp / "flows", _flows)}
        ctx = {}
        for name, (folder, _) in sides.items():
            _use(folder, tmp / "wf.yaml")
            ctx[name] = _setup(args.cases, seed=1)
        print(
            f"{args.cases} cases on two identical SQLite databases; warming up the Prefect engine…",
            flush=True,
        )
        _use(sides["Prefect flows"][0], tmp / "wf.yaml")
        _flows([])  # starts the local Prefect server outside the timings
        timings: dict[str, dict[str, float]] = {n: {} for n in sides}
        stages = [
            ("screening", None),
            ("auto-assignment + invitations", _self_assess),
            ("consolidation", _review),
            ("reporting (signed PDF + workbook)", _decide),
        ]
        for k, (stage, before) in enumerate(stages):
            # the sides take turns going first, so that neither always meets a warmer or busier
            # machine
            order = list(sides.items()) if (k + args.first) % 2 == 0 else list(sides.items())[::-1]
            for name, (folder, run) in order:
                _use(folder, tmp / "wf.yaml")
                ids = ctx[name]["ids"]
                if stage.startswith("reporting"):
                    ids = ids[: args.report_cases]
                if before is not None:
                    before(ctx[name]["behaviour"], ids)
                _quiet()
                t = time.perf_counter()
                run(ids)
                timings[name][stage] = time.perf_counter() - t
            a, b = timings["plain loop"][stage], timings["Prefect flows"][stage]
            n = args.report_cases if stage.startswith("reporting") else args.cases
            print(
                f"{stage:38s} plain {a:7.2f} s   flows {b:7.2f} s   ratio {b / a:5.2f}×   "
                f"overhead {(b - a) / n * 1000:6.2f} ms/case",
                flush=True,
            )
        for name, (folder, _) in sides.items():
            _use(folder, tmp / "wf.yaml")
            print(f"{name}: final states {dict(_states(ctx[name]['ids']))}")
        total_a = sum(timings["plain loop"].values())
        total_b = sum(timings["Prefect flows"].values())
        print(
            f"all timed stages: plain {total_a:.1f} s, flows {total_b:.1f} s, ratio "
            f"{total_b / total_a:.2f}× (target ≤ 1.25×)"
        )


if __name__ == "__main__":
    main()
