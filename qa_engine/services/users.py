"""People: accounts, roles, passwords, disabling."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlmodel import Session

from qa_engine.domain import i18n
from qa_engine.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.services import audit
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.store import audit_repo, web_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import AuditEvent, User

_hasher = PasswordHash.recommended()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,119}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # the sign-in form's limit; argon2 of megabytes is work nobody needs
_OTP_ALPHABET = (
    "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"  # nothing that reads like another
)


class WrongPassword(ValidationFailed):
    """The current password given to prove who one is was not right."""


def _username(value: str | None) -> str:
    return (value or "").strip().lower()


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


def add_user(
    *,
    session: Session,
    actor: Actor = SYSTEM,
    username: str,
    full_name: str,
    email: str,
    roles: Sequence[Role | str],
    institution_code: str | None = None,
    password: str | None = None,
    max_open_reviews: int = 4,
    expertise_fields: Sequence[str] = (),
    expertise_skills: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> User:
    """Create an account with its roles (admin only, or the engine itself)."""
    actor.require(Role.ADMIN, action="add users")
    username = _username(username)
    if not _USERNAME.match(username):
        raise ValidationFailed(
            N_("username %(username)s: use 2–120 lower-case letters, digits, . _ @ -"),
            username=repr(username),
        )
    if repo.get_user_by_username(session, username) is not None:
        raise Conflict(N_("user %(username)s already exists"), username=username)
    try:
        role_set = [Role(r) for r in roles]
    except ValueError as exc:
        raise ValidationFailed(
            N_("unknown role: %(problem)s; roles are %(roles)s"),
            problem=str(exc),
            roles=", ".join(r.value for r in Role),
        ) from None
    if not role_set:
        raise ValidationFailed(N_("give the user at least one role"))
    inst_id = None
    if institution_code:
        inst = repo.get_institution_by_code(session, institution_code)
        if inst is None:
            raise ValidationFailed(N_("unknown institution %(code)s"), code=institution_code)
        inst_id = inst.id
    if Role.PROVIDER in role_set and inst_id is None:
        raise ValidationFailed(N_("a provider belongs to an institution: give --institution"))
    if password is not None:
        _check_password(password)
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        email=email.strip(),
        institution_id=inst_id,
        password_hash=hash_password(password) if password else None,
        max_open_reviews=max_open_reviews,
        expertise_fields=list(expertise_fields),
        expertise_skills=list(expertise_skills),
        languages=list(languages),
    )
    session.add(user)
    session.flush()
    repo.set_roles(session, saved_id(user), role_set)
    audit.record(
        session,
        actor=actor,
        action="user.created",
        subject_type="user",
        subject_id=saved_id(user),
        payload={
            "username": username,
            "roles": sorted(r.value for r in role_set),
            "institution": institution_code,
        },
    )
    return user


def get_user_or_raise(session: Session, username: str) -> User:
    user = repo.get_user_by_username(session, _username(username))
    if user is None:
        raise NotFound(N_("no user %(username)s"), username=username)
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            N_("the password needs at least %(count)s characters"), count=MIN_PASSWORD
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            N_("the password may have at most %(count)s characters"), count=MAX_PASSWORD
        )


def _store_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.session_epoch += 1  # every open session ends


def set_password(
    *, session: Session, actor: Actor, username: str, password: str, must_change: bool = False
) -> User:
    """Set a password (admin, or the person themself); every open session of the account ends."""
    user = get_user_or_raise(session, username)
    if actor.user_id != user.id:
        actor.require(Role.ADMIN, action="set someone else's password")
    _check_password(password)
    _store_password(user, password, must_change=must_change)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.password_set",
        subject_type="user",
        subject_id=saved_id(user),
        payload={"must_change": must_change},
    )
    return user


def set_one_time_password(*, session: Session, actor: Actor, username: str) -> str:
    """Give an account a random password that must be changed at the next sign-in; return it (shown
    once)."""
    actor.require(Role.ADMIN, action="issue one-time passwords")
    user = get_user_or_raise(session, username)
    password = "-".join("".join(secrets.choice(_OTP_ALPHABET) for _ in range(4)) for _ in range(4))
    _store_password(user, password, must_change=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.one_time_password_issued",
        subject_type="user",
        subject_id=saved_id(user),
    )
    return password


def change_own_password(*, session: Session, actor: Actor, current: str, new: str) -> User:
    """Change one's own password, proving the current one; clears the demand to change it."""
    user = repo.get_user(session, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise Forbidden(
            N_("only a person signed in with their own account may change their password")
        )
    if not verify_password(current or "", user.password_hash):
        raise WrongPassword(N_("the current password is not right"))
    if new == current:
        raise ValidationFailed(N_("the new password must differ from the current one"))
    _check_password(new)
    _store_password(user, new, must_change=False)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.password_changed",
        subject_type="user",
        subject_id=saved_id(user),
    )
    return user


def set_own_language(*, session: Session, actor: Actor, language: str | None) -> User:
    """Choose the language the engine speaks to oneself (`None` or "": negotiated again from the
    browser and the institution, see `domain.i18n.negotiate`)."""
    user = repo.get_user(session, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise Forbidden(
            N_("only a person signed in with their own account may choose its language")
        )
    chosen = i18n.supported(language) if language else None
    if language and chosen != language:
        raise ValidationFailed(
            N_("the engine does not speak %(language)s: choose one of %(languages)s"),
            language=repr(language),
            languages=", ".join(i18n.LANGUAGES),
        )
    if user.language == chosen:
        return user
    user.language = chosen
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.language_changed",
        subject_type="user",
        subject_id=saved_id(user),
        payload={"language": chosen},
    )
    return user


def enable_user(*, session: Session, actor: Actor, username: str) -> User:
    """Enable a disabled account: it may sign in again (its earlier sessions and API tokens stay
    ended)."""
    actor.require(Role.ADMIN, action="enable accounts")
    user = get_user_or_raise(session, username)
    if user.active:
        raise Conflict(N_("user %(username)s is already enabled"), username=user.username)
    user.active = True
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, action="user.enabled", subject_type="user", subject_id=saved_id(user)
    )
    return user


def disable_user(*, session: Session, actor: Actor, username: str) -> User:
    """Disable an account: sign-in refused, its sessions and tokens stop working at once."""
    actor.require(Role.ADMIN, action="disable accounts")
    user = get_user_or_raise(session, username)
    if actor.user_id == user.id:
        raise Forbidden(N_("you cannot disable your own account; another admin can"))
    if not user.active:
        raise Conflict(N_("user %(username)s is already disabled"), username=user.username)
    user.active = False
    user.session_epoch += 1
    session.add(user)
    session.flush()
    # ended, not only refused while disabled: enabling the account again does not bring them back
    ended = web_repo.end_api_tokens_of(session, saved_id(user), now())
    audit.record(
        session,
        actor=actor,
        action="user.disabled",
        subject_type="user",
        subject_id=saved_id(user),
        payload={"tokens_ended": ended},
    )
    return user


def _roles(values: Iterable[Role | str]) -> set[Role]:
    try:
        return {Role(str(r).strip().lower()) for r in values}
    except ValueError as exc:
        raise ValidationFailed(
            N_("unknown role: %(problem)s; roles are %(roles)s"),
            problem=str(exc),
            roles=", ".join(r.value for r in Role),
        ) from None


def change_roles(
    *,
    session: Session,
    actor: Actor,
    username: str,
    add: Iterable[Role | str] = (),
    remove: Iterable[Role | str] = (),
) -> frozenset[Role]:
    """Add and remove roles of an account; return the roles it holds now."""
    actor.require(Role.ADMIN, action="change roles")
    user = get_user_or_raise(session, username)
    added, removed = _roles(add), _roles(remove)
    if not added and not removed:
        raise ValidationFailed(N_("name a role to add or to remove"))
    both = added & removed
    if both:
        raise ValidationFailed(
            N_("a role cannot be both added and removed: %(roles)s"),
            roles=", ".join(sorted(both)),
        )
    current = repo.roles_of(session, saved_id(user))
    roles = (current | added) - removed
    if roles == current:
        raise ValidationFailed(
            N_("nothing to change: %(username)s has the roles %(roles)s"),
            username=user.username,
            roles=", ".join(sorted(r.value for r in current)),
        )
    if not roles:
        raise ValidationFailed(
            N_(
                "%(username)s would have no role left; an account keeps at least one "
                "(disable the account instead)"
            ),
            username=user.username,
        )
    if actor.user_id == user.id and Role.ADMIN in current - roles:
        raise Forbidden(N_("you cannot remove your own admin role; another admin can"))
    if Role.PROVIDER in roles and user.institution_id is None:
        raise ValidationFailed(
            N_("a provider belongs to an institution, and %(username)s has none"),
            username=user.username,
        )
    repo.set_roles(session, saved_id(user), sorted(roles))
    audit.record(
        session,
        actor=actor,
        action="user.roles_changed",
        subject_type="user",
        subject_id=saved_id(user),
        payload={
            "added": sorted(r.value for r in roles - current),
            "removed": sorted(r.value for r in current - roles),
            "roles": sorted(r.value for r in roles),
        },
    )
    return frozenset(roles)


@dataclass(frozen=True)
class Account:
    """An account as the admin pages and `users list` show it."""

    id: int
    username: str
    full_name: str
    email: str
    institution_code: str | None
    roles: tuple[Role, ...]
    active: bool
    must_change: bool
    has_password: bool


def _accounts(session: Session, username: str | None = None) -> list[Account]:
    rows = repo.users_with_institution_codes(session, username=username)
    roles = repo.roles_by_user(
        session, [saved_id(u) for u, _ in rows] if username is not None else None
    )
    return [
        Account(
            id=saved_id(u),
            username=u.username,
            full_name=u.full_name,
            email=u.email,
            institution_code=code,
            roles=tuple(sorted(roles.get(saved_id(u), frozenset()))),
            active=u.active,
            must_change=u.must_change_password,
            has_password=bool(u.password_hash),
        )
        for u, code in rows
    ]


def list_accounts(*, session: Session, actor: Actor) -> list[Account]:
    """Every account, by username (admin only)."""
    actor.require(Role.ADMIN, action="see the accounts")
    return _accounts(session)


def get_account(*, session: Session, actor: Actor, username: str) -> Account:
    """One account (admin only)."""
    actor.require(Role.ADMIN, action="see the accounts")
    found = _accounts(session, _username(username))
    if not found:
        raise NotFound(N_("no user %(username)s"), username=username)
    return found[0]


def own_account(*, session: Session, actor: Actor) -> Account:
    """The account of the person acting (anyone signed in)."""
    found = _accounts(session, actor.username) if actor.user_id is not None else []
    if not found:
        if actor.is_system:
            raise NotFound(N_("the engine itself has no account"))
        raise NotFound(N_("no user %(username)s"), username=actor.username)
    return found[0]


def account_history(*, session: Session, actor: Actor, username: str) -> list[AuditEvent]:
    """The audit events of one account, oldest first (admin only)."""
    actor.require(Role.ADMIN, action="see the accounts")
    user = get_user_or_raise(session, username)
    return audit_repo.events_for(session, "user", saved_id(user))


def set_development_password(
    *, session: Session, actor: Actor, usernames: Sequence[str], password: str, environment: str
) -> int:
    """Give these accounts one development password (hashed once; the demo's accounts).

    Refused in production: a shared, printed password is for a development data folder only."""
    actor.require(Role.ADMIN, action="set development passwords")
    if environment == "production":
        raise ValidationFailed(N_("development passwords are refused when QA_ENV=production"))
    _check_password(password)
    hashed = hash_password(password)
    count = 0
    for username in usernames:
        user = get_user_or_raise(session, username)
        user.password_hash = hashed
        user.must_change_password = False
        user.session_epoch += 1
        session.add(user)
        audit.record(
            session,
            actor=actor,
            action="user.password_set",
            subject_type="user",
            subject_id=saved_id(user),
            payload={"development": True},
        )
        count += 1
    session.flush()
    return count
