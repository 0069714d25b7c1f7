"""Benchmark: importing a 20,000-row credential workbook (read, normalise, validate every cell)
against openpyxl's bare read-only iteration of the same file; time and peak memory, each measured
in a fresh process.

    python -m bench.imports [--rows 20000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_workbook(path: Path, rows: int) -> None:
    from qa_engine.adapters.credential_io import write_credentials_xlsx
    from qa_engine.domain.credential import parse_credential

    samples = json.loads(
        (ROOT / "qa_engine" / "samples" / "credentials.json").read_text(encoding="utf-8")
    )
    items = [
        parse_credential({**samples[i % len(samples)], "reference": f"BULK-{i:06d}"})
        for i in range(rows)
    ]
    write_credentials_xlsx(path, items)


def _bare(path: str) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb["Credentials"]
    ws.reset_dimensions()
    n = sum(1 for _ in ws.iter_rows(values_only=True))
    wb.close()
    return n - 1


def _ours(path: str) -> int:
    from qa_engine.adapters.credential_io import read_xlsx

    return len(read_xlsx(Path(path), max_bytes=500_000_000, max_unzipped_bytes=2_000_000_000))


def _child(kind: str, path: str) -> None:
    t = time.perf_counter()
    n = (_bare if kind == "bare" else _ours)(path)
    elapsed = time.perf_counter() - t
    print(json.dumps({"rows": n, "seconds": elapsed, "peak_mb": _peak_mb()}))


def _peak_mb() -> float:
    """This process's peak resident memory since exec (VmHWM; ru_maxrss would count the forked
    parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--child", kind, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bulk.xlsx"
        t = time.perf_counter()
        make_workbook(path, args.rows)
        print(
            f"wrote {args.rows} rows ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
        bare = _measure("bare", path)
        ours = _measure("ours", path)
    assert bare["rows"] == ours["rows"] == args.rows, (bare, ours)
    print(f"openpyxl read-only iteration: {bare['seconds']:.2f} s, peak {bare['peak_mb']:.0f} MB")
    print(f"qa-engine import (validated): {ours['seconds']:.2f} s, peak {ours['peak_mb']:.0f} MB")
    print(
        f"ratio: {ours['seconds'] / bare['seconds']:.2f}× time (target ≤ 2×); peak "
        f"{ours['peak_mb']:.0f} MB (target < 250 MB)"
    )


if __name__ == "__main__":
    main()
