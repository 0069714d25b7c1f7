"""``qa-engine users …``: passwords asked twice or read from standard input, never an argument;
roles, enabling and disabling; errors are a message and exit status 1, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.services import users
from qa_engine.store import audit_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import FastHasher

runner = CliRunner()


@pytest.fixture
def env(engine_env, monkeypatch):
    monkeypatch.setattr(users, "_hasher", FastHasher())
    ok = run(
        "users",
        "add",
        "olga",
        "--name",
        "Olga Officer",
        "--email",
        "olga@example.eu",
        "--role",
        "qa_officer",
    )
    assert ok.exit_code == 0, ok.output
    assert "no password yet" in ok.output
    return engine_env


def run(*args, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def refused(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def user(username: str):
    with session_scope() as s:
        return repo.get_user_by_username(s, username)


def test_add_with_ask_password_prompts_twice(env):
    r = run(
        "users",
        "add",
        "prov.x",
        "--name",
        "P X",
        "--email",
        "p@example.eu",
        "--role",
        "provider",
        "--institution",
        "UW",
        "--ask-password",
        input="a good password\na good password\n",
    )
    assert r.exit_code == 0, r.output
    assert r.output.count("Password") == 1 and "Repeat for confirmation" in r.output
    assert "a good password" not in r.output, "not echoed"
    assert users.verify_password("a good password", user("prov.x").password_hash)


def test_add_with_password_stdin(env):
    r = run(
        "users",
        "add",
        "rev.x",
        "--name",
        "R X",
        "--email",
        "r@example.eu",
        "--role",
        "reviewer",
        "--password-stdin",
        input="from a script 123\nsecond line ignored\n",
    )
    assert r.exit_code == 0, r.output
    assert users.verify_password("from a script 123", user("rev.x").password_hash)


def test_add_refuses_a_short_password_and_both_ways_at_once(env):
    r = run(
        "users",
        "add",
        "rev.y",
        "--name",
        "R Y",
        "--email",
        "r@example.eu",
        "--role",
        "reviewer",
        "--password-stdin",
        input="short\n",
    )
    refused(r, "at least 10 characters")
    assert user("rev.y") is None, "nothing stored"
    r = run(
        "users",
        "add",
        "rev.y",
        "--name",
        "R Y",
        "--email",
        "r@example.eu",
        "--role",
        "reviewer",
        "--password-stdin",
        "--ask-password",
        input="long enough password\n",
    )
    refused(r, "either --ask-password or --password-stdin")


def test_add_help_names_the_real_options(env):
    r = run("users", "add", "--help")
    assert "--ask-password" in r.output and "--password-stdin" in r.output
    assert "--password " not in r.output


def test_set_password_prompts_twice_or_reads_stdin(env):
    r = run("users", "set-password", "olga", input="first new password\nfirst new password\n")
    assert r.exit_code == 0, r.output
    assert "password of olga set" in r.output and "first new password" not in r.output
    assert users.verify_password("first new password", user("olga").password_hash)
    assert not user("olga").must_change_password
    r = run(
        "users",
        "set-password",
        "olga",
        "--password-stdin",
        "--must-change",
        input="second new password\n",
    )
    assert r.exit_code == 0 and "must be changed at the next sign-in" in r.output
    assert users.verify_password("second new password", user("olga").password_hash)
    assert user("olga").must_change_password


def test_set_password_errors(env):
    refused(
        run("users", "set-password", "nobody", input="whatever 12345\nwhatever 12345\n"),
        "no user nobody",
    )
    refused(
        run("users", "set-password", "olga", "--password-stdin", input=""),
        "no password on standard input",
    )
    refused(
        run("users", "set-password", "olga", "--password-stdin", input="tiny\n"),
        "at least 10 characters",
    )
    r = run("users", "set-password", "olga", input="one password 1\nanother one 2\n")
    assert r.exit_code == 1 and "do not match" in r.output and "Traceback" not in r.output


def test_one_time_password_is_printed_once(env):
    r = run("users", "one-time-password", "olga")
    assert r.exit_code == 0, r.output
    password = r.output.strip().splitlines()[-1]
    assert len(password) == 19 and users.verify_password(password, user("olga").password_hash)
    assert user("olga").must_change_password
    assert "must change" in run("users", "list").output
    refused(run("users", "one-time-password", "nobody"), "no user nobody")


def test_roles_add_and_remove(env):
    r = run("users", "roles", "olga", "--add", "approver", "--add", "leadership")
    assert (
        r.exit_code == 0 and "olga now has the roles approver, leadership, qa_officer" in r.output
    )
    r = run("users", "roles", "olga", "--remove", "qa_officer", "--remove", "leadership")
    assert r.exit_code == 0 and "olga now has the roles approver" in r.output
    refused(run("users", "roles", "olga", "--remove", "approver"), "no role left")
    refused(run("users", "roles", "olga", "--add", "king"), "unknown role")
    refused(
        run("users", "roles", "olga", "--add", "provider"), "a provider belongs to an institution"
    )
    refused(run("users", "roles", "olga"), "name a role to add or to remove")
    refused(run("users", "roles", "nobody", "--add", "admin"), "no user nobody")


def test_disable_and_enable(env):
    assert run("users", "disable", "olga").exit_code == 0
    assert not user("olga").active
    refused(run("users", "disable", "olga"), "already disabled")
    r = run("users", "enable", "olga")
    assert r.exit_code == 0 and "user olga enabled" in r.output
    assert user("olga").active
    refused(run("users", "enable", "olga"), "already enabled")
    refused(run("users", "enable", "nobody"), "no user nobody")
    with session_scope() as s:
        actions = [e.action for e in audit_repo.events_for(s, "user", user("olga").id)]
    assert actions == ["user.created", "user.disabled", "user.enabled"]


def test_list_shows_the_accounts(env):
    run(
        "users",
        "add",
        "prov.z",
        "--name",
        "P Z",
        "--email",
        "z@example.eu",
        "--role",
        "provider",
        "--institution",
        "UW",
        "--password-stdin",
        input="long enough password\n",
    )
    out = run("users", "list").output
    assert "olga" in out and "qa_officer" in out and "none" in out
    assert "prov.z" in out and "UW" in out and "set" in out
