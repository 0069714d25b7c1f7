"""Faults: a worker killed with SIGKILL mid-batch, the database locked (SQLite), cut off or
crash-restarted (PostgreSQL) mid-batch, an unwritable report folder. After a restart and a sweep
every case is where it should be, with exactly one of each effect.

People, credentials and the human steps come from the synthetic alliance (`qa_engine.synthetic`):
seeded staff of the eight institutions, generated credentials opened by their providers, and
simulated providers, reviewers and approvers acting through the services."""

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
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.statuses import NotificationStatus, ReportStatus
from qa_engine.services.reporting import EXPORT_KINDS, REPORT_KINDS
from qa_engine.store import case_repo
from qa_engine.store.db import read_only_session, session_scope
from qa_engine.synthetic import Rates, Staff, SyntheticAlliance
from qa_engine.workflows import flows
from qa_engine.workflows.flows import advance_cases, sweep_flow
from tests.conftest import throwaway_pg_database, write_workflow_settings
from tests.faults import hold_after, slow_steps
from tests.pg_private import private_pg_fixture  # noqa: F401 - the fixture `private_pg`

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]
SEED = 7
# Nobody declines, is late or disagrees: every case gets exactly its two reviewers and one
# invitation each, which is what `_assert_exactly_once` checks after the fault.
QUIET = Rates(decline_rate=0, late_rate=0, disagreement_rate=0)


def _alliance() -> SyntheticAlliance:
    return SyntheticAlliance(seed=SEED)


def _staff(reviewers_per_institution: int) -> Staff:
    """The alliance's staff, with reviewers enough (six open reviews each) to staff many cases at
    once."""
    with session_scope() as s:
        return _alliance().staff(
            s, reviewers_per_institution=reviewers_per_institution, max_open_reviews=6
        )


@pytest.fixture
def fault_env(engine_env, tmp_path, monkeypatch, prefect_harness) -> Staff:
    wf = write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True, reviewers_per_case=2)
    monkeypatch.setenv("QA_WORKFLOW_SETTINGS", str(wf))
    reset_settings()
    from qa_engine.cli.main import initialise_all

    initialise_all()
    return _staff(reviewers_per_institution=4)


def _cases_waiting_for_assignment(staff: Staff, n: int) -> list[int]:
    """n cases, opened by their providers on generated credentials, screened by the flow, whose
    self-assessment is submitted: the next automated step invites reviewers."""
    alliance = _alliance()
    with session_scope() as s:
        ids = alliance.open_cases(s, alliance.credentials(s, n), staff=staff)
    asyncio.run(advance_cases(ids))  # screening
    with session_scope() as s:
        assert alliance.behaviour(staff, rates=QUIET).self_assess(s, ids) == n
    return ids


def _assert_exactly_once(ids: list[int], outbox: Path) -> None:
    with session_scope() as s:
        for cid in ids:
            case = case_repo.get_case(s, cid)
            assert case.state == CaseState.PEER_REVIEW, (cid, case.state)
            asg = case_repo.assignments_of(s, cid)
            assert len(asg) == 2 and len({a.reviewer_id for a in asg}) == 2, (
                cid,
                [(a.reviewer_id, a.status) for a in asg],
            )
            notes = [
                n for n in case_repo.notifications_of(s, case_id=cid) if n.template == "invitation"
            ]
            assert sorted(n.key for n in notes) == sorted(f"invitation:{a.id}" for a in asg)
            assert all(n.status == NotificationStatus.SENT for n in notes)
        from qa_engine.services.audit import verify

        assert verify(s)[1] == []
    files = list(outbox.glob("invitation*.eml"))
    assert len(files) == 2 * len(ids)


def _staffed(ids: list[int]) -> int:
    """How many of these cases have their reviewers (a read that never takes SQLite's write lock,
    so that the test's polling does not compete with the batch it watches)."""
    with read_only_session() as s:
        return sum(1 for cid in ids if case_repo.get_case(s, cid).state == CaseState.PEER_REVIEW)


def test_worker_killed_mid_batch_then_restarted(fault_env, engine_env):
    n = 60
    ids = _cases_waiting_for_assignment(fault_env, n)
    # The worker is the CLI's `advance` in a process of its own, with the fault runner's hooks:
    # each step lasts ≥ 60 ms, and after step 40 the worker stops for good, so that the batch cannot
    # finish before the kill however slow the machine is. The kill comes a random moment after the
    # first case was staffed: usually during a step of the first 40, at the latest at the hold.
    env = {**os.environ, "QA_DATA_DIR": str(engine_env)}
    rng = random.Random(7)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fault_runner",
            "--step-delay-ms",
            "60",
            "--hold-after-steps",
            "40",
            "--",
            "advance",
            *map(str, ids),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600  # the worker's start-up (Prefect's import) under load
        while _staffed(ids) == 0:
            assert proc.poll() is None, f"the worker ended (exit {proc.returncode}) before a step"
            assert time.monotonic() < deadline, "no case was staffed in 600 s"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.2, 1.0))  # the random moment of the kill, not a wait for a state
        assert proc.poll() is None, f"the worker ended (exit {proc.returncode}) before the kill"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(60)
    staffed = _staffed(ids)
    with read_only_session() as s:
        pending = sum(
            1 for n in case_repo.notifications_of(s) if n.status == NotificationStatus.PENDING
        )
    assert 0 < staffed <= 40, (
        f"the worker was not killed mid-batch ({staffed} of {len(ids)} staffed)"
    )
    print(f"killed with {staffed} of {len(ids)} cases staffed, {pending} message(s) not yet sent")
    result = asyncio.run(sweep_flow())  # the restart: the sweep picks up what the dead worker left
    assert result["delivered"]["failed"] == 0
    _assert_exactly_once(ids, engine_env / "outbox")


def test_sqlite_locked_mid_batch_waits_then_completes(fault_env, engine_env, monkeypatch):
    """Another process holds SQLite's write lock while the batch is under way: the batch's next
    step waits for it (the busy timeout), then the batch completes."""
    ids = _cases_waiting_for_assignment(fault_env, 6)
    import sqlite3

    db = engine_env / "qa-engine.db"
    locker = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    # the batch stops after its first step until the lock is taken: the lock meets the batch
    # in its middle, however slow the machine
    reached, locked = threading.Event(), threading.Event()
    hold_after(monkeypatch, 1, reached=reached, release=locked)
    step = flows.run_next_step
    committed: list[float] = []  # when each later step committed

    def timed_step(case_id: int):
        outcome = step(case_id)
        if outcome is not None:
            committed.append(time.monotonic())
        return outcome

    monkeypatch.setattr(flows, "run_next_step", timed_step)
    released_at: list[float] = []
    errors: list[BaseException] = []

    def lock_then_release():
        try:
            if not reached.wait(600):
                return
            locker.execute("BEGIN EXCLUSIVE")
            locked.set()
            time.sleep(2.0)  # the fault: the database stays locked for 2 s
            released_at.append(time.monotonic())
            locker.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            locked.set()

    t = threading.Thread(target=lock_then_release)
    t.start()
    try:
        asyncio.run(advance_cases(ids))
    finally:
        reached.set()  # a batch that failed before its first step: let the thread end
        t.join(120)
        locker.close()
    assert not errors, errors
    assert released_at, "the lock was never taken"
    # the second step committed only after the lock was released: it waited for it
    assert len(committed) == len(ids) and committed[1] > released_at[0], (committed, released_at)
    _assert_exactly_once(ids, engine_env / "outbox")


def test_unwritable_report_folder_keeps_the_case_in_reporting(fault_env, engine_env):
    ids = _cases_waiting_for_assignment(fault_env, 1)
    cid = ids[0]
    # the reviewers disagree, the engine calls in a third, the board approves (with or without
    # conditions): a realistic case on its way to its reports
    behaviour = _alliance().behaviour(
        fault_env, rates=Rates(decline_rate=0, late_rate=0), plans={cid: "disagreement"}
    )
    asyncio.run(advance_cases(ids))  # two reviewers invited
    for _ in range(3):
        with session_scope() as s:
            behaviour.review_wave(s, ids)
        asyncio.run(advance_cases(ids))  # consolidation: a third reviewer, then approval
        with session_scope() as s:
            if case_repo.get_case(s, cid).state == CaseState.APPROVAL:
                break
    with session_scope() as s:
        case = case_repo.get_case(s, cid)
        assert case.state == CaseState.APPROVAL and case.extra_reviewers_requested == 1, (
            case.state,
            case.extra_reviewers_requested,
        )
        assert len(case_repo.reviews_of(s, cid, 1, submitted_only=True)) == 3
        assert behaviour.decide(s, ids)[cid] in ("approved", "approved_with_conditions")
    reports = engine_env / "reports"
    reports.mkdir(exist_ok=True)
    blocker = reports / f"case-{cid:06d}"
    blocker.write_text(
        "a file where the case's folder should be"
    )  # mkdir fails: like a full or broken disk
    with pytest.raises(Exception) as err:
        asyncio.run(advance_cases(ids))
    assert "cannot write" in str(err.value)
    with session_scope() as s:
        assert case_repo.get_case(s, cid).state == CaseState.REPORTING
        assert all(r.status == ReportStatus.REQUESTED for r in case_repo.reports_of(s, cid))
    blocker.unlink()
    from datetime import timedelta

    from qa_engine.services.context import now, set_clock

    set_clock(
        now() + timedelta(minutes=11)
    )  # the sweep retries automated stages left for 10 minutes
    try:
        asyncio.run(sweep_flow())
    finally:
        set_clock(None)
    with session_scope() as s:
        assert case_repo.get_case(s, cid).state == CaseState.CLOSED
        rows = case_repo.reports_of(s, cid)
        reports = [r for r in rows if r.kind in REPORT_KINDS]
        assert len(reports) == 2 and all(r.status == ReportStatus.GENERATED for r in reports)
        # the exports follow them, each settled (made, or refused with its reason on the row)
        assert [r.kind for r in rows if r.kind not in REPORT_KINDS] == list(EXPORT_KINDS)
        assert all(r.status in (ReportStatus.GENERATED, ReportStatus.FAILED) for r in rows)


def _engine_on_postgres(
    url: str, tmp_path: Path, monkeypatch, reviewers_per_institution: int
) -> Staff:
    """Point the engine at a PostgreSQL database, initialise it; the alliance's staff."""
    from qa_engine.store.db import reset_engines

    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_DATABASE_URL", url)
    monkeypatch.setenv(
        "QA_WORKFLOW_SETTINGS", str(write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True))
    )
    reset_settings()
    reset_engines()
    from qa_engine.cli.main import initialise_all

    initialise_all()
    return _staff(reviewers_per_institution)


@pytest.mark.postgres
def test_postgres_connections_cut_mid_batch(prefect_harness, tmp_path, monkeypatch):
    """Every connection of the engine's database is terminated, again and again, mid-batch, while
    the server stays up (an administrator's pg_terminate_backend, a proxy or failover dropping
    clients). The real restart is `test_postgres_restarted_mid_batch`."""
    from sqlalchemy import event

    from qa_engine.store.db import get_engine, reset_engines

    with throwaway_pg_database("qa_fault") as db:
        try:
            staff = _engine_on_postgres(db.url, tmp_path, monkeypatch, reviewers_per_institution=2)
            ids = _cases_waiting_for_assignment(staff, 12)
            invalidated: list[float] = []  # connections the engine found dead
            event.listen(get_engine(), "invalidate", lambda *a: invalidated.append(1))
            # the batch stops after its third step until the first cut: the cuts begin in its
            # middle, however slow the machine; they go on every 0.7 s until the batch ends
            reached, first_cut = threading.Event(), threading.Event()
            hold_after(monkeypatch, 3, reached=reached, release=first_cut)
            stop = threading.Event()
            cut_backends: list[int] = []
            errors: list[BaseException] = []

            def cut():
                try:
                    reached.wait(600)
                    while not stop.is_set():
                        with db.admin.connect() as conn:
                            cut_backends.append(
                                conn.execute(
                                    text(
                                        "SELECT count(pg_terminate_backend(pid)) FROM "
                                        f"pg_stat_activity WHERE datname = '{db.name}' "
                                        "AND pid <> pg_backend_pid()"
                                    )
                                ).scalar_one()
                            )
                        first_cut.set()
                        stop.wait(0.7)
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    errors.append(exc)
                    first_cut.set()

            t = threading.Thread(target=cut)
            t.start()
            try:
                try:
                    asyncio.run(advance_cases(ids))
                except Exception:  # noqa: BLE001 - a run may fail when its connection dies: the sweep retries
                    pass
            finally:
                stop.set()
                reached.set()
                t.join(120)
            assert not errors, errors
            assert cut_backends and cut_backends[0] > 0, cut_backends
            assert invalidated, "the engine never met a terminated connection"
            print(
                f"{len(cut_backends)} cut(s), {sum(cut_backends)} backend(s) terminated, "
                f"{len(invalidated)} dead connection(s) met by the engine"
            )
            asyncio.run(sweep_flow())
            _assert_exactly_once(ids, tmp_path / "data" / "outbox")
        finally:
            reset_engines()
            reset_settings()


def _half_written(session, ids: list[int]) -> tuple[dict[str, int], list]:
    """How many cases are in each state, and every case whose assignment step is only partly there:
    a case is either still waiting (assignment, no invitation) or staffed (peer review, two
    assignments, one invitation message for each)."""
    states: dict[str, int] = {}
    bad = []
    for cid in ids:
        case = case_repo.get_case(session, cid)
        states[case.state] = states.get(case.state, 0) + 1
        asg = case_repo.assignments_of(session, cid)
        keys = sorted(
            n.key
            for n in case_repo.notifications_of(session, case_id=cid)
            if n.template == "invitation"
        )
        whole = (case.state == CaseState.ASSIGNMENT and not asg and not keys) or (
            case.state == CaseState.PEER_REVIEW
            and len(asg) == 2
            and keys == sorted(f"invitation:{a.id}" for a in asg)
        )
        if not whole:
            bad.append((cid, case.state, len(asg), keys))
    return states, bad


@pytest.mark.postgres
def test_postgres_restarted_mid_batch(private_pg, prefect_harness, tmp_path, monkeypatch):
    """The database server itself is crash-restarted (`pg_ctl -m immediate restart`: no checkpoint,
    WAL recovery on start) in the middle of a batch, on a private server of this test's own, while
    one step's transaction is half done: it has inserted an assignment and waits for the audit
    chain's lock, which the test holds.

    Every pooled connection dies with the server and the half-done transaction is rolled back by
    the recovery; the batch retries (or fails and is reported); after the sweep every case is
    staffed exactly once, and at no point is a case half-written."""
    from datetime import UTC, datetime

    import psycopg
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool
    from sqlmodel import Session

    from qa_engine.store.audit_repo import PG_AUDIT_LOCK
    from qa_engine.store.db import get_engine, reset_engines

    n = 30
    slowed = pytest.MonkeyPatch()
    try:
        staff = _engine_on_postgres(
            private_pg.url(), tmp_path, monkeypatch, reviewers_per_institution=3
        )
        ids = _cases_waiting_for_assignment(staff, n)
        dbname = private_pg.url().rsplit("/", 1)[1]
        invalidated = []  # pooled connections the engine found dead: it saw the server go away
        event.listen(get_engine(), "invalidate", lambda *a: invalidated.append(time.monotonic()))
        # what the engine's statements and connection attempts met (not the pool's pings)
        failed = []
        event.listen(
            get_engine(),
            "handle_error",
            lambda ctx: (
                None
                if ctx.is_pre_ping
                else failed.append(
                    f"{type(ctx.original_exception).__name__}: "
                    f"{str(ctx.original_exception).strip().splitlines()[0]}"
                )
            ),
        )
        # one snapshot per look, so that a case is never seen between two of its own writes
        monitor = create_engine(
            private_pg.url(), poolclass=NullPool, isolation_level="REPEATABLE READ"
        )

        def look():
            deadline = time.monotonic() + 300
            while True:  # the server may still be recovering: wait for it
                try:
                    with Session(monitor) as s:
                        return _half_written(s, ids)
                except Exception:  # noqa: BLE001
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

        # each step takes ≥ 100 ms, and the batch stops after its third step until the test holds
        # the audit chain's lock: the next step then waits for the lock half-way, however slow the
        # machine
        slow_steps(slowed, 100)
        reached, lock_taken = threading.Event(), threading.Event()
        hold_after(slowed, 3, reached=reached, release=lock_taken)
        seen: dict = {}
        batch_done = threading.Event()
        errors: list[BaseException] = []

        def restart_mid_step():
            try:
                deadline = time.monotonic() + 600
                while not reached.wait(1):
                    if batch_done.is_set() or time.monotonic() > deadline:
                        return
                holder = psycopg.connect(
                    host="127.0.0.1",
                    port=private_pg.port,
                    user="postgres",
                    dbname=dbname,
                    autocommit=True,
                )
                holder.execute("SELECT pg_advisory_lock(%s)", (PG_AUDIT_LOCK,))
                lock_taken.set()
                blocked = None
                while blocked is None and time.monotonic() < deadline and not batch_done.is_set():
                    blocked = holder.execute(
                        "SELECT l.pid, array(SELECT DISTINCT w.relation::regclass::text FROM "
                        "pg_locks w WHERE w.pid = l.pid AND w.mode = 'RowExclusiveLock' AND "
                        "w.relation IS NOT NULL) FROM pg_locks l WHERE l.locktype = 'advisory' "
                        "AND NOT l.granted"
                    ).fetchone()
                    time.sleep(0.02)
                seen["blocked"] = blocked  # the engine's backend, and the tables it has written to
                seen["before"] = look()
                seen["pid_before"] = private_pg.postmaster_pid()
                seen["t_restart"] = time.monotonic()
                private_pg.restart("immediate")
                seen["t_up"] = time.monotonic()
                seen["pid_after"] = private_pg.postmaster_pid()
                holder.close()  # its lock died with the server
                seen["after"] = look()  # what the recovery kept
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
                lock_taken.set()

        t = threading.Thread(target=restart_mid_step)
        batch_start = datetime.now(UTC)
        t0 = time.monotonic()
        t.start()
        failure = None
        try:
            asyncio.run(advance_cases(ids))
        except Exception as exc:  # noqa: BLE001 - a run may fail when its connection dies: the sweep retries
            failure = exc
        finally:
            t_batch_end = time.monotonic()
            batch_done.set()
            t.join(600)
        slowed.undo()
        assert not errors, errors
        assert not t.is_alive()

        # the restart really happened, while the batch was running and one step was half done
        assert seen.get("blocked"), (
            f"no step of the batch was caught waiting for the audit lock: {seen}"
        )
        assert "assignment" in seen["blocked"][1], seen["blocked"]
        assert seen["pid_after"] != seen["pid_before"], "the postmaster was not restarted"
        with monitor.connect() as conn:
            started = conn.execute(text("SELECT pg_postmaster_start_time()")).scalar_one()
        assert started > batch_start, (started, batch_start)
        staffed_before = seen["before"][0].get(CaseState.PEER_REVIEW, 0)
        staffed_after = seen["after"][0].get(CaseState.PEER_REVIEW, 0)
        assert staffed_before >= 1, (
            f"the restart came before any case was staffed: {seen['before'][0]}"
        )
        assert staffed_after < n, f"every case was staffed before the restart: {seen['after'][0]}"
        assert seen["t_up"] < t_batch_end, "the batch ended before the server was back"
        assert invalidated and failed, "the engine never met the dead server"
        # nothing half-written, neither just before the crash nor in what the recovery kept
        assert seen["before"][1] == [] and seen["after"][1] == [], (
            seen["before"][1],
            seen["after"][1],
        )
        print(
            (
                f"crash-restarted (postmaster {seen['pid_before']} → {seen['pid_after']}, down "
                f"{seen['t_up'] - seen['t_restart']:.2f} s) with {staffed_before} of {n} cases "
                f"staffed and backend {seen['blocked'][0]} half-way (wrote {seen['blocked'][1]}); "
                f"after recovery {staffed_after} staffed; the engine met {len(invalidated)} dead "
                f"connection(s) and {failed}; batch "
            )
            + (f"failed: {type(failure).__name__}: {failure}" if failure else "completed")
            + f" in {t_batch_end - t0:.1f} s"
        )

        result = asyncio.run(sweep_flow())
        assert result["delivered"]["failed"] == 0
        with Session(monitor) as s:
            states, bad = _half_written(s, ids)
        assert bad == [] and states == {CaseState.PEER_REVIEW: n}, (states, bad)
        _assert_exactly_once(ids, tmp_path / "data" / "outbox")
        monitor.dispose()
    finally:
        slowed.undo()
        reset_engines()
        reset_settings()


@pytest.mark.postgres
def test_two_deliverers_send_each_message_once(prefect_harness, tmp_path, monkeypatch):
    """Two hosts deliver the same pending messages at the same moment (a worker's run delivering
    its case's invitations while a sweep on another host delivers everything pending): each message
    is handed to the mailer once. The first deliverer holds the message while it sends; the second
    must wait for it and then find it sent."""
    from qa_engine.store.db import reset_engines
    from qa_engine.workflows import delivery

    with throwaway_pg_database("qa_fault") as db:
        try:
            staff = _engine_on_postgres(db.url, tmp_path, monkeypatch, reviewers_per_institution=2)
            ids = _cases_waiting_for_assignment(staff, 1)
            assert flows.run_next_step(ids[0]) is not None  # the invitations, not yet sent
            with read_only_session() as s:
                keys = [n.key for n in case_repo.notifications_of(s, case_id=ids[0])]
            assert len(keys) == 2

            sent: list[str] = []
            lock = threading.Lock()

            def other_waits_or_sends(key: str) -> bool:
                """The other deliverer sends the same message too (the fault), or waits for a
                lock the first one holds (the cure)."""
                with lock:
                    if sent.count(key) > 1:
                        return True
                with db.admin.connect() as conn:
                    return bool(
                        conn.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                f"'{db.name}' AND wait_event_type = 'Lock'"
                            )
                        ).scalar_one()
                    )

            real_sender = delivery._sender

            def racing_sender(settings):
                send = real_sender(settings)

                def send_when_the_other_is_here(note):
                    with lock:
                        sent.append(note.key)
                        first = sent.count(note.key) == 1
                    if first:  # hold the message until the other deliverer has come for it
                        deadline = time.monotonic() + 300
                        while not other_waits_or_sends(note.key):
                            assert time.monotonic() < deadline, "the other deliverer never came"
                            time.sleep(0.05)
                    send(note)

                return send_when_the_other_is_here

            monkeypatch.setattr(delivery, "_sender", racing_sender)
            results: list = []
            errors: list[BaseException] = []

            def deliver(case_ids):
                try:
                    results.append(delivery.deliver_pending(case_ids=case_ids))
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    errors.append(exc)

            threads = [
                threading.Thread(target=deliver, args=(ids,)),  # the worker's run
                threading.Thread(target=deliver, args=(None,)),  # the sweep
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
            assert not errors, errors
            assert sorted(sent) == sorted(keys), f"handed to the mailer: {sorted(sent)}"
            assert sum(r.sent for r in results) == 2 and sum(r.failed for r in results) == 0
            with read_only_session() as s:
                notes = case_repo.notifications_of(s, case_id=ids[0])
                assert all(n.status == NotificationStatus.SENT and n.attempts == 1 for n in notes)
        finally:
            reset_engines()
            reset_settings()
