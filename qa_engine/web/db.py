"""The unit of work of one request: a session that commits when the handler succeeds and rolls back
when it fails; a lost race (stale version, duplicate row, busy database) becomes a 409/503 error.

A ``GET`` or ``HEAD`` only reads: its session is read-only (on SQLite a deferred ``BEGIN`` that
neither waits for writers nor holds them up; see `qa_engine.store.db`). The little a page view does
write (the session's last-seen time once a minute, a flash message shown once) goes through
`write_aside`, in a short write transaction of its own, only when there is something to write.

The dependency has scope "function": its exit (the commit) runs when the handler returns, before
the response is sent, so a client never sees a success that was not stored, and a commit that fails
is still reported to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from qa_engine.store.db import (
    READ_ONLY,
    get_engine,
    read_only_session,
    session_scope,
    translate_db_error,
)

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _finish(session: Session, failed: bool) -> None:
    try:
        if failed:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    # Async: opening a session does no I/O (it connects at its first query, in the handler's thread),
    # so only the commit or rollback at the end needs a worker thread.
    if request.method in SAFE_METHODS:
        session = read_only_session()
    else:
        session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    except Exception as exc:
        await run_in_threadpool(_finish, session, True)
        translated = translate_db_error(exc)
        if translated is not exc:
            raise translated from exc
        raise
    except BaseException:  # cancelled (the client went away): give the connection back at once
        _finish(session, True)
        raise
    try:
        await run_in_threadpool(_finish, session, False)
    except Exception as exc:
        translated = translate_db_error(exc)
        if translated is not exc:
            raise translated from exc
        raise


def write_aside(db: Session, fn: Callable[[Session], T]) -> T:
    """Run a small write for this request: in its own unit of work when the request only reads."""
    if not db.info.get(READ_ONLY):
        return fn(db)
    with session_scope() as session:
        return fn(session)


DB = Annotated[Session, Depends(get_db, scope="function")]
