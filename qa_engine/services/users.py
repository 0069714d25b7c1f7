"""People: accounts, roles, passwords, disabling."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pwdlib import PasswordHash
from sqlmodel import Session

from qa_engine.domain.errors import Conflict, NotFound, ValidationFailed
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.services import audit
from qa_engine.store import repositories as repo
from qa_engine.store.models import User

_hasher = PasswordHash.recommended()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,119}$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        _hasher.hash(password)  # same work whether or not the account exists
        return False
    try:
        return _hasher.verify(password, hashed)
    except Exception:  # noqa: BLE001 - a malformed hash is a failed sign-in, not a crash
        return False


def add_user(*, session: Session, actor: Actor = SYSTEM, username: str, full_name: str, email: str,
             roles: Sequence[Role | str], institution_code: str | None = None, password: str | None = None,
             max_open_reviews: int = 4, expertise_fields: Sequence[str] = (), expertise_skills: Sequence[str] = (),
             languages: Sequence[str] = ()) -> User:
    """Create an account with its roles (admin only, or the engine itself)."""
    actor.require(Role.ADMIN, action="add users")
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise ValidationFailed(f"username {username!r}: use 2–120 lower-case letters, digits, . _ @ -")
    if repo.get_user_by_username(session, username) is not None:
        raise Conflict(f"user {username} already exists")
    try:
        role_set = [Role(r) for r in roles]
    except ValueError as exc:
        raise ValidationFailed(f"unknown role: {exc}; roles are {', '.join(r.value for r in Role)}") from None
    if not role_set:
        raise ValidationFailed("give the user at least one role")
    inst_id = None
    if institution_code:
        inst = repo.get_institution_by_code(session, institution_code)
        if inst is None:
            raise ValidationFailed(f"unknown institution {institution_code}")
        inst_id = inst.id
    if Role.PROVIDER in role_set and inst_id is None:
        raise ValidationFailed("a provider belongs to an institution: give --institution")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD} characters")
    user = User(username=username, full_name=full_name.strip() or username, email=email.strip(),
                institution_id=inst_id, password_hash=hash_password(password) if password else None,
                max_open_reviews=max_open_reviews, expertise_fields=list(expertise_fields),
                expertise_skills=list(expertise_skills), languages=list(languages))
    session.add(user)
    session.flush()
    repo.set_roles(session, user.id, role_set)
    audit.record(session, actor=actor, action="user.created", subject_type="user", subject_id=user.id,
                 payload={"username": username, "roles": sorted(r.value for r in role_set),
                          "institution": institution_code})
    return user


def set_password(*, session: Session, actor: Actor, username: str, password: str) -> User:
    user = repo.get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user {username}")
    if actor.user_id != user.id:
        actor.require(Role.ADMIN, action="set someone else's password")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    user.session_epoch += 1  # every open session ends
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.password_set", subject_type="user", subject_id=user.id)
    return user


def disable_user(*, session: Session, actor: Actor, username: str) -> User:
    """Disable an account: sign-in refused, its sessions and tokens stop working at once."""
    actor.require(Role.ADMIN, action="disable users")
    user = repo.get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user {username}")
    user.active = False
    user.session_epoch += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.disabled", subject_type="user", subject_id=user.id)
    return user


def set_development_password(*, session: Session, actor: Actor, usernames: Sequence[str], password: str,
                             environment: str) -> int:
    """Give these accounts one development password (hashed once; the demo's accounts).

    Refused in production: a shared, printed password is for a development data folder only."""
    actor.require(Role.ADMIN, action="set development passwords")
    if environment == "production":
        raise ValidationFailed("development passwords are refused when QA_ENV=production")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD} characters")
    hashed = hash_password(password)
    count = 0
    for username in usernames:
        user = repo.get_user_by_username(session, username)
        if user is None:
            raise NotFound(f"no user {username}")
        user.password_hash = hashed
        user.session_epoch += 1
        session.add(user)
        audit.record(session, actor=actor, action="user.password_set", subject_type="user", subject_id=user.id,
                     payload={"development": True})
        count += 1
    session.flush()
    return count
