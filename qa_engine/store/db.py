"""Engines and sessions. SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` so that
concurrent writers wait for each other instead of failing or losing updates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from qa_engine.config import get_settings
from qa_engine.domain.errors import Conflict, StaleUpdate, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=NullPool,
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
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_ENGINES: dict[str, Engine] = {}


def get_engine() -> Engine:
    url = get_settings().db_url
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def reset_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def translate_db_error(exc: Exception) -> Exception:
    """Turn a lost race into an error a person understands (409); anything else passes unchanged."""
    if isinstance(exc, StaleDataError):
        return StaleUpdate("someone else changed this at the same moment; reload and try again")
    if isinstance(exc, IntegrityError):
        return Conflict("this was just done by someone else (a duplicate was refused); reload to see it")
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
