"""Who a command or a flow acts as."""

from __future__ import annotations

from sqlmodel import Session

from qa_engine.domain.errors import NotFound
from qa_engine.domain.roles import SYSTEM, Actor
from qa_engine.store import repositories as repo


def acting_user(*, session: Session, username: str | None) -> Actor:
    """The engine itself when nobody is named, else the named user; unknown and disabled users are
    refused alike."""
    if not username:
        return SYSTEM
    user = repo.get_user_by_username(session, username.strip().lower())
    if user is None or not user.active:
        raise NotFound(f"no active user {username}")
    return repo.actor_for(session, user)
