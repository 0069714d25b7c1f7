"""Benchmark: 32 concurrent clients on the reviewer's form page and on review submission (draft
saves), against a trivial endpoint of the same server, on loopback. Reports p50/p95/p99 and errors.

    python -m bench.web [--clients 32] [--seconds 20]
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
    """Cases in peer review, one accepted assignment per client; returns (username, assignment, form)."""
    os.environ["QA_DATA_DIR"] = str(data_dir)
    from qa_engine.cli.main import initialise_all
    from qa_engine.config import reset_settings
    from qa_engine.domain.roles import Role
    from qa_engine.services import assignments, self_assessments
    from qa_engine.services import cases as case_service
    from qa_engine.services.advance import next_step, run_step
    from qa_engine.services.users import add_user, hash_password
    from qa_engine.store import case_repo
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import reset_engines, session_scope
    from qa_engine.store.models import User
    from tests.helpers import credential, full_review, full_self_assessment, people

    reset_settings()
    reset_engines()
    initialise_all()
    insts = ["CUNI", "UHEI", "UPA", "SU", "UCPH", "UNIMI", "UW", "UNIGE"]
    out = []
    with session_scope() as s:
        p = people(s)
        for i in range(clients):
            add_user(session=s, username=f"load{i}", full_name=f"Load Reviewer {i}", email=f"l{i}@example.eu",
                     roles=[Role.REVIEWER], institution_code=insts[i % 8], languages=["en"], max_open_reviews=4,
                     password=PASSWORD)
    case_ids = []
    with session_scope() as s:
        for i in range((clients + 1) // 2):
            cid = credential(s, i % 10, reference=f"LOAD-{i:03d}")
            case_ids.append(case_service.open_case(session=s, actor=p["officer"], credential_id=cid).id)
    for cid in case_ids:
        with session_scope() as s:
            run_step(s, next_step(s, cid))
        with session_scope() as s:
            case = case_repo.get_case(s, cid)
            prov = next(v for k, v in p.items() if k.startswith("prov.") and v.institution_id == case.institution_id)
            self_assessments.save_self_assessment(session=s, actor=prov, case_id=cid, submit=True,
                                                  entries=full_self_assessment(case_service.rubric_of(s, case)))
    with session_scope() as s:
        # the engine's own batch assignment: two reviewers per case, every hard rule kept
        assignments.auto_assign(session=s, case_ids=case_ids, actor=p["officer"])
        stuck = [cid for cid in case_ids if case_repo.get_case(s, cid).state != "peer_review"]
        assert not stuck, f"cases without reviewers: {stuck}"
    with session_scope() as s:
        for a in [a for cid in case_ids for a in case_repo.assignments_of(s, cid)]:
            user = s.get(User, a.reviewer_id)
            user.password_hash = user.password_hash or hash_password(PASSWORD)
            actor = repo.actor_for(s, user)
            assignments.respond(session=s, actor=actor, assignment_id=a.id, accept=True)
            rubric = case_service.rubric_of(s, case_repo.get_case(s, a.case_id))
            form = {"action": "save", "recommendation": "approved", "overall_comment": "Load test draft."}
            for cid_, entry in full_review(rubric, 3).items():
                score = entry["score"]
                form[f"score.{cid_}"] = ("yes" if score else "no") if isinstance(score, bool) else str(score)
                form[f"comment.{cid_}"] = entry["comment"]
            out.append((user.username, a.id, form))
    return out[:clients]


async def _sign_in(client, base: str, username: str) -> None:
    page = await client.get(f"{base}/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = await client.post(f"{base}/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                                    "next": "/"}, headers={"Origin": base})
    assert r.status_code == 303, (username, r.status_code, r.text[:300])


async def _load(base: str, users, seconds: float, kind: str) -> tuple[list[float], int, int]:
    import httpx

    latencies: list[float] = []
    errors = 0
    refusals: dict[int, int] = {}
    limits = httpx.Limits(max_connections=len(users) + 4)
    clients = [httpx.AsyncClient(limits=limits, timeout=30, follow_redirects=False) for _ in users]
    try:
        await asyncio.gather(*[_sign_in(c, base, u[0]) for c, u in zip(clients, users, strict=True)])
        tokens = []
        for c, (_, aid, _) in zip(clients, users, strict=True):
            page = await c.get(f"{base}/assignments/{aid}/review")
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))
        stop = time.monotonic() + seconds

        async def worker(c, user, token):
            nonlocal errors
            _, aid, form = user
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    if kind == "trivial":
                        r = await c.get(f"{base}/healthz")
                        ok = r.status_code == 200
                    elif kind == "form":
                        r = await c.get(f"{base}/assignments/{aid}/review")
                        ok = r.status_code == 200
                    else:
                        r = await c.post(f"{base}/assignments/{aid}/review", data={**form, "csrf_token": token},
                                         headers={"Origin": base})
                        ok = r.status_code == 303
                        if not ok:
                            refusals[r.status_code] = refusals.get(r.status_code, 0) + 1
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t)
                errors += not ok

        await asyncio.gather(*[worker(c, u, t) for c, u, t in zip(clients, users, tokens, strict=True)])
        if refusals:
            print(f"  refused submissions by status: {refusals}", flush=True)
    finally:
        for c in clients:
            await c.aclose()
    return latencies, errors, len(latencies)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--database-url", help="a fresh, empty PostgreSQL database (default: SQLite in a temp folder)")
    args = parser.parse_args()
    if args.database_url:
        os.environ["QA_DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        users = _prepare(data, args.clients)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "QA_DATA_DIR": str(data), "QA_BASE_URL": base, "PREFECT_LOGGING_LEVEL": "ERROR"}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "qa_engine.web.app:create_app",
                                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                                   "--no-access-log"], env=env, cwd=ROOT)
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
            for kind in ("trivial", "form", "submit"):
                lat, err, n = asyncio.run(_load(base, users, args.seconds, kind))
                results[kind] = (lat, err, n)
                print(f"{kind:8s} {n:6d} requests  p50 {_pct(lat, .5):7.1f} ms  p95 {_pct(lat, .95):7.1f} ms  "
                      f"p99 {_pct(lat, .99):7.1f} ms  errors {err}  ({n / args.seconds:.0f} req/s)", flush=True)
        finally:
            server.terminate()
            server.wait(20)
    base95 = _pct(results["trivial"][0], .95)
    for kind in ("form", "submit"):
        lat, err, _ = results[kind]
        print(f"{kind}: p95 ratio {_pct(lat, .95) / base95:.2f}× the trivial endpoint (target ≤ 3×), errors {err} (target 0)")
    print(f"median trivial {statistics.median(results['trivial'][0]) * 1000:.1f} ms with {args.clients} clients")


if __name__ == "__main__":
    main()
