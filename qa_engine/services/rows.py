"""Stored rows as the services use them: a row read from or flushed to the database has its id,
and a row another row points to is there."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import Session

from qa_engine.domain.errors import NotFound

T = TypeVar("T")


class UnsavedRow(RuntimeError):
    """A row's id was needed before the row was stored (a programming error, never a user's)."""


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Row) -> int:
    """The id of a stored row (read from the database, or added and flushed).

    The models declare ``id: int | None`` because a new row has none until it is flushed; a
    service that uses the id of a row it has not stored has a bug, which this names."""
    if row.id is None:
        raise UnsavedRow(f"{type(row).__name__} is not stored yet: flush it before using its id")
    return row.id


def get_or_raise(session: Session, model: type[T], row_id: int, *, what: str) -> T:
    """The row of `model` with this id; `NotFound` naming `what` when there is none."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row
