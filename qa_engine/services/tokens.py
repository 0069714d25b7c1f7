"""API tokens for scripts: issued once, stored as a SHA-256, scoped read or write."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.services import audit
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.services.web_sessions import digest
from qa_engine.store import repositories as repo
from qa_engine.store import web_repo
from qa_engine.store.models import ApiToken

SCOPES = ("read", "write")
PREFIX = "qat_"
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once
    row: ApiToken


def issue_token(
    *,
    session: Session,
    actor: Actor = SYSTEM,
    username: str,
    scope: str,
    days: int | None = 90,
    label: str = "",
) -> IssuedToken:
    """Create a token for a user (admin or the engine itself); the clear token is returned once
    only."""
    actor.require(Role.ADMIN, action="issue API tokens")
    if scope not in SCOPES:
        raise ValidationFailed(
            N_("scope must be one of %(scopes)s, not %(scope)s"),
            scopes=", ".join(SCOPES),
            scope=repr(scope),
        )
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed(N_("a token lives 1 to 3650 days"))
    user = repo.get_user_by_username(session, username.strip().lower())
    if user is None:
        raise NotFound(N_("no user %(username)s"), username=username)
    if not user.active:
        raise ValidationFailed(N_("user %(username)s is disabled"), username=user.username)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=digest(token),
        user_id=saved_id(user),
        scope=scope,
        label=label[:100],
        created_at=now(),
        expires_at=now() + timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.issued",
        subject_type="user",
        subject_id=saved_id(user),
        payload={"token_id": row.id, "scope": scope, "days": days},
    )
    return IssuedToken(token, row)


@dataclass(frozen=True)
class TokenActor:
    actor: Actor
    scope: str
    token_id: int
    touch: bool = False  # last used more than TOUCH_EVERY ago: see `record_token_use`
    display_name: str = ""  # the owner's full name
    must_change_password: bool = (
        False  # the owner's password was set for them (tokens are not concerned)
    )
    language: str | None = None  # the owner's chosen language (the API's messages without a header)
    institution_country: str | None = None  # read only when the owner chose no language


def resolve_token(*, session: Session, token: str) -> TokenActor | None:
    """The actor behind a bearer token, or None (unknown, expired, or the user is disabled); reads
    only."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = web_repo.get_api_token(session, digest(token))
    if row is None:
        return None
    t = now()
    if row.expires_at is not None and row.expires_at <= t:
        return None
    user = repo.get_user(session, row.user_id)
    if user is None or not user.active:
        return None
    touch = row.last_used_at is None or t - row.last_used_at >= TOUCH_EVERY
    country = (
        repo.institution_country(session, user.institution_id)
        if user.language is None and user.institution_id is not None
        else None
    )
    return TokenActor(
        repo.actor_for(session, user),
        row.scope,
        saved_id(row),
        touch,
        user.full_name,
        user.must_change_password,
        user.language,
        country,
    )


def record_token_use(*, session: Session, token_id: int) -> None:
    """Record that a token was used now (shown to its owner and the admin)."""
    row = session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = now() if row.last_used_at is None else max(row.last_used_at, now())
        session.add(row)
        session.flush()
