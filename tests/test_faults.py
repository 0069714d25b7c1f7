"""Faults: a worker killed with SIGKILL mid-batch, the database cut off or locked mid-batch, an
unwritable report folder. After a restart and a sweep every case is where it should be, with
exactly one of each effect."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from qa_engine.config import reset_settings
from qa_engine.services import cases as case_service
from qa_engine.services import self_assessments
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.conftest import write_workflow_settings
from tests.helpers import credential, full_self_assessment, people
from workflows.flows import advance_cases, sweep_flow

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fault_env(engine_env, tmp_path, monkeypatch, prefect_harness):
    wf = write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True, reviewers_per_case=2)
    monkeypatch.setenv("QA_WORKFLOW_SETTINGS", str(wf))
    reset_settings()
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
        # more reviewers so that many cases can be staffed at once
        from qa_engine.domain.roles import Role
        from qa_engine.services.users import add_user

        for i in range(24):
            inst = ["CUNI", "UW", "UCPH", "UNIMI", "UHEI", "UNIGE", "SU", "UPA"][i % 8]
            add_user(session=s, username=f"extra{i}", full_name=f"Extra Reviewer {i}", email=f"x{i}@example.eu",
                     roles=[Role.REVIEWER], institution_code=inst, languages=["en"], max_open_reviews=6)
    return p


def _cases_waiting_for_assignment(p, n: int) -> list[int]:
    """n cases whose self-assessment is submitted: the next automated step invites reviewers."""
    ids = []
    with session_scope() as s:
        for i in range(n):
            cid = credential(s, i % 10, reference=f"FAULT-{i:03d}")
            case = case_service.open_case(session=s, actor=p["officer"], credential_id=cid)
            ids.append(case.id)
    asyncio.run(advance_cases(ids))  # screening
    with session_scope() as s:
        for cid in ids:
            case = case_repo.get_case(s, cid)
            prov = next(v for k, v in p.items() if k.startswith("prov.") and v.institution_id == case.institution_id)
            self_assessments.save_self_assessment(session=s, actor=prov, case_id=cid, submit=True,
                                                  entries=full_self_assessment(case_service.rubric_of(s, case)))
    return ids


def _assert_exactly_once(ids: list[int], outbox: Path) -> None:
    with session_scope() as s:
        for cid in ids:
            case = case_repo.get_case(s, cid)
            assert case.state == "peer_review", (cid, case.state)
            asg = case_repo.assignments_of(s, cid)
            assert len(asg) == 2 and len({a.reviewer_id for a in asg}) == 2, (cid, [(a.reviewer_id, a.status) for a in asg])
            notes = [n for n in case_repo.notifications_of(s, case_id=cid) if n.template == "invitation"]
            assert sorted(n.key for n in notes) == sorted(f"invitation:{a.id}" for a in asg)
            assert all(n.status == "sent" for n in notes)
        from qa_engine.services.audit import verify

        assert verify(s)[1] == []
    files = list(outbox.glob("invitation*.eml"))
    assert len(files) == 2 * len(ids)


def test_worker_killed_mid_batch_then_restarted(fault_env, engine_env):
    p = fault_env
    ids = _cases_waiting_for_assignment(p, 60)
    # each step takes ≥ 60 ms in the worker, so the batch lasts seconds and the kill lands inside it
    env = {**os.environ, "QA_DATA_DIR": str(engine_env), "QA_FAULT_STEP_DELAY_MS": "60"}
    rng = random.Random(7)
    proc = subprocess.Popen([sys.executable, "-m", "qa_engine.cli.main", "advance", *map(str, ids)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    staffed = 0
    while staffed == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        with session_scope() as s:
            staffed = sum(1 for cid in ids if case_repo.get_case(s, cid).state == "peer_review")
    time.sleep(rng.uniform(0.2, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    with session_scope() as s:
        staffed = sum(1 for cid in ids if case_repo.get_case(s, cid).state == "peer_review")
        pending = sum(1 for n in case_repo.notifications_of(s) if n.status == "pending")
    assert 0 < staffed < len(ids), f"the worker was not killed mid-batch ({staffed} of {len(ids)} staffed)"
    print(f"killed with {staffed} of {len(ids)} cases staffed, {pending} message(s) not yet sent")
    result = asyncio.run(sweep_flow())  # the restart: the sweep picks up what the dead worker left
    assert result["delivered"]["failed"] == 0
    _assert_exactly_once(ids, engine_env / "outbox")


def test_sqlite_locked_mid_batch_waits_then_completes(fault_env, engine_env):
    p = fault_env
    ids = _cases_waiting_for_assignment(p, 6)
    import sqlite3

    db = engine_env / "qa-engine.db"
    locker = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    released = threading.Event()

    def release():
        time.sleep(2.0)
        locker.execute("COMMIT")
        released.set()

    threading.Thread(target=release).start()
    asyncio.run(advance_cases(ids))
    assert released.is_set()
    locker.close()
    _assert_exactly_once(ids, engine_env / "outbox")


def test_unwritable_report_folder_keeps_the_case_in_reporting(fault_env, engine_env):
    from qa_engine.services import assignments, decisions, reviews
    from tests.helpers import full_review

    p = fault_env
    ids = _cases_waiting_for_assignment(p, 1)
    asyncio.run(advance_cases(ids))
    cid = ids[0]
    with session_scope() as s:
        rubric = case_service.rubric_of(s, case_repo.get_case(s, cid))
        for a in case_repo.assignments_of(s, cid):
            who = _actor_by_id(s, a.reviewer_id)
            assignments.respond(session=s, actor=who, assignment_id=a.id, accept=True)
            reviews.save_review(session=s, actor=who, assignment_id=a.id, entries=full_review(rubric), recommendation="approved", submit=True)
    asyncio.run(advance_cases(ids))
    with session_scope() as s:
        decisions.decide(session=s, actor=p["approver"], case_id=cid, outcome="approved", rationale="Meets the standards.")
    reports = engine_env / "reports"
    reports.mkdir(exist_ok=True)
    blocker = reports / f"case-{cid:06d}"
    blocker.write_text("a file where the case's folder should be")  # mkdir fails: like a full or broken disk
    with pytest.raises(Exception) as err:
        asyncio.run(advance_cases(ids))
    assert "cannot write" in str(err.value)
    with session_scope() as s:
        assert case_repo.get_case(s, cid).state == "reporting"
        assert all(r.status == "requested" for r in case_repo.reports_of(s, cid))
    blocker.unlink()
    from datetime import timedelta

    from qa_engine.services.context import now, set_clock

    set_clock(now() + timedelta(minutes=11))  # the sweep retries automated stages left for 10 minutes
    try:
        asyncio.run(sweep_flow())
    finally:
        set_clock(None)
    with session_scope() as s:
        assert case_repo.get_case(s, cid).state == "closed"
        rows = case_repo.reports_of(s, cid)
        assert len(rows) == 2 and all(r.status == "generated" for r in rows)


def _actor_by_id(session, user_id):
    from qa_engine.store import repositories as repo
    from qa_engine.store.models import User

    return repo.actor_for(session, session.get(User, user_id))


def test_postgres_connections_cut_mid_batch(prefect_harness, tmp_path, monkeypatch):
    """Every connection of the engine's database is terminated mid-batch (what a restart looks like)."""
    import uuid

    from sqlalchemy import create_engine

    from tests.conftest import PG_ADMIN_URL, _pg_available

    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    name = f"qa_fault_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        from qa_engine.store.db import reset_engines

        monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("QA_DATABASE_URL", PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
        monkeypatch.setenv("QA_WORKFLOW_SETTINGS", str(write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True)))
        reset_settings()
        reset_engines()
        from qa_engine.cli.main import initialise_all

        initialise_all()
        with session_scope() as s:
            p = people(s)
            from qa_engine.domain.roles import Role
            from qa_engine.services.users import add_user

            for i in range(16):
                add_user(session=s, username=f"pgx{i}", full_name=f"PG Reviewer {i}", email=f"pg{i}@example.eu",
                         roles=[Role.REVIEWER], institution_code=["CUNI", "UW", "UCPH", "UNIMI"][i % 4], max_open_reviews=6)
        ids = _cases_waiting_for_assignment(p, 12)
        stop = threading.Event()

        def cut():
            time.sleep(0.3)
            while not stop.is_set():
                with admin.connect() as conn:
                    conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
                time.sleep(0.7)

        t = threading.Thread(target=cut)
        t.start()
        try:
            try:
                asyncio.run(advance_cases(ids))
            except Exception:  # noqa: BLE001 - a run may fail when its connection dies: the sweep retries
                pass
        finally:
            stop.set()
            t.join()
        asyncio.run(sweep_flow())
        _assert_exactly_once(ids, tmp_path / "data" / "outbox")
    finally:
        from qa_engine.store.db import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        reset_settings()
