"""The synthetic alliance's decided history, for the aggregate benchmark: a thin wrapper around
`qa_engine.synthetic.history` (also `qa-engine dev generate --history N`).

    python -m bench.generate --cases 10000 --database-url sqlite:///var/bench.db
"""

from __future__ import annotations

import argparse
import sys

from qa_engine.synthetic.history import FastRubric, Generated, generate, ordinal_alpha_fast

__all__ = ["FastRubric", "Generated", "generate", "main", "ordinal_alpha_fast"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases", type=int, default=10_000, help="decided cases to write (plus ~3%% open ones)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: the engine's QA_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    from qa_engine.config import get_settings
    from qa_engine.store.db import make_engine
    from qa_engine.store.migrate import upgrade

    engine = make_engine(args.database_url or get_settings().db_url)
    upgrade(engine)
    result = generate(
        engine, args.cases, seed=args.seed, progress=lambda m: print(m, file=sys.stderr)
    )
    print(f"{result.summary()} ({engine.url.render_as_string()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
