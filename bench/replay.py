"""Benchmark of the rubric replay (issue 18, item 3) against scoring the same cases under the old
version.

The synthetic alliance of `bench.generate` (default 100,000 decided cases on the ``4eu-mici``
rubric) is written to its own SQLite database under ``var/bench`` (or reused when it is there).
Then, in the same run and on the same data, each timed as the best of ``--repeat``:

- **load**: the frozen inputs from the store (`services.rubric_replay.decided_rounds`: the
  decided rounds with their credential's elements, and their submitted reviews, in two bulk
  queries);
- **baseline**: scoring every decided round once under the version it was decided with, through
  the engine's own `domain.scoring.score` (the consolidated means computed as
  `consolidation.consolidate` does): what the engine spends to score these cases;
- **replay**: `domain.replay.replay` of a new version (a draft that adds a gate ≥ 3 on
  ``mici-recognition``): every round scored under the old and the new version, the changes
  explained, the distributions and the effect per institution, field and EQF level;
- **end to end**: the service (`services.rubric_replay.replay_rubric`: load, replay, audit
  event) in a transaction that is rolled back.

It prints the times and the ratio replay / baseline.

    python -m bench.replay                  # 100,000 decided cases
    python -m bench.replay --cases 10000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def _best(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    assert result is not None
    return best, result


def _draft(folder: Path) -> Path:
    from qa_engine.config import get_settings

    text = (get_settings().rubrics_dir / "4eu-mici.yaml").read_text()
    text = text.replace('version: "1.0.0"', 'version: "1.1.0"', 1)
    anchor = "    weight: 0.125\n"
    text = text.replace(anchor, anchor + "    gate: {min_level: 3}\n", 1)
    path = folder / "4eu-mici.yaml"
    path.write_text(text)
    return path


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    from qa_engine.domain.replay import CompiledRubric, consolidated_means, replay
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.domain.scoring import score
    from qa_engine.services.rubric_replay import (
        Period,
        decided_rounds,
        load_draft,
        replay_rubric,
        stored_versions,
    )

    with tempfile.TemporaryDirectory() as folder:
        new = load_draft(_draft(Path(folder)))
    with Session(engine) as session:
        load_t, rounds = _best(
            lambda: decided_rounds(session=session, rubric_id=new.id, period=Period()), repeat
        )
        old = stored_versions(session, new.id)
    compiled = {h: CompiledRubric(r) for h, r in old.items()}

    def baseline() -> int:
        n = 0
        for r in rounds:
            c = compiled[r.rubric_hash]
            b = score(c.rubric, c.inputs(consolidated_means(r.reviews), r.elements))
            n += b.recommended_outcome is not None
        return n

    base_t, scored = _best(baseline, repeat)
    replay_t, report = _best(lambda: replay(rounds, old, new), repeat)

    def end_to_end() -> int:
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
                    got = replay_rubric(session=s, actor=SYSTEM, new=new, period=Period())
                    return got.rounds
            finally:
                outer.rollback()

    e2e_t, _ = _best(end_to_end, repeat)
    return {
        "rounds": len(rounds),
        "scored": scored,
        "changed": report.changed,
        "load": load_t,
        "baseline": base_t,
        "replay": replay_t,
        "e2e": e2e_t,
    }


def _decided(engine: Engine) -> int:
    from qa_engine.store.models import Case

    with Session(engine) as s:
        return int(
            s.execute(
                select(func.count()).select_from(Case).where(Case.state == "closed")
            ).scalar_one()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rubric replay against scoring the same cases under the old version."
    )
    parser.add_argument("--cases", type=int, default=100_000, help="decided cases")
    parser.add_argument(
        "--database-url", default=None, help="SQLAlchemy URL (default: SQLite under var/bench)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    from bench.generate import generate
    from qa_engine.store.db import make_engine
    from qa_engine.store.migrate import upgrade

    url = args.database_url or f"sqlite:///{ROOT / 'var' / 'bench' / f'replay-{args.cases}.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    have = _decided(engine)
    if have < args.cases:
        print(f"generating {args.cases - have:,} decided cases in {url} …", file=sys.stderr)
        g = generate(
            engine,
            args.cases - have,
            seed=args.seed,
            progress=lambda m: print("   ", m, file=sys.stderr),
        )
        print(f"generated in {g.seconds:.0f} s", file=sys.stderr)
    m = measure(engine, args.repeat)
    engine.dispose()
    print(
        f"[{args.cases:,} decided cases, {m['rounds']:,} decided rounds, {engine.dialect.name}]"
        f" {m['changed']:,} recommended outcomes change under the draft\n"
        f"   load the frozen inputs (store)       : {m['load']:8.3f} s\n"
        f"   baseline: scoring.score, old version : {m['baseline']:8.3f} s\n"
        f"   replay: old and new version, report  : {m['replay']:8.3f} s"
        f"   ratio {m['replay'] / m['baseline']:.2f}×\n"
        f"   end to end (service, audit event)    : {m['e2e']:8.3f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
