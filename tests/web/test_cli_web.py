"""`qa-engine serve` and `qa-engine users token` (the functions main.py wires in)."""

from __future__ import annotations

import importlib

import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qa_engine.cli import web_cmd
from qa_engine.store import web_repo
from qa_engine.store.db import session_scope


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("serve")(web_cmd.serve)
    users = typer.Typer()
    users.command("token")(web_cmd.users_token)
    app.add_typer(users, name="users")
    return app


def test_users_token_prints_the_token_once_and_stores_its_hash(client, p):
    result = CliRunner().invoke(
        _cli(), ["users", "token", "prov.cuni", "--scope", "read", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("qat_")
    with session_scope() as s:
        rows = web_repo.api_tokens_of(s, p["prov.cuni"].user_id)
        assert len(rows) == 1 and rows[0].scope == "read" and token not in rows[0].token_hash
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["scope"] == "read"
    assert (
        client.post("/api/v1/cases", json={"credential_id": 1}, headers=headers).status_code == 403
    )
    bad = CliRunner().invoke(_cli(), ["users", "token", "prov.cuni", "--scope", "admin"])
    assert bad.exit_code == 1 and "scope must be one of read, write" in bad.output
    assert CliRunner().invoke(_cli(), ["users", "token", "nobody"]).exit_code == 1


def test_serve_runs_the_app_with_uvicorn(web_env, monkeypatch):
    import uvicorn

    seen = {}

    def fake_run(app, **kwargs):
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    # no Prefect server in this test (flows are not run), and no signal handlers in the test process
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr("qa_engine.cli.common.take_children_down", lambda: None)
    result = CliRunner().invoke(_cli(), ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123 and seen["factory"] is True
    module, name = seen["app"].split(":")
    app = getattr(importlib.import_module(module), name)()
    assert TestClient(app).get("/sign-in").status_code == 200


def test_serve_refuses_several_processes_on_sqlite(web_env, monkeypatch):
    import uvicorn

    monkeypatch.setattr(
        uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not start"))
    )
    result = CliRunner().invoke(_cli(), ["serve", "--workers", "2"])
    assert result.exit_code == 1 and "several server processes need PostgreSQL" in result.output
