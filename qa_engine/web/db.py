"""The unit of work of one request: a session that commits when the handler succeeds and rolls back
when it fails; a lost race (stale version, duplicate row, busy database) becomes a 409/503 error.

The dependency has scope "function": its exit (the commit) runs when the handler returns, before
the response is sent, so a client never sees a success that was not stored, and a commit that fails
is still reported to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from qa_engine.store.db import get_engine, translate_db_error


def get_db() -> Iterator[Session]:
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except Exception as exc:
        session.rollback()
        translated = translate_db_error(exc)
        if translated is not exc:
            raise translated from exc
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(get_db, scope="function")]
