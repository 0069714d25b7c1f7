"""Engines and sessions. SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` so that
concurrent writers wait for each other instead of failing or losing updates.

Two refinements keep many concurrent web requests fast on SQLite:

- A unit of work that only reads (a page or an API ``GET``: `read_only_engine`) begins with a plain
  deferred ``BEGIN``: in WAL mode readers never wait for the writer, and the writer never waits for
  them. Such a session refuses to flush changes (`ReadOnlyTransaction`), so a read that quietly
  writes is caught by the tests instead of failing under load.
- The writers of one process queue for the database in arrival order (`WriterQueue`) before they
  issue ``BEGIN IMMEDIATE``. SQLite's own busy handler sleeps with a growing back-off and lets a
  newcomer overtake the sleepers, so under a burst some writers waited seconds while most waited
  milliseconds; queued in order, each waits only for the writers ahead of it. Writers of other
  processes (a worker, the CLI) still meet at SQLite's lock, with its busy timeout.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from qa_engine.config import get_settings
from qa_engine.domain.errors import Conflict, StaleUpdate, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "qa_read_only"  # execution option of the units of work that only read


class ReadOnlyTransaction(RuntimeError):
    """A unit of work opened for reading tried to write (a programming error, never a user's)."""


class WriterQueue:
    """A first-come, first-served lock for the writers of one process on one SQLite database.

    Held from ``BEGIN IMMEDIATE`` to the commit or rollback of that transaction, which may end on
    another thread than the one that began it (a web request's dependency and its handler run on
    different threads): the holder is the DBAPI connection, not the thread."""

    def __init__(self, timeout: float) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._waiting: deque[object] = deque()
        self._holder: int | None = None
        self.timeout = timeout

    def acquire(self, holder: int) -> None:
        with self._cond:
            if self._holder is None and not self._waiting:
                self._holder = holder
                return
            ticket = object()
            self._waiting.append(ticket)
            try:
                ok = self._cond.wait_for(
                    lambda: self._holder is None and self._waiting[0] is ticket, self.timeout
                )
            finally:
                self._waiting.remove(ticket)
            if not ok:
                self._cond.notify_all()
                raise OperationalError(
                    "BEGIN IMMEDIATE",
                    None,
                    Exception(
                        f"database is locked (waited {self.timeout:.0f} s for the writers ahead)"
                    ),
                )
            self._holder = holder

    def release(self, holder: int) -> None:
        with self._cond:
            if self._holder == holder:
                self._holder = None
                self._cond.notify_all()


def database_exists(url: str) -> bool:
    """Whether there is a database to read: an SQLite file that exists, or any server URL (asked
    lazily)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database:
            return False
        return database == ":memory:" or Path(database).is_file()
    return True


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # pooled, and generously: a new SQLite connection costs its PRAGMAs and a look at the WAL
        # index, and an idle one only a file handle
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=32,
            max_overflow=64,
            pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    # The recipe from SQLAlchemy's SQLite dialect docs: let SQLAlchemy, not pysqlite, emit BEGIN,
    # and make it BEGIN IMMEDIATE so a writer takes the lock before reading what it will change.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    writers = WriterQueue(SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        holder = id(conn.connection.dbapi_connection)
        writers.acquire(holder)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release(holder)
            raise

    def _end(conn: Connection, *_args: Any) -> None:
        writers.release(id(conn.connection.dbapi_connection))

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    # a connection returned, invalidated or closed in the middle of a transaction lets the queue
    # go on
    def _pool_end(dbapi_conn: Any, *_args: Any) -> None:
        writers.release(id(dbapi_conn))

    for name in ("reset", "invalidate", "close", "close_detached"):
        event.listen(engine.pool, name, _pool_end)


_ENGINES: dict[str, Engine] = {}
_READ_ONLY_ENGINES: dict[int, Engine] = {}
# The engine of the settings in force, found once per settings object (`db_url` resolves paths).
_current: tuple[object, Engine] | None = None


def get_engine() -> Engine:
    global _current
    settings = get_settings()
    if _current is not None and _current[0] is settings:
        return _current[1]
    url = settings.db_url
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    _current = (settings, _ENGINES[url])
    return _ENGINES[url]


def read_only_engine(engine: Engine | None = None) -> Engine:
    """The same engine (and pool) for units of work that only read: see the module's docstring."""
    engine = engine or get_engine()
    found = _READ_ONLY_ENGINES.get(id(engine))
    if found is None or found.pool is not engine.pool:  # an id reused by a newer engine
        found = _READ_ONLY_ENGINES[id(engine)] = engine.execution_options(**{READ_ONLY: True})
    return found


def read_only_session(engine: Engine | None = None) -> Session:
    session = Session(read_only_engine(engine), expire_on_commit=False)
    session.info[READ_ONLY] = True
    return session


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        changed = sorted(
            {type(o).__name__ for o in (*session.new, *session.dirty, *session.deleted)}
        )
        raise ReadOnlyTransaction(f"a read-only unit of work tried to write {', '.join(changed)}")


def reset_engines() -> None:
    global _current
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _READ_ONLY_ENGINES.clear()
    _current = None


def translate_db_error(exc: Exception) -> Exception:
    """Turn a lost race into an error a person understands (409); anything else passes unchanged."""
    if isinstance(exc, StaleDataError):
        return StaleUpdate("someone else changed this at the same moment; reload and try again")
    if isinstance(exc, IntegrityError):
        return Conflict(
            "this was just done by someone else (a duplicate was refused); reload to see it"
        )
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return StorageError("the database is busy; try again in a moment")
    return exc


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error; lost races become 409 errors."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        translated = translate_db_error(exc) if isinstance(exc, Exception) else exc
        if translated is not exc:
            raise translated from exc
        raise
    finally:
        session.close()
