"""Benchmark: 32 concurrent clients on the reviewer's form page and on review submission (draft
saves), against a trivial endpoint of the same server, on loopback. Reports p50/p95/p99, errors and
the server's CPU time per request (all its processes).

    python -m bench.web [--clients 32] [--seconds 20] [--database-url URL --workers N]

The clients run in one asyncio process beside the server, without pauses (a closed loop): each
sends its next request when the last one is answered, so a latency is the request's own cost plus
its wait behind the others, and a ratio against `/healthz` is about the ratio of their costs. For
reference it also loads `/api/v1/me`, the cheapest signed-in request (the session is looked up).
The cases, reviewers and their reviews come from the synthetic alliance.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(data_dir: Path, clients: int) -> list[tuple[str, int, dict]]:
    """Cases of the synthetic alliance in peer review, one accepted assignment per client; returns
    (reviewer's username, assignment, the review form as the reviewer fills it in)."""
    os.environ["QA_DATA_DIR"] = str(data_dir)
    from qa_engine.cli.main import initialise_all
    from qa_engine.config import reset_settings
    from qa_engine.services import assignments
    from qa_engine.services.users import hash_password
    from qa_engine.store import case_repo
    from qa_engine.store.db import reset_engines, session_scope
    from qa_engine.store.models import User
    from qa_engine.synthetic import Rates, SyntheticAlliance

    reset_settings()
    reset_engines()
    initialise_all()
    alliance = SyntheticAlliance(seed=32)
    n_cases = (clients + 1) // 2
    with session_scope() as s:
        staff = alliance.staff(
            s, reviewers_per_institution=max(2, (2 * n_cases + 7) // 8 + 1), max_open_reviews=4
        )
        case_ids = alliance.open_cases(s, alliance.credentials(s, n_cases), staff=staff)
        screened = alliance.screen(s, case_ids)
        assert set(screened.values()) == {"self_assessment"}, screened
    behaviour = alliance.behaviour(
        staff, rates=Rates(decline_rate=0, late_rate=0, disagreement_rate=0)
    )
    with session_scope() as s:
        behaviour.self_assess(s, case_ids)
    with session_scope() as s:
        behaviour.assign(
            s, case_ids
        )  # the engine's batch assignment: two reviewers per case, every hard rule kept
        stuck = [cid for cid in case_ids if case_repo.get_case(s, cid).state != "peer_review"]
        assert not stuck, f"cases without reviewers: {stuck}"
    out = []
    digest = hash_password(PASSWORD)
    with session_scope() as s:
        for cid in case_ids:
            view = behaviour.view(s, case_repo.get_case(s, cid))
            for position, a in enumerate(case_repo.assignments_of(s, cid)):
                user = s.get(User, a.reviewer_id)
                user.password_hash = digest
                assignments.respond(
                    session=s, actor=staff.actor(user.id), assignment_id=a.id, accept=True
                )
                entries, rec, overall = behaviour.review_entries(view, user.username, position)
                form = {"action": "save", "recommendation": rec, "overall_comment": overall}
                for criterion, entry in entries.items():
                    score = entry.get("score")
                    if score is not None:
                        form[f"score.{criterion}"] = (
                            ("yes" if score else "no") if isinstance(score, bool) else str(score)
                        )
                    form[f"comment.{criterion}"] = entry["comment"]
                out.append((user.username, a.id, form))
    return out[:clients]


async def _sign_in(client, base: str, username: str) -> None:
    page = await client.get(f"{base}/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = await client.post(
        f"{base}/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        headers={"Origin": base},
    )
    assert r.status_code == 303, (username, r.status_code, r.text[:300])


async def _load(
    base: str, users, seconds: float, kind: str, server_pid: int
) -> tuple[list[float], int, int, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    refusals: dict[int, int] = {}
    limits = httpx.Limits(max_connections=len(users) + 4)
    clients = [httpx.AsyncClient(limits=limits, timeout=30, follow_redirects=False) for _ in users]
    try:
        await asyncio.gather(
            *[_sign_in(c, base, u[0]) for c, u in zip(clients, users, strict=True)]
        )
        tokens = []
        for c, (_, aid, _) in zip(clients, users, strict=True):
            page = await c.get(f"{base}/assignments/{aid}/review")
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))
        stop = time.monotonic() + seconds
        cpu_before = _cpu_seconds(server_pid)  # after the sign-ins (argon2 is slow on purpose)

        async def worker(c, user, token):
            nonlocal errors
            _, aid, form = user
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    if kind == "trivial":
                        r = await c.get(f"{base}/healthz")
                        ok = r.status_code == 200
                    elif kind == "signed-in":
                        r = await c.get(f"{base}/api/v1/me")
                        ok = r.status_code == 200
                    elif kind == "form":
                        r = await c.get(f"{base}/assignments/{aid}/review")
                        ok = r.status_code == 200
                    else:
                        r = await c.post(
                            f"{base}/assignments/{aid}/review",
                            data={**form, "csrf_token": token},
                            headers={"Origin": base},
                        )
                        ok = r.status_code == 303
                        if not ok:
                            refusals[r.status_code] = refusals.get(r.status_code, 0) + 1
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t)
                errors += not ok

        await asyncio.gather(
            *[worker(c, u, t) for c, u, t in zip(clients, users, tokens, strict=True)]
        )
        cpu = _cpu_seconds(server_pid) - cpu_before
        if refusals:
            print(f"  refused submissions by status: {refusals}", flush=True)
    finally:
        for c in clients:
            await c.aclose()
    return latencies, errors, len(latencies), cpu


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, from /proc (0 where unreadable)."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--database-url",
        help="a fresh, empty PostgreSQL database (default: SQLite in a temp folder)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (more than one needs PostgreSQL)"
    )
    args = parser.parse_args()
    if args.database_url:
        os.environ["QA_DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        users = _prepare(data, args.clients)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "QA_DATA_DIR": str(data),
            "QA_BASE_URL": base,
            "PREFECT_LOGGING_LEVEL": "ERROR",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "qa_engine.web.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--workers",
                str(args.workers),
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            import httpx

            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            results = {}
            for kind in ("trivial", "signed-in", "form", "submit"):
                lat, err, n, cpu = asyncio.run(_load(base, users, args.seconds, kind, server.pid))
                cpu = cpu / max(n, 1) * 1000
                results[kind] = (lat, err, n)
                print(
                    f"{kind:9s} {n:6d} requests  p50 {_pct(lat, 0.5):7.1f} ms  p95 "
                    f"{_pct(lat, 0.95):7.1f} ms  p99 {_pct(lat, 0.99):7.1f} ms  errors {err}  "
                    f"({n / args.seconds:.0f} req/s, server CPU {cpu:.2f} ms per request)",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(20)
    base95 = _pct(results["trivial"][0], 0.95)
    signed95 = _pct(results["signed-in"][0], 0.95)
    for kind in ("form", "submit"):
        lat, err, _ = results[kind]
        print(
            f"{kind}: p95 ratio {_pct(lat, 0.95) / base95:.2f}× the trivial endpoint (target ≤ "
            f"3×), errors {err} (target 0); {_pct(lat, 0.95) / signed95:.2f}× the signed-in "
            "/api/v1/me"
        )
    print(
        f"median trivial {statistics.median(results['trivial'][0]) * 1000:.1f} ms with "
        f"{args.clients} clients"
    )


if __name__ == "__main__":
    main()
