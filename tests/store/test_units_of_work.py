"""Units of work on SQLite: writers of one process queue in arrival order; read-only units of work
neither wait for the writer nor may write."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from qa_engine.store.db import (
    ReadOnlyTransaction,
    WriterQueue,
    make_engine,
    read_only_session,
    session_scope,
)
from qa_engine.store.migrate import upgrade
from qa_engine.store.models import Institution


def test_writers_are_served_in_arrival_order():
    queue = WriterQueue(timeout=10)
    queue.acquire(1)
    order: list[int] = []
    threads = []
    for holder in (2, 3, 4, 5):
        t = threading.Thread(
            target=lambda h=holder: (queue.acquire(h), order.append(h), queue.release(h))
        )
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while (
            len(queue._waiting) < holder - 1 and time.monotonic() < deadline
        ):  # each is queued before the next comes
            time.sleep(0.001)
    assert order == []  # nobody overtakes the holder
    queue.release(1)
    for t in threads:
        t.join(5)
    assert order == [2, 3, 4, 5]


def test_the_queue_is_released_by_its_holder_from_any_thread_and_only_by_it():
    queue = WriterQueue(timeout=0.2)
    queue.acquire(1)
    queue.release(2)  # not the holder: nothing happens
    with pytest.raises(OperationalError, match="database is locked"):
        queue.acquire(3)
    assert not queue._waiting
    threading.Thread(target=queue.release, args=(1,)).start()  # a request may end on another thread
    queue.acquire(3)
    queue.release(3)


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    upgrade(engine)
    yield engine, tmp_path / "uow.db"
    engine.dispose()


def test_a_reader_does_not_wait_for_a_writer_of_another_process(sqlite_engine):
    engine, path = sqlite_engine
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        with read_only_session(engine) as s:
            assert s.execute(text("SELECT count(*) FROM institution")).scalar_one() == 0
            s.commit()
        assert (
            time.monotonic() - started < 5
        )  # a writer would wait up to the 30 s busy timeout here
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_read_only_unit_of_work_refuses_to_write(sqlite_engine):
    engine, _ = sqlite_engine
    with read_only_session(engine) as s:
        s.add(Institution(code="ZZ", name="Written by a read", country="ZZ"))
        with pytest.raises(ReadOnlyTransaction, match="Institution"):
            s.flush()
        s.rollback()
    with session_scope(engine) as s:
        assert s.execute(text("SELECT count(*) FROM institution")).scalar_one() == 0


def test_concurrent_writers_of_one_process_lose_nothing(sqlite_engine):
    engine, _ = sqlite_engine
    with session_scope(engine) as s:
        s.add(Institution(code="CT", name="0", country="CZ"))
    errors: list[BaseException] = []

    def bump():
        try:
            for _ in range(10):
                with session_scope(engine) as s:
                    inst = s.execute(
                        text("SELECT name FROM institution WHERE code = 'CT'")
                    ).scalar_one()
                    s.execute(
                        text("UPDATE institution SET name = :n WHERE code = 'CT'"),
                        {"n": str(int(inst) + 1)},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with session_scope(engine) as s:
        assert (
            s.execute(text("SELECT name FROM institution WHERE code = 'CT'")).scalar_one() == "80"
        )
