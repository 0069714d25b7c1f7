"""Accounts on SQLite and PostgreSQL: passwords (set, one-time, changed by their owner), enabling
and disabling, roles, the admin's list, and the audit event each change writes."""

from __future__ import annotations

import pytest

from qa_engine.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.services import users
from qa_engine.store import audit_repo
from qa_engine.store import repositories as repo
from tests.helpers import FastHasher, people


@pytest.fixture
def p(seeded, monkeypatch):
    monkeypatch.setattr(users, "_hasher", FastHasher())
    return people(seeded)


def actions(session, username: str) -> list[str]:
    user = repo.get_user_by_username(session, username)
    return [e.action for e in audit_repo.events_for(session, "user", user.id)]


def test_set_password_by_admin_or_self_ends_sessions(seeded, p):
    user = repo.get_user_by_username(seeded, "officer")
    epoch = user.session_epoch
    users.set_password(
        session=seeded,
        actor=p["admin"],
        username="officer",
        password="a long new password",
        must_change=True,
    )
    assert user.session_epoch == epoch + 1 and user.must_change_password
    assert users.verify_password("a long new password", user.password_hash)
    users.set_password(
        session=seeded, actor=p["officer"], username="officer", password="my own new password"
    )
    assert not user.must_change_password and user.session_epoch == epoch + 2
    with pytest.raises(Forbidden, match="only an admin may set someone else's password"):
        users.set_password(
            session=seeded, actor=p["approver"], username="officer", password="x" * 12
        )
    with pytest.raises(ValidationFailed, match="at least 10"):
        users.set_password(session=seeded, actor=p["admin"], username="officer", password="short")
    with pytest.raises(ValidationFailed, match="at most 1000"):
        users.set_password(
            session=seeded, actor=p["admin"], username="officer", password="x" * 1001
        )
    with pytest.raises(NotFound):
        users.set_password(session=seeded, actor=p["admin"], username="nobody", password="x" * 12)
    events = audit_repo.events_for(seeded, "user", user.id)
    assert [(e.action, e.actor, e.payload) for e in events] == [
        (
            "user.created",
            "qa-engine",
            {"username": "officer", "roles": ["qa_officer"], "institution": None},
        ),
        ("user.password_set", "admin", {"must_change": True}),
        ("user.password_set", "officer", {"must_change": False}),
    ]


def test_the_stored_password_is_an_argon2_hash(seeded, p, monkeypatch):
    monkeypatch.undo()  # the real hasher
    users.set_password(
        session=seeded, actor=SYSTEM, username="leader", password="correct horse battery"
    )
    stored = repo.get_user_by_username(seeded, "leader").password_hash
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert users.verify_password("correct horse battery", stored)


def test_one_time_password_must_be_changed_by_its_owner(seeded, p):
    one_time = users.set_one_time_password(session=seeded, actor=p["admin"], username="prov.cuni")
    again = users.set_one_time_password(session=seeded, actor=p["admin"], username="prov.cuni")
    assert len(one_time) == 19 and one_time != again, "random, 4 groups of 4"
    user = repo.get_user_by_username(seeded, "prov.cuni")
    assert user.must_change_password and users.verify_password(again, user.password_hash)
    assert not users.verify_password(one_time, user.password_hash), (
        "the second one replaced the first"
    )
    assert again not in str([e.payload for e in audit_repo.events_for(seeded, "user", user.id)])
    with pytest.raises(Forbidden, match="only an admin may issue one-time passwords"):
        users.set_one_time_password(session=seeded, actor=p["officer"], username="prov.cuni")

    me = p["prov.cuni"]
    with pytest.raises(ValidationFailed, match="current password is not right"):
        users.change_own_password(
            session=seeded, actor=me, current="wrong", new="a new password here"
        )
    with pytest.raises(ValidationFailed, match="must differ"):
        users.change_own_password(session=seeded, actor=me, current=again, new=again)
    with pytest.raises(ValidationFailed, match="at least 10"):
        users.change_own_password(session=seeded, actor=me, current=again, new="short")
    assert user.must_change_password, "nothing changed by a refused attempt"
    epoch = user.session_epoch
    users.change_own_password(session=seeded, actor=me, current=again, new="a new password here")
    assert not user.must_change_password and user.session_epoch == epoch + 1
    assert users.verify_password("a new password here", user.password_hash)
    with pytest.raises(Forbidden):
        users.change_own_password(
            session=seeded, actor=SYSTEM, current="", new="a new password here"
        )
    assert actions(seeded, "prov.cuni") == [
        "user.created",
        "user.one_time_password_issued",
        "user.one_time_password_issued",
        "user.password_changed",
    ]


def test_enable_and_disable(seeded, p):
    from qa_engine.services import tokens

    user = repo.get_user_by_username(seeded, "rev.uw")
    epoch = user.session_epoch
    token = tokens.issue_token(session=seeded, username="rev.uw", scope="read").token
    assert tokens.resolve_token(session=seeded, token=token) is not None
    users.disable_user(session=seeded, actor=p["admin"], username="rev.uw")
    assert not user.active and user.session_epoch == epoch + 1
    assert tokens.resolve_token(session=seeded, token=token) is None
    with pytest.raises(Conflict, match="already disabled"):
        users.disable_user(session=seeded, actor=p["admin"], username="rev.uw")
    users.enable_user(session=seeded, actor=p["admin"], username="REV.UW ")
    assert user.active
    assert tokens.resolve_token(session=seeded, token=token) is None, (
        "enabling does not bring old tokens back"
    )
    with pytest.raises(Conflict, match="already enabled"):
        users.enable_user(session=seeded, actor=p["admin"], username="rev.uw")
    with pytest.raises(Forbidden, match="only an admin may enable accounts"):
        users.enable_user(session=seeded, actor=p["officer"], username="rev.uw")
    with pytest.raises(Forbidden, match="only an admin may disable accounts"):
        users.disable_user(session=seeded, actor=p["officer"], username="rev.uw")
    with pytest.raises(Forbidden, match="your own account; another admin can"):
        users.disable_user(session=seeded, actor=p["admin"], username="admin")
    with pytest.raises(NotFound):
        users.enable_user(session=seeded, actor=p["admin"], username="nobody")
    events = audit_repo.events_for(seeded, "user", user.id)
    assert [(e.action, e.payload) for e in events] == [
        ("user.created", {"username": "rev.uw", "roles": ["reviewer"], "institution": "UW"}),
        ("token.issued", {"token_id": events[1].payload["token_id"], "scope": "read", "days": 90}),
        ("user.disabled", {"tokens_ended": 1}),
        ("user.enabled", {}),
    ]


def test_change_roles(seeded, p):
    admin = p["admin"]
    now = users.change_roles(session=seeded, actor=admin, username="officer", add=["approver"])
    assert now == {Role.QA_OFFICER, Role.APPROVER}
    now = users.change_roles(
        session=seeded,
        actor=admin,
        username="officer",
        add=[Role.LEADERSHIP],
        remove=["qa_officer", "approver"],
    )
    assert now == {Role.LEADERSHIP} == repo.roles_of(seeded, p["officer"].user_id)
    with pytest.raises(ValidationFailed, match="no role left"):
        users.change_roles(session=seeded, actor=admin, username="officer", remove=["leadership"])
    with pytest.raises(ValidationFailed, match="nothing to change"):
        users.change_roles(session=seeded, actor=admin, username="officer", add=["leadership"])
    with pytest.raises(ValidationFailed, match="both added and removed"):
        users.change_roles(
            session=seeded, actor=admin, username="officer", add=["admin"], remove=["admin"]
        )
    with pytest.raises(ValidationFailed, match="name a role"):
        users.change_roles(session=seeded, actor=admin, username="officer")
    with pytest.raises(ValidationFailed, match="unknown role"):
        users.change_roles(session=seeded, actor=admin, username="officer", add=["king"])
    with pytest.raises(ValidationFailed, match="a provider belongs to an institution"):
        users.change_roles(session=seeded, actor=admin, username="officer", add=["provider"])
    assert users.change_roles(session=seeded, actor=admin, username="rev.uw", add=["provider"]) == {
        Role.REVIEWER,
        Role.PROVIDER,
    }, "a reviewer of an institution may become its provider"
    with pytest.raises(Forbidden, match="your own admin role; another admin can"):
        users.change_roles(
            session=seeded, actor=admin, username="admin", add=["qa_officer"], remove=["admin"]
        )
    assert users.change_roles(
        session=seeded, actor=admin, username="admin", add=["qa_officer"]
    ) == {Role.ADMIN, Role.QA_OFFICER}, "an admin may add roles of their own"
    with pytest.raises(Forbidden, match="only an admin may change roles"):
        users.change_roles(session=seeded, actor=p["officer"], username="officer", add=["admin"])
    user = repo.get_user_by_username(seeded, "officer")
    changed = [
        e.payload
        for e in audit_repo.events_for(seeded, "user", user.id)
        if e.action == "user.roles_changed"
    ]
    assert changed == [
        {"added": ["approver"], "removed": [], "roles": ["approver", "qa_officer"]},
        {"added": ["leadership"], "removed": ["approver", "qa_officer"], "roles": ["leadership"]},
    ]


def test_list_accounts_shows_what_the_admin_page_needs(seeded, p):
    users.set_one_time_password(session=seeded, actor=p["admin"], username="prov.uw")
    users.disable_user(session=seeded, actor=p["admin"], username="rev.cuni")
    accounts = {a.username: a for a in users.list_accounts(session=seeded, actor=p["admin"])}
    assert list(accounts) == sorted(accounts)
    assert {"admin", "officer", "prov.uw", "rev.cuni"} <= set(accounts)
    uw = accounts["prov.uw"]
    assert (
        uw.full_name,
        uw.email,
        uw.institution_code,
        uw.roles,
        uw.active,
        uw.must_change,
        uw.has_password,
    ) == ("Provider UW", "prov.uw@example.eu", "UW", (Role.PROVIDER,), True, True, True)
    assert accounts["rev.cuni"].active is False and accounts["officer"].institution_code is None
    assert accounts["officer"].has_password is False
    assert users.get_account(session=seeded, actor=p["admin"], username="prov.uw") == uw
    with pytest.raises(NotFound):
        users.get_account(session=seeded, actor=p["admin"], username="nobody")
    for who in ("officer", "prov.uw", "leader"):
        with pytest.raises(Forbidden, match="only an admin may see the accounts"):
            users.list_accounts(session=seeded, actor=p[who])
    history = users.account_history(session=seeded, actor=p["admin"], username="prov.uw")
    assert [e.action for e in history] == ["user.created", "user.one_time_password_issued"]


def test_every_account_change_is_an_audit_event(seeded, p):
    """Created, password set, one-time password issued, password changed, enabled, disabled, roles
    changed: read back from the chain, which still verifies."""
    from qa_engine.services import audit

    admin = p["admin"]
    users.add_user(
        session=seeded,
        actor=admin,
        username="new.person",
        full_name="New Person",
        email="new@example.eu",
        roles=["reviewer"],
        institution_code="UW",
    )
    users.set_password(
        session=seeded, actor=admin, username="new.person", password="first password!"
    )
    one_time = users.set_one_time_password(session=seeded, actor=admin, username="new.person")
    me = repo.actor_for(seeded, repo.get_user_by_username(seeded, "new.person"))
    users.change_own_password(session=seeded, actor=me, current=one_time, new="my chosen password")
    users.disable_user(session=seeded, actor=admin, username="new.person")
    users.enable_user(session=seeded, actor=admin, username="new.person")
    users.change_roles(session=seeded, actor=admin, username="new.person", add=["provider"])
    events = users.account_history(session=seeded, actor=admin, username="new.person")
    assert [(e.action, e.actor) for e in events] == [
        ("user.created", "admin"),
        ("user.password_set", "admin"),
        ("user.one_time_password_issued", "admin"),
        ("user.password_changed", "new.person"),
        ("user.disabled", "admin"),
        ("user.enabled", "admin"),
        ("user.roles_changed", "admin"),
    ]
    for secret in ("first password!", one_time, "my chosen password"):
        assert all(secret not in str(e.payload) for e in events)
    count, problems = audit.verify(seeded)
    assert count >= len(events) and problems == []


def test_own_language_chosen_cleared_and_refused(seeded, p):
    user = users.set_own_language(session=seeded, actor=p["officer"], language="cs")
    assert user.language == "cs" and actions(seeded, "officer")[-1] == "user.language_changed"
    users.set_own_language(session=seeded, actor=p["officer"], language="cs")  # no change
    assert actions(seeded, "officer").count("user.language_changed") == 1
    with pytest.raises(ValidationFailed):
        users.set_own_language(session=seeded, actor=p["officer"], language="pt")
    with pytest.raises(ValidationFailed):
        users.set_own_language(session=seeded, actor=p["officer"], language="fr-CH")
    assert users.set_own_language(session=seeded, actor=p["officer"], language="").language is None
    with pytest.raises(Forbidden):
        users.set_own_language(session=seeded, actor=SYSTEM, language="de")
