"""Sessions, CSRF, sign-in throttling, tokens, limits and error rendering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from qa_engine.config import Settings, get_settings
from qa_engine.domain.roles import SYSTEM
from qa_engine.services import users, web_sessions
from qa_engine.services.context import now, set_clock
from qa_engine.store import repositories as repo
from qa_engine.store import web_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Institution
from qa_engine.web.auth import SESSION_COOKIE, SIGN_IN_COOKIE
from qa_engine.web.db import DB
from tests.web.support import PASSWORD, bearer, csrf_of, set_password, signed_in, token_for


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, *, fresh: bool = False, **extra
):
    if fresh:  # a browser that is not signed in
        client = TestClient(client.app)
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            **extra,
        },
        follow_redirects=False,
    )


@pytest.fixture
def with_password(p):
    for name in ("prov.cuni", "officer"):
        set_password(name)
    return p


def test_sign_in_sets_a_new_server_side_session_and_sign_out_ends_it(client, with_password):
    r = sign_in(client, "prov.cuni", next="/cases")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = r.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "SameSite=lax" in cookie
        and "Path=/" in cookie
        and "Secure" not in cookie
    )
    first = client.cookies.get(SESSION_COOKIE)
    with session_scope() as s:
        row = web_repo.get_web_session(s, web_sessions.digest(first))
        assert row is not None and row.token_hash != first, "only a hash of the id is stored"
    assert client.get("/").status_code == 200
    # signing in again (a sign-in form opened before) gives a new id; the old one is dead
    again = TestClient(client.app, cookies={SESSION_COOKIE: first, SIGN_IN_COOKIE: "form-token"})
    r = again.post(
        "/sign-in",
        data={"username": "prov.cuni", "password": PASSWORD, "csrf_token": "form-token"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    second = r.cookies.get(SESSION_COOKIE)
    assert second and second != first
    stale = TestClient(client.app, cookies={SESSION_COOKIE: first})
    assert stale.get("/", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, second)
    # sign out, then replay the copied cookie: refused
    home = client.get("/")
    r = client.post("/sign-out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")
    replay = TestClient(client.app, cookies={SESSION_COOKIE: second})
    assert replay.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert replay.get("/api/v1/me").status_code == 401


def test_open_redirects_are_refused(client, with_password):
    r = sign_in(client, "prov.cuni", next="//evil.example/phish")
    assert r.headers["location"] == "/"
    r = client.get("/sign-in?next=https://evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"


class _CountingHasher:
    """The password hasher, counting the argon2 computations each sign-in makes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def hash(self, password: str) -> str:
        self.calls.append("argon2")
        return self.inner.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        self.calls.append("argon2")
        return self.inner.verify(password, hashed)


def test_same_answer_for_unknown_user_and_wrong_password(client, with_password, monkeypatch):
    """The same page, and the same argon2 work, whether or not the account exists (no enumeration by
    timing; `python -m bench.sign_in` measures the two paths' times)."""
    counting = _CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    bodies, work = {}, {}
    for name, username in (
        ("unknown", "nobody.here"),
        ("wrong", "prov.cuni"),
        ("disabled", "officer"),
    ):
        if name == "disabled":
            with session_scope() as s:
                users.disable_user(session=s, actor=SYSTEM, username="officer")
        counting.calls.clear()
        r = sign_in(client, username, "not the password at all")
        assert r.status_code == 401
        bodies[name] = r.text.replace(username, "USERNAME")
        work[name] = list(counting.calls)
    assert bodies["unknown"] == bodies["wrong"] == bodies["disabled"]
    assert "The username or password is not right." in bodies["wrong"]
    assert work == {"unknown": ["argon2"], "wrong": ["argon2"], "disabled": ["argon2"]}


def test_repeated_failures_are_throttled_per_username_and_per_address(
    client, with_password, monkeypatch
):
    # the throttle, not argon2, is under test here: make password checks instant
    monkeypatch.setattr(
        web_sessions, "verify_password", lambda pw, hashed: hashed is not None and pw == PASSWORD
    )
    for _ in range(web_sessions.MAX_FAILURES_PER_USERNAME):
        assert sign_in(client, "prov.cuni", "wrong", fresh=True).status_code == 401
    r = sign_in(client, "prov.cuni", fresh=True)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, (
        "even the right password waits"
    )
    assert "Too many failed sign-ins" in r.text
    assert sign_in(client, "officer", fresh=True).status_code == 303, (
        "another account from the same address works"
    )
    # after the window, the account signs in again
    set_clock(now() + web_sessions.THROTTLE_WINDOW + timedelta(seconds=5))
    try:
        assert sign_in(client, "prov.cuni", fresh=True).status_code == 303
        # many usernames from one address
        for i in range(web_sessions.MAX_FAILURES_PER_IP):
            sign_in(client, f"guess{i}", "wrong", fresh=True)
        assert sign_in(client, "officer", fresh=True).status_code == 429
    finally:
        set_clock(None)


def test_csrf_token_and_origin_are_checked_on_every_state_changing_request(client, p):
    csrf = signed_in(client, "prov.cuni")
    data = {"reason": "x"}
    r = client.post("/cases/1/withdraw", data=data, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text, "no token"
    r = client.post("/cases/1/withdraw", data={**data, "csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(
        "/cases/1/withdraw",
        data={**data, "csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403, "wrong Origin"
    r = client.post(
        "/cases/1/withdraw",
        data={**data, "csrf_token": csrf},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403, "cross-site fetch"
    r = client.post(
        "/cases/1/withdraw",
        data={**data, "csrf_token": csrf},
        headers={"Referer": "http://evil.example/x"},
    )
    assert r.status_code == 403, "foreign referer"
    r = client.post(
        "/cases/1/withdraw",
        data={**data, "csrf_token": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert r.status_code == 404, (
        "same origin with the token passes the CSRF check (and there is no case 1)"
    )
    # the JSON API used with the cookie needs the token in a header
    r = client.post("/api/v1/cases", json={"credential_id": 1})
    assert r.status_code == 403
    r = client.post("/api/v1/cases", json={"credential_id": 1}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 404
    # sign-in has its own token (cookie + field)
    client.cookies.delete(SIGN_IN_COOKIE)
    r = client.post(
        "/sign-in", data={"username": "prov.cuni", "password": "x", "csrf_token": "guess"}
    )
    assert r.status_code == 403


def test_disabling_a_user_ends_sessions_and_tokens(client, p):
    signed_in(client, "prov.cuni")
    token = bearer(token_for("prov.cuni"))
    assert (
        client.get("/").status_code == 200
        and client.get("/api/v1/me", headers=token).status_code == 200
    )
    with session_scope() as s:
        users.disable_user(session=s, actor=SYSTEM, username="prov.cuni")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_a_password_change_ends_other_sessions(client, p):
    signed_in(client, "officer")
    with session_scope() as s:
        users.set_password(
            session=s, actor=SYSTEM, username="officer", password="a brand new password"
        )
    assert client.get("/api/v1/me").status_code == 401


def test_sessions_expire_when_idle_and_tokens_when_due(client, p):
    signed_in(client, "officer")
    token = bearer(token_for("officer"))
    set_clock(now() + web_sessions.SESSION_IDLE + timedelta(minutes=1))
    try:
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/me", headers=token).status_code == 200
    finally:
        set_clock(None)
    set_clock(now() + timedelta(days=31))
    try:
        assert client.get("/api/v1/me", headers=token).status_code == 401
    finally:
        set_clock(None)


def test_anonymous_requests(client):
    r = client.get("/api/v1/cases")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json() == {
        "error": "unauthenticated",
        "message": "sign in first (or send an API token)",
        "details": [],
    }
    r = client.get("/cases/3?x=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/cases/3%3Fx%3D1"
    assert client.get("/verify").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/sign-in").status_code == 200


def test_secure_cookie_over_https(web_env, p, monkeypatch):
    set_password("officer")
    monkeypatch.setattr(
        web_sessions, "verify_password", lambda pw, hashed: hashed is not None and pw == PASSWORD
    )
    from qa_engine.web.app import create_app

    with TestClient(create_app(), base_url="https://testserver") as client:
        r = sign_in(client, "officer")
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_security_headers_and_no_store(client, p):
    signed_in(client, "officer")
    r = client.get("/")
    assert (
        r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    )
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


def test_uploads_above_the_limit_are_refused(web_env, p):
    from qa_engine.web.app import create_app

    settings = Settings(**{**get_settings().model_dump(), "max_upload_bytes": 2000})
    app = create_app(settings)
    big = b"x" * 1_100_000  # above the file limit plus the allowance for the rest of the form
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        token = bearer(token_for("prov.cuni"))
        r = client.post(
            "/api/v1/credentials/import",
            files={"file": ("big.json", big, "application/json")},
            headers=token,
        )
        assert r.status_code == 413 and r.json()["error"] == "too_large"
        csrf = signed_in(client, "prov.cuni")
        r = client.post(
            "/credentials/upload",
            data={"csrf_token": csrf},
            files={"file": ("big.json", big, "application/json")},
        )
        assert r.status_code == 413 and "<html" in r.text
        # within the body limit but above the file limit (the multipart overhead allowance)
        r = client.post(
            "/api/v1/credentials/import",
            files={"file": ("mid.json", b"[" + b" " * 3000 + b"]", "application/json")},
            headers=token,
        )
        assert r.status_code == 413 and "the limit is 2 KB" in r.json()["message"]


def test_unexpected_errors_are_a_generic_500(web_env, p):
    from qa_engine.web.app import create_app

    app = create_app()

    def boom():
        raise RuntimeError("secret internals: /etc/passwd")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(
        app, raise_server_exceptions=False, headers={"Accept-Language": "en"}
    ) as client:
        r = client.get("/api/v1/boom")
        assert r.status_code == 500 and r.json()["error"] == "internal_error"
        assert "secret" not in r.text and "Traceback" not in r.text
        r = client.get("/boom")
        assert r.status_code == 500 and "Something went wrong" in r.text and "secret" not in r.text


def test_unknown_paths_and_methods(client, p):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.delete("/api/v1/me")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    r = client.get("/nothing-here")
    assert r.status_code == 404 and "<h1>Not found</h1>" in r.text and "Sign out" not in r.text
    signed_in(client, "officer")
    r = client.get("/nothing-here")
    assert r.status_code == 404 and "Sign out" in r.text and "Olga Officer" in r.text


def _stale(db: DB):
    db.add(Institution(code="XX", name="Half-done", country="XX"))
    db.flush()
    raise StaleDataError(
        "UPDATE statement on table 'self_assessment' expected to update 1 row(s); 0 were matched."
    )


def _duplicate(db: DB):
    db.add(Institution(code="XY", name="Half-done", country="XY"))
    db.flush()
    raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))


def test_lost_races_in_the_unit_of_work_become_409(web_env, p):
    """A stale version or a duplicate found at flush or commit time is a 409, not a 500; nothing is
    kept."""
    from qa_engine.web.app import create_app

    app = create_app()
    app.add_api_route("/api/v1/stale", _stale, methods=["POST"])
    app.add_api_route("/api/v1/duplicate", _duplicate, methods=["POST"])
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        r = client.post("/api/v1/stale")
        assert r.status_code == 409 and r.json()["error"] == "stale_update"
        r = client.post("/api/v1/duplicate")
        assert r.status_code == 409 and r.json()["error"] == "conflict", r.text
    with session_scope() as s:
        assert (
            repo.get_institution_by_code(s, "XX") is None
            and repo.get_institution_by_code(s, "XY") is None
        )


def test_nul_characters_are_refused_not_stored(client, p):
    """PostgreSQL cannot store NUL in text: every way in refuses it with a 422 (or treats it as a
    wrong sign-in)."""
    csrf = signed_in(client, "prov.cuni")
    assert client.get("/cases", params={"state": "a\x00b"}).status_code == 422
    assert client.get("/api/v1/cases", params={"state": "x\x00"}).status_code == 422
    r = client.post("/credentials/new", data={"csrf_token": csrf, "title": "bad\x00title"})
    assert r.status_code == 422 and "NUL" in r.text
    r = client.post(
        "/api/v1/cases/1/withdraw", json={"reason": "no\x00"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 422
    anonymous = TestClient(client.app)
    r = sign_in(anonymous, "prov\x00cuni", "whatever", next="/\x00x")
    assert r.status_code == 401
    assert anonymous.get("/reports/QA%00X/download", follow_redirects=False).status_code == 303
