"""Helpers of the web tests: sign a client in without typing a password, issue tokens, read
forms."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from qa_engine.domain.roles import SYSTEM
from qa_engine.services import tokens, web_sessions
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from qa_engine.web.auth import SESSION_COOKIE

PASSWORD = "correct horse battery staple"
_HASH: list[str] = []


def password_hash() -> str:
    """One argon2 hash for the test password, computed once (argon2 is slow on purpose)."""
    if not _HASH:
        from qa_engine.services.users import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def set_password(username: str) -> None:
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        user.password_hash = password_hash()
        s.add(user)


def session_for(username: str) -> tuple[str, str]:
    """A live browser session for this user (cookie value, CSRF token), made as sign-in makes it."""
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        signed = web_sessions.start_session(session=s, user=user)
        return signed.session_id, signed.csrf_token


def signed_in(client: TestClient, username: str) -> str:
    """Put a session cookie for `username` on the client; return the session's CSRF token."""
    sid, csrf = session_for(username)
    client.cookies.set(SESSION_COOKIE, sid)
    return csrf


def token_for(username: str, scope: str = "write") -> str:
    with session_scope() as s:
        return tokens.issue_token(
            session=s, actor=SYSTEM, username=username, scope=scope, days=30
        ).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)
