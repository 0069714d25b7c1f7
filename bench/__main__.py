"""Run every benchmark in turn (``make bench``); each prints its ratio against a baseline measured
in the same run. Pass --quick for small sizes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FULL = [
    ["bench.orchestration", "--cases", "1000", "--report-cases", "100"],
    ["bench.reports", "--reports", "20"],
    ["bench.imports", "--rows", "20000"],
    ["bench.web", "--clients", "32", "--seconds", "20"],
    ["bench.sign_in", "--tries", "15"],
    ["bench.aggregates"],
    ["bench.replay"],
]
QUICK = [
    ["bench.orchestration", "--cases", "100", "--report-cases", "10"],
    ["bench.reports", "--reports", "5"],
    ["bench.imports", "--rows", "2000"],
    ["bench.web", "--clients", "8", "--seconds", "5"],
    ["bench.sign_in", "--tries", "5"],
    ["bench.replay", "--cases", "2000", "--repeat", "1"],
]


def main() -> int:
    plan = QUICK if "--quick" in sys.argv else FULL
    failed = 0
    for args in plan:
        if not (ROOT / (args[0].replace(".", "/") + ".py")).exists():
            print(f"== {args[0]}: not present, skipped")
            continue
        print(f"== python -m {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, "-m", *args], cwd=ROOT).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
