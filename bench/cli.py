"""A human action through the command line against a read-only command on the same data.

The human action is `cases open CREDENTIAL --as PROVIDER`: it commits the new case, then its
automated stage (screening) runs as a Prefect flow run in the data folder's local Prefect server.
The read-only command is `cases list`. Both run as a person runs them: a new `qa-engine` process
each time, the two taking turns; the local server is started before the timings (a first command
starts it once). Prints the medians and their ratio (target ≤ 2×).

    python -m bench.cli [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "qa-engine"


def _run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(BIN), *args], env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"qa-engine {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qa-bench-cli-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "PREFECT_"))}
        env.update(QA_DATA_DIR=str(work / "data"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        _run(["init"], env, work)
        _run(
            [
                "dev",
                "generate",
                "--credentials",
                str(args.runs + 1),
                "--reviewers-per-institution",
                "1",
            ],
            env,
            work,
        )
        credentials = _credentials(env, work)[: args.runs + 1]
        try:
            _run(["prefect", "start"], env, work)
            # one of each first: imports into the page cache, the server's first flow run
            _run(["cases", "list"], env, work)
            cred, provider = credentials.pop()
            _run(["cases", "open", str(cred), "--as", provider], env, work)
            reads, actions = [], []
            for i, (cred, provider) in enumerate(credentials):
                pair = [
                    ("read", ["cases", "list"]),
                    ("act", ["cases", "open", str(cred), "--as", provider]),
                ]
                for kind, cmd in pair if i % 2 == 0 else pair[::-1]:
                    (reads if kind == "read" else actions).append(_run(cmd, env, work))
        finally:
            subprocess.run([str(BIN), "prefect", "stop"], env=env, cwd=work, capture_output=True)
    read, act = statistics.median(reads), statistics.median(actions)
    print(
        f"read-only command (cases list):             median {read * 1000:.0f} ms over "
        f"{len(reads)} runs"
    )
    print(
        f"human action (cases open, screening flow):  median {act * 1000:.0f} ms over "
        f"{len(actions)} runs"
    )
    print(f"ratio: {act / read:.2f}x (target <= 2x)")
    return 0 if act / read <= 2 else 1


def _credentials(env: dict[str, str], cwd: Path) -> list[tuple[int, str]]:
    """(credential id, the username of a provider of its institution) for every credential."""
    script = (
        "from qa_engine.domain.roles import SYSTEM, Role\n"
        "from qa_engine.services.users import list_accounts\n"
        "from qa_engine.store.db import session_scope\n"
        "from qa_engine.store import repositories as repo\n"
        "with session_scope() as s:\n"
        "    providers = {}\n"
        "    for a in list_accounts(session=s, actor=SYSTEM):\n"
        "        if Role.PROVIDER in a.roles and a.active:\n"
        "            providers.setdefault(a.institution_code, a.username)\n"
        "    for c, inst in repo.list_credentials(s):\n"
        "        if inst.code in providers:\n"
        "            print(c.id, providers[inst.code])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    return [(int(a), b) for a, b in (line.split() for line in out.stdout.splitlines())]


if __name__ == "__main__":
    raise SystemExit(main())
