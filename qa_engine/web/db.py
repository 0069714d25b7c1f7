"""The unit of work of one request: a session that commits when the handler succeeds and rolls back
when it fails; a lost race (stale version, duplicate row, busy database) becomes a 409/503 error.

A ``GET`` or ``HEAD`` only reads: its session is read-only (on SQLite a deferred ``BEGIN`` that
neither waits for writers nor holds them up; see `qa_engine.store.db`). Who is asking is looked up
apart, before (`qa_engine.web.auth.resolve_principal`), so a request's transaction begins at its
handler's first query.

The dependency has scope "function": its exit (the commit) runs when the handler returns, before
the response is sent, so a client never sees a success that was not stored, and a commit that fails
is still reported to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlmodel import Session

from qa_engine.store.db import (
    get_engine,
    read_only_session,
    translate_db_error,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# The commit runs in a worker thread of its own pool: a handler's thread may be waiting (for the
# database's writer) while the transaction ahead of it needs a thread to commit, and from a shared
# pool that commit could wait for the very threads that wait for it.
_FINISHING = anyio.CapacityLimiter(64)


async def _finish_in_thread(session: Session, failed: bool) -> None:
    await anyio.to_thread.run_sync(_finish, session, failed, limiter=_FINISHING)


def _finish(session: Session, failed: bool) -> None:
    try:
        if failed:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    # Async: opening a session does no I/O (it connects at its first query, in the handler's
    # thread), so only the commit or rollback at the end needs a worker thread.
    if request.method in SAFE_METHODS:
        session = read_only_session()
    else:
        session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    except Exception as exc:
        await _finish_in_thread(session, True)
        translated = translate_db_error(exc)
        if translated is not exc:
            raise translated from exc
        raise
    except BaseException:  # cancelled (the client went away): give the connection back at once
        _finish(session, True)
        raise
    try:
        await _finish_in_thread(session, False)
    except Exception as exc:
        translated = translate_db_error(exc)
        if translated is not exc:
            raise translated from exc
        raise


DB = Annotated[Session, Depends(get_db, scope="function")]
