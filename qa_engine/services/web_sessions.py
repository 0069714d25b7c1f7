"""Signing in and out of the browser app: password check with throttling, server-side sessions.

The browser holds a random session id; the database holds only its SHA-256, the user, the user's
`session_epoch` when the session began, and the session's CSRF token. A session ends at sign-out
(the row is deleted, so a copied cookie is refused), at expiry, after being idle too long, and
when the user's epoch moves on (password change, disabling).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from qa_engine.domain.errors import QAError, Unauthenticated
from qa_engine.domain.i18n import N_, Message, Nn_
from qa_engine.domain.roles import Actor
from qa_engine.services import audit
from qa_engine.services.context import now
from qa_engine.services.rows import saved_id
from qa_engine.services.users import WrongPassword, change_own_password, verify_password
from qa_engine.store import repositories as repo
from qa_engine.store import web_repo
from qa_engine.store.models import LoginAttempt, User, WebSession

SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
# Many people may share one address (a campus NAT): a wider limit per address than per account.
MAX_FAILURES_PER_IP = 20
# marked for the catalogs: the sign-in page shows it in the reader's language
SIGN_IN_REFUSED = N_("The username or password is not right.")


class TooManyAttempts(QAError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, wait: Message, *, retry_after: int) -> None:
        super().__init__("%(text)s", text=wait.english())
        self.wait = wait
        self.retry_after = retry_after

    def in_language(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
    ) -> tuple[str, list[str]]:
        return self.wait.render(gettext, ngettext), []


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: str  # for the cookie; never stored
    csrf_token: str


def _normalise(username: str) -> str:
    # never a NUL: PostgreSQL refuses it in text, and no username has one
    return (username or "").replace("\x00", "?").strip().lower()[:120]


def check_throttle(*, session: Session, username: str, client_ip: str) -> None:
    """Raise `TooManyAttempts` (with the seconds to wait) when this account or address failed too
    often."""
    t = now()
    since = t - THROTTLE_WINDOW
    name = _normalise(username)
    for count, oldest, limit in (
        (*web_repo.failures_since(session, since=since, username=name), MAX_FAILURES_PER_USERNAME),
        (
            *web_repo.failures_since(session, since=since, client_ip=client_ip[:64]),
            MAX_FAILURES_PER_IP,
        ),
    ):
        if count >= limit and oldest is not None:
            wait = max(1, int((oldest + THROTTLE_WINDOW - t).total_seconds()) + 1)
            minutes = (wait + 59) // 60
            raise TooManyAttempts(
                Nn_(
                    "Too many failed sign-ins. Try again in %(num)s minute.",
                    "Too many failed sign-ins. Try again in %(num)s minutes.",
                    minutes,
                ),
                retry_after=wait,
            )


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    client_ip: str,
    user_agent: str = "",
    previous_session_id: str | None = None,
) -> SignedIn:
    """Check the password and open a new session; the same refusal for an unknown user and a wrong
    password."""
    client_ip = client_ip.replace("\x00", "?")
    check_throttle(session=session, username=username, client_ip=client_ip)
    name = _normalise(username)
    user = repo.get_user_by_username(session, name) if name else None
    ok = verify_password(password or "", user.password_hash if user else None)
    if not ok or user is None or not user.active:
        session.add(LoginAttempt(username=name, client_ip=client_ip[:64], at=now()))
        session.flush()
        audit.record(
            session,
            actor=name or "(empty)",
            action="user.sign_in_failed",
            subject_type="user",
            subject_id=name or "-",
            payload={"ip": client_ip[:64]},
        )
        raise Unauthenticated(SIGN_IN_REFUSED)
    if previous_session_id:
        web_repo.delete_web_session(session, digest(previous_session_id))
    web_repo.clear_failures(session, username=name)
    web_repo.delete_old_failures(session, now() - THROTTLE_WINDOW)
    signed = start_session(session=session, user=user, user_agent=user_agent)
    audit.record(
        session,
        actor=user.username,
        action="user.signed_in",
        subject_type="user",
        subject_id=saved_id(user),
        payload={"ip": client_ip[:64]},
    )
    return signed


def start_session(*, session: Session, user: User, user_agent: str = "") -> SignedIn:
    """Open a new session for a user whose identity is established (always a new random id)."""
    web_repo.delete_expired_web_sessions(session, now())
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    t = now()
    session.add(
        WebSession(
            token_hash=digest(session_id),
            user_id=saved_id(user),
            session_epoch=user.session_epoch,
            csrf_token=csrf,
            user_agent=(user_agent or "")[:200],
            created_at=t,
            last_seen_at=t,
            expires_at=t + SESSION_LIFETIME,
        )
    )
    session.flush()
    return SignedIn(user, session_id, csrf)


def change_password(
    *,
    session: Session,
    actor: Actor,
    current: str,
    new: str,
    client_ip: str,
    user_agent: str = "",
    renew: bool = True,
) -> SignedIn | None:
    """Change one's own password: every browser session of the account ends; with `renew`, a new one
    begins for this browser (its id returned for the cookie).

    A wrong current password counts as a failed sign-in of the account and the address (the same
    throttle), and is kept even though the change is refused: the caller commits after the
    refusal."""
    client_ip = client_ip.replace("\x00", "?")[:64]
    check_throttle(session=session, username=actor.username, client_ip=client_ip)
    try:
        with session.begin_nested():  # a refusal leaves nothing of the change behind
            user = change_own_password(session=session, actor=actor, current=current, new=new)
    except WrongPassword:
        session.add(
            LoginAttempt(username=_normalise(actor.username), client_ip=client_ip, at=now())
        )
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.password_change_failed",
            subject_type="user",
            subject_id=actor.user_id or "-",
            payload={"ip": client_ip},
        )
        raise
    web_repo.clear_failures(session, username=_normalise(actor.username))
    web_repo.delete_web_sessions_of(
        session, saved_id(user)
    )  # the epoch ended them; their rows go too
    return start_session(session=session, user=user, user_agent=user_agent) if renew else None


@dataclass(frozen=True)
class LiveSession:
    row: WebSession
    user: User
    actor: Actor
    # the country of the person's institution, read only when the account names no language
    # (the next default after the browser's, `domain.i18n.negotiate`)
    institution_country: str | None = None


@dataclass(frozen=True)
class SessionLookup:
    """What a cookie names: the live session or nothing, and what using it should write."""

    live: LiveSession | None
    token_hash: str = ""
    dead: bool = False  # the row is expired, idle, signed out by an epoch change: delete it
    touch: bool = False  # last seen more than TOUCH_EVERY ago: record this visit

    @property
    def writes(self) -> bool:
        return self.dead or self.touch


def look_up_session(*, session: Session, session_id: str) -> SessionLookup:
    """The session for this cookie value, reading only (see `record_session_use` for the writes)."""
    if not session_id or len(session_id) > 200:
        return SessionLookup(None)
    token_hash = digest(session_id)
    found = web_repo.get_web_session_with_user(session, token_hash)
    if found is None:
        return SessionLookup(None)
    row, user = found
    t = now()
    if (
        user is None
        or not user.active
        or user.session_epoch != row.session_epoch
        or row.expires_at <= t
        or row.last_seen_at + SESSION_IDLE <= t
    ):
        return SessionLookup(None, token_hash, dead=True)
    country = (
        repo.institution_country(session, user.institution_id)
        if user.language is None and user.institution_id is not None
        else None
    )
    return SessionLookup(
        LiveSession(row, user, repo.actor_for(session, user), country),
        token_hash,
        touch=t - row.last_seen_at >= TOUCH_EVERY,
    )


def record_session_use(*, session: Session, lookup: SessionLookup) -> None:
    """Delete the dead session a cookie named, or record that a live one was used now."""
    row = web_repo.get_web_session(session, lookup.token_hash) if lookup.writes else None
    if row is None:
        return
    if lookup.dead:
        session.delete(row)
    else:
        row.last_seen_at = max(row.last_seen_at, now())
        session.add(row)
    session.flush()


def sign_out(*, session: Session, session_id: str) -> bool:
    """End this session: its row is deleted, so the cookie is worthless from now on."""
    row = web_repo.get_web_session(session, digest(session_id)) if session_id else None
    if row is None:
        return False
    user = repo.get_user(session, row.user_id)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=user.username if user else "-",
        action="user.signed_out",
        subject_type="user",
        subject_id=row.user_id,
    )
    return True


def expires_in(row: WebSession, at: datetime | None = None) -> int:
    return max(0, int((row.expires_at - (at or now())).total_seconds()))
