"""Benchmark of the leadership aggregates (issue 6) against one hand-written SQL aggregation.

For each size (default 10,000 and 100,000 decided cases) the synthetic alliance of
`bench.generate` is written to its own database (or reused when it is already there), then, in the
same run and on the same database, three things are timed (best of ``--repeat``):

- **hand-written**: one SQL statement written by hand for this dialect, aggregating every criterion
  score of the decided review rounds and their self-assessments (per criterion and pattern of
  scores: how many reviewers gave each value, the mean peer score, the self-assessment score):
  the heaviest figure, one pass over all the scores;
- **query layer**: the same figure through `qa_engine.store.aggregates.criterion_patterns` (the
  results must be equal, or the benchmark stops);
- **whole report**: `qa_engine.services.leadership.leadership_figures`, every section.

It prints the times, the ratios to the hand-written query and the growth from one size to the
next (linear growth is ×10 from 10k to 100k). SQLite by default (files under ``var/bench``); give
``--database-url`` of a PostgreSQL server to run there (one database per size is created on it).

    python -m bench.aggregates                     # SQLite, 10k and 100k
    python -m bench.aggregates --sizes 10000 --database-url postgresql+psycopg://root@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = (0, 1, 2, 3, 4)
PERIOD = (date(2016, 1, 1), date(2035, 12, 31))  # everything the generator wrote

HAND_SQLITE = """
WITH scores AS (
  SELECT r.case_id, r.round, s.key AS criterion, s.value AS v, 1 AS peer
  FROM decision d
  JOIN review r ON r.case_id = d.case_id AND r.round = d.round AND r.status = 'submitted'
  JOIN json_each(r.scores) s
  WHERE d.decided_at >= :start AND d.decided_at < :end
  UNION ALL
  SELECT sa.case_id, sa.round, e.key, json_extract(e.value, '$.score'), 0
  FROM decision d
  JOIN self_assessment sa ON sa.case_id = d.case_id AND sa.round = d.round
  JOIN json_each(sa.entries) e
  WHERE d.decided_at >= :start AND d.decided_at < :end
), units AS (
  SELECT criterion, AVG(CASE WHEN peer = 1 THEN v END) AS peer,
         MAX(CASE WHEN peer = 0 THEN v END) AS self,
         SUM(peer = 1 AND v = 0) AS n0, SUM(peer = 1 AND v = 1) AS n1,
         SUM(peer = 1 AND v = 2) AS n2, SUM(peer = 1 AND v = 3) AS n3,
         SUM(peer = 1 AND v = 4) AS n4
  FROM scores GROUP BY case_id, round, criterion HAVING SUM(peer) > 0
)
SELECT criterion, n0, n1, n2, n3, n4, COUNT(*), SUM(peer), SUM(self IS NOT NULL),
       COALESCE(SUM(self), 0.0),
       COALESCE(SUM(CASE WHEN self IS NOT NULL THEN peer ELSE 0.0 END), 0.0)
FROM units GROUP BY criterion, n0, n1, n2, n3, n4
"""

HAND_POSTGRES = """
WITH scores AS (
  SELECT r.case_id, r.round, s.key AS criterion, s.value::float AS v, 1 AS peer
  FROM decision d
  JOIN review r ON r.case_id = d.case_id AND r.round = d.round AND r.status = 'submitted'
  CROSS JOIN LATERAL jsonb_each_text(r.scores) s
  WHERE d.decided_at >= :start AND d.decided_at < :end
  UNION ALL
  SELECT sa.case_id, sa.round, e.key, (e.value ->> 'score')::float, 0
  FROM decision d
  JOIN self_assessment sa ON sa.case_id = d.case_id AND sa.round = d.round
  CROSS JOIN LATERAL jsonb_each(sa.entries) e
  WHERE d.decided_at >= :start AND d.decided_at < :end
), units AS (
  SELECT criterion, AVG(v) FILTER (WHERE peer = 1) AS peer, MAX(v) FILTER (WHERE peer = 0) AS self,
         COUNT(*) FILTER (WHERE peer = 1 AND v = 0) AS n0,
         COUNT(*) FILTER (WHERE peer = 1 AND v = 1) AS n1,
         COUNT(*) FILTER (WHERE peer = 1 AND v = 2) AS n2,
         COUNT(*) FILTER (WHERE peer = 1 AND v = 3) AS n3,
         COUNT(*) FILTER (WHERE peer = 1 AND v = 4) AS n4
  FROM scores GROUP BY case_id, round, criterion HAVING SUM(peer) > 0
)
SELECT criterion, n0, n1, n2, n3, n4, COUNT(*), SUM(peer),
       SUM(CASE WHEN self IS NOT NULL THEN 1 ELSE 0 END),
       COALESCE(SUM(self), 0.0),
       COALESCE(SUM(CASE WHEN self IS NOT NULL THEN peer ELSE 0.0 END), 0.0)
FROM units GROUP BY criterion, n0, n1, n2, n3, n4
"""


def _engine_for(size: int, server_url: str | None) -> Engine:
    from qa_engine.store.db import make_engine

    if server_url is None:
        path = ROOT / "var" / "bench" / f"aggregates-{size}.db"
        return make_engine(f"sqlite:///{path}")
    url = make_url(server_url)
    if url.get_backend_name() == "sqlite":
        return make_engine(
            str(url.set(database=str(Path(url.database).with_name(f"aggregates-{size}.db"))))
        )
    name = f"qa_bench_{size}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_engine(
        url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    )


def _decided(engine: Engine) -> int:
    from qa_engine.store.models import Case

    with Session(engine) as s:
        from sqlalchemy import func

        return int(
            s.execute(
                select(func.count()).select_from(Case).where(Case.state == "closed")
            ).scalar_one()
        )


def _best(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def _normalise(rows) -> list[tuple]:
    return sorted(
        (
            r[0],
            *(int(x) for x in r[1:7]),
            round(float(r[7]), 6),
            int(r[8]),
            round(float(r[9]), 6),
            round(float(r[10]), 6),
        )
        for r in rows
    )


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    from qa_engine.domain.leadership import ReportPeriod
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services.leadership import leadership_figures
    from qa_engine.store import aggregates as agg

    period = ReportPeriod(*PERIOD)
    scope = agg.Scope(start=period.start_at, end=period.end_at)
    pg = engine.dialect.name == "postgresql"
    params = {
        "start": period.start_at.replace(tzinfo=None),
        "end": period.end_at.replace(tzinfo=None),
    }
    if not pg:
        params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in params.items()}
    sql = text(HAND_POSTGRES if pg else HAND_SQLITE)

    with Session(engine) as session:
        hand_t, hand_rows = _best(lambda: session.execute(sql, params).all(), repeat)
        layer_t, layer_rows = _best(lambda: agg.criterion_patterns(session, scope, DOMAIN), repeat)
        as_tuples = [
            (
                r.criterion,
                *r.value_counts,
                r.units,
                r.peer_sum,
                r.self_units,
                r.self_sum,
                r.peer_sum_self,
            )
            for r in layer_rows
        ]
        if _normalise(hand_rows) != _normalise(as_tuples):
            raise SystemExit(
                "the query layer and the hand-written query disagree: benchmark stopped"
            )
        full_t, figures = _best(
            lambda: leadership_figures(
                session=session, actor=SYSTEM, period=period, now=datetime.now(UTC)
            ),
            repeat,
        )
    scores = sum(sum(r.value_counts) * r.units for r in layer_rows)
    return {
        "hand": hand_t,
        "layer": layer_t,
        "full": full_t,
        "scores": scores,
        "decisions": figures.outcomes.decisions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Leadership aggregates against one hand-written SQL aggregation."
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="decided cases per database, comma-separated"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server (or SQLite file) URL; default SQLite",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement (the best counts)"
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    from bench.generate import generate
    from qa_engine.store.migrate import upgrade

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for size in sizes:
        engine = _engine_for(size, args.database_url)
        upgrade(engine)
        have = _decided(engine)
        if have < size:
            print(
                f"[{size:,}] generating the synthetic alliance in "
                f"{engine.url.render_as_string()} …",
                file=sys.stderr,
            )
            g = generate(
                engine,
                size - have,
                seed=args.seed,
                progress=lambda m: print("   ", m, file=sys.stderr),
            )
            print(
                f"[{size:,}] generated in {g.seconds:.0f} s: {g.reviews:,} reviews, "
                f"{g.criterion_scores:,} criterion scores, {g.audit_events:,} history events",
                file=sys.stderr,
            )
        m = measure(engine, args.repeat)
        engine.dispose()
        results.append((size, m))
        print(
            f"[{size:,} decided cases, {engine.dialect.name}] {m['scores']:,} criterion scores, "
            f"{m['decisions']:,} decisions\n"
            f"   hand-written SQL aggregation : {m['hand']:8.3f} s\n"
            f"   query layer, same figure     : {m['layer']:8.3f} s   "
            f"ratio {m['layer'] / m['hand']:.2f}×\n"
            f"   whole leadership report      : {m['full']:8.3f} s   "
            f"ratio {m['full'] / m['hand']:.2f}×",
            flush=True,
        )
    for (s1, a), (s2, b) in zip(results, results[1:], strict=False):
        f = s2 / s1
        print(
            f"growth {s1:,} → {s2:,} cases (×{f:g}): hand-written ×{b['hand'] / a['hand']:.1f}, "
            f"query layer ×{b['layer'] / a['layer']:.1f}, whole report ×{b['full'] / a['full']:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
