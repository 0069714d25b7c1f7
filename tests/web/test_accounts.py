"""Accounts in the browser: the admin's pages (add with a one-time password, roles, disable and
enable), the change-password page every page leads to while a one-time password is in use, and
changing one's own password (other sessions end, this one goes on under a new id)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from qa_engine.services import users
from qa_engine.store import audit_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from qa_engine.web.auth import SESSION_COOKIE
from tests.helpers import FastHasher
from tests.web.support import bearer, csrf_of, session_for, signed_in, token_for


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch):
    monkeypatch.setattr(users, "_hasher", FastHasher())


def sign_in(client: TestClient, username: str, password: str, next_: str = "/"):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": next_,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )


def one_time_password(page: str) -> str:
    m = re.search(r'<code class="wrap" id="one-time-password">([^<]+)</code>', page)
    assert m, "no one-time password on the page"
    return html.unescape(m.group(1))


def account(username: str):
    with session_scope() as s:
        return repo.get_user_by_username(s, username)


def history(username: str) -> list[tuple[str, str]]:
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        return [(e.action, e.actor) for e in audit_repo.events_for(s, "user", user.id)]


def test_admin_adds_an_account_whose_one_time_password_must_be_changed(client, p):
    csrf = signed_in(client, "admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert '<a href="/admin/users" aria-current="page">Accounts</a>' in page.text
    assert "prov.cuni" in page.text and "Provider CUNI" in page.text
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "New.Person",
            "full_name": "Nora New",
            "email": "nora@example.eu",
            "institution": "UW",
            "role": ["reviewer", "provider"],
        },
    )
    assert r.status_code == 200 and "Account new.person created" in r.text
    assert r.headers["Cache-Control"] == "no-store"
    password = one_time_password(r.text)
    assert password not in client.get("/admin/users/new.person").text, "shown once only"
    assert "one-time password, to be changed" in client.get("/admin/users/new.person").text
    user = account("new.person")
    assert user.must_change_password and user.institution_id is not None

    nora = TestClient(client.app, headers={"Accept-Language": "en"})  # else Polish (UW)
    r = sign_in(nora, "new.person", password, next_="/cases")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    first = nora.cookies.get(SESSION_COOKIE)
    for path, target in (
        ("/cases", "/account/password?next=/cases"),
        ("/", "/account/password"),
        ("/credentials/new", "/account/password?next=/credentials/new"),
        ("/sign-in", "/account/password"),
        ("/verify", "/account/password?next=/verify"),
    ):
        r = nora.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, target), path
    form = nora.get("/account/password?next=/cases")
    assert (
        "set for you by an administrator" in form.text and 'name="next" value="/cases"' in form.text
    )
    csrf = csrf_of(form.text)
    r = nora.post(
        "/credentials/new", data={"csrf_token": csrf, "title": "x"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/password", (
        "no form goes through either"
    )
    # the API with the browser's session: only "who am I", which says why
    r = nora.get("/api/v1/cases")
    assert r.status_code == 403 and r.json()["error"] == "password_change_required"
    me = nora.get("/api/v1/me").json()
    assert me["must_change_password"] is True and me["auth"] == "session"
    # an API token is not concerned
    token = bearer(token_for("new.person"))
    assert nora.get("/api/v1/cases", headers=token).status_code == 200
    assert client.get("/api/v1/me", headers=token).json()["must_change_password"] is True

    r = nora.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current": password,
            "new": "nora's own password",
            "repeat": "nora's own password",
            "next": "/cases",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    second = nora.cookies.get(SESSION_COOKIE)
    assert second and second != first, "a new session id"
    page = nora.get("/cases")
    assert page.status_code == 200 and "Your password is changed." in page.text
    assert nora.get("/api/v1/me").json()["must_change_password"] is False
    assert (
        TestClient(client.app, cookies={SESSION_COOKIE: first}).get("/api/v1/me").status_code == 401
    )
    assert not account("new.person").must_change_password
    assert history("new.person") == [
        ("user.created", "admin"),
        ("user.one_time_password_issued", "admin"),
        ("user.signed_in", "new.person"),
        ("token.issued", "qa-engine"),
        ("user.password_changed", "new.person"),
    ]


def test_add_form_errors_keep_what_was_typed(client, p):
    csrf = signed_in(client, "admin")
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "prov.x",
            "full_name": "Pat",
            "email": "pat@example.eu",
            "role": ["provider"],
        },
    )
    assert r.status_code == 422 and "a provider belongs to an institution" in r.text
    assert 'value="prov.x"' in r.text and 'value="provider" checked' in r.text
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "officer",
            "full_name": "O",
            "email": "o@example.eu",
            "role": ["reviewer"],
        },
    )
    assert r.status_code == 409 and "user officer already exists" in r.text
    assert account("prov.x") is None
    r = client.post(
        "/admin/users",
        data={"username": "sneaky", "full_name": "S", "email": "s@example.eu", "role": ["admin"]},
    )
    assert r.status_code == 403 and account("sneaky") is None, "no CSRF token, nothing done"


def test_admin_changes_roles_disables_enables_and_issues_a_one_time_password(client, p):
    csrf = signed_in(client, "admin")
    page = client.get("/admin/users/officer")
    assert page.status_code == 200 and 'name="loaded" value="qa_officer"' in page.text
    r = client.post(
        "/admin/users/officer/roles",
        data={"csrf_token": csrf, "loaded": ["qa_officer"], "role": ["qa_officer", "approver"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/users/officer"
    assert "Roles of officer: approver, qa officer." in client.get(r.headers["location"]).text
    # a form loaded before another admin's change applies only its own change
    with session_scope() as s:
        users.change_roles(session=s, actor=p["admin"], username="officer", add=["leadership"])
    client.post(
        "/admin/users/officer/roles",
        data={"csrf_token": csrf, "loaded": ["qa_officer", "approver"], "role": ["qa_officer"]},
    )
    with session_scope() as s:
        assert {r.value for r in repo.roles_of(s, p["officer"].user_id)} == {
            "qa_officer",
            "leadership",
        }
    r = client.post(
        "/admin/users/officer/roles",
        data={"csrf_token": csrf, "loaded": ["qa_officer", "leadership"]},
    )
    assert r.status_code == 422 and "no role left" in r.text and "Account officer" in r.text
    r = client.post(
        "/admin/users/admin/roles",
        data={"csrf_token": csrf, "loaded": ["admin"], "role": ["approver"]},
    )
    assert (
        r.status_code == 403
        and "you cannot remove your own admin role; another admin can" in r.text
    )

    officer = TestClient(client.app)
    signed_in(officer, "officer")
    r = client.post(
        "/admin/users/officer/disable", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "Account officer disabled" in client.get("/admin/users/officer").text
    assert officer.get("/", follow_redirects=False).status_code == 303, "signed out at once"
    r = client.post("/admin/users/officer/disable", data={"csrf_token": csrf})
    assert r.status_code == 409 and "already disabled" in r.text
    r = client.post(
        "/admin/users/officer/enable", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and account("officer").active
    assert "Disable the account" not in client.get("/admin/users/admin").text, "not one's own"
    r = client.post("/admin/users/admin/disable", data={"csrf_token": csrf})
    assert r.status_code == 403 and "you cannot disable your own account" in r.text

    r = client.post("/admin/users/officer/one-time-password", data={"csrf_token": csrf})
    assert r.status_code == 200 and "New one-time password for officer" in r.text
    password = one_time_password(r.text)
    user = account("officer")
    assert user.must_change_password and users.verify_password(password, user.password_hash)
    assert client.get("/admin/users/nobody.here").status_code == 404
    assert [a for a, _ in history("officer")] == [
        "user.created",
        "user.roles_changed",
        "user.roles_changed",
        "user.roles_changed",
        "user.disabled",
        "user.enabled",
        "user.one_time_password_issued",
    ]
    page = client.get("/admin/users/officer")
    for shown in ("roles changed", "disabled", "enabled", "one-time password issued"):
        assert shown in page.text


def test_other_roles_are_refused_in_their_words(client, p):
    for who in ("officer", "prov.cuni", "leader"):
        csrf = signed_in(client, who)
        home = client.get("/")
        assert 'href="/admin/users"' not in home.text and 'href="/account/password"' in home.text
        r = client.get("/admin/users")
        assert r.status_code == 403 and "only an admin may see the accounts" in r.text
        held = {
            "officer": "QA officers",
            "prov.cuni": "providers",
            "leader": "members of the leadership",
        }
        r = client.post("/admin/users/rev.uw/disable", data={"csrf_token": csrf})
        assert r.status_code == 403 and f"{held[who]} do not disable accounts; admins do" in r.text
        r = client.post("/admin/users/rev.uw/roles", data={"csrf_token": csrf, "role": ["admin"]})
        assert r.status_code == 403 and f"{held[who]} do not change roles; admins do" in r.text
    assert account("rev.uw").active


def test_changing_ones_own_password_ends_the_other_sessions(client, p):
    with session_scope() as s:
        repo.get_user_by_username(s, "prov.cuni").password_hash = users.hash_password(
            "the first password"
        )
    csrf = signed_in(client, "prov.cuni")
    elsewhere = TestClient(client.app, cookies={SESSION_COOKIE: session_for("prov.cuni")[0]})
    assert elsewhere.get("/").status_code == 200
    before = client.cookies.get(SESSION_COOKIE)
    form = client.get("/account/password")
    assert form.status_code == 200 and "set for you" not in form.text
    for data, message in (
        (
            {"current": "wrong one", "new": "a new password", "repeat": "a new password"},
            "not right",
        ),
        (
            {"current": "the first password", "new": "a new password", "repeat": "another"},
            "not the same",
        ),
        ({"current": "the first password", "new": "short", "repeat": "short"}, "at least 10"),
    ):
        r = client.post("/account/password", data={"csrf_token": csrf, **data})
        assert r.status_code == 422 and message in r.text
        assert "the first password" not in r.text and "a new password" not in r.text, (
            "passwords never echoed"
        )
    r = client.post(
        "/account/password",
        data={"current": "the first password", "new": "a new password", "repeat": "a new password"},
    )
    assert r.status_code == 403, "the CSRF token is required"
    r = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current": "the first password",
            "new": "a new password",
            "repeat": "a new password",
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    renewed = r.cookies.get(SESSION_COOKIE)
    assert renewed and renewed != before and "HttpOnly" in r.headers["set-cookie"]
    client.cookies.clear()  # the test put the first cookie without a domain; the server's has one
    client.cookies.set(SESSION_COOKIE, renewed)
    assert client.get("/").status_code == 200, "this browser goes on"
    assert elsewhere.get("/", follow_redirects=False).status_code == 303, "the other session ended"
    assert (
        TestClient(client.app, cookies={SESSION_COOKIE: before}).get("/api/v1/me").status_code
        == 401
    )
    assert users.verify_password("a new password", account("prov.cuni").password_hash)
    assert sign_in(TestClient(client.app), "prov.cuni", "a new password").status_code == 303


def test_wrong_current_passwords_are_throttled_like_sign_ins(client, p):
    from qa_engine.services import web_sessions

    with session_scope() as s:
        repo.get_user_by_username(s, "officer").password_hash = users.hash_password(
            "the real password"
        )
    csrf = signed_in(client, "officer")
    wrong = {
        "csrf_token": csrf,
        "current": "a guess",
        "new": "a new password",
        "repeat": "a new password",
    }
    for _ in range(web_sessions.MAX_FAILURES_PER_USERNAME):
        assert client.post("/account/password", data=wrong).status_code == 422
    r = client.post("/account/password", data={**wrong, "current": "the real password"})
    assert (
        r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "Too many failed" in r.text
    )
    assert users.verify_password("the real password", account("officer").password_hash), "unchanged"
    r = sign_in(TestClient(client.app), "officer", "the real password")
    assert r.status_code == 429, "the guesses count against signing in too"
    failed = [a for a, _ in history("officer") if a == "user.password_change_failed"]
    assert len(failed) == web_sessions.MAX_FAILURES_PER_USERNAME
