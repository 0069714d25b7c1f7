"""`qa-engine export KIND CASE` and `qa-engine export KIND --all`: the file the reporting stage
wrote, one made now for a decision that has none, a manifest for a period, and a clear refusal for
an export a refusal does not have."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from qa_engine.cli.demo import write_demo_profile
from qa_engine.cli.main import app
from qa_engine.config import reset_settings
from qa_engine.services import decisions
from qa_engine.services.context import now
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Report
from qa_engine.workflows.flows import drive_in_process
from tests.helpers import people, to_state

runner = CliRunner()


def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def decided(engine_env, monkeypatch):
    monkeypatch.setenv("QA_INTEROP_PROFILE", str(write_demo_profile(engine_env)))
    reset_settings()
    with session_scope() as s:
        p = people(s)
        approved = to_state(s, p, "approval", index=0)
        rejected = to_state(s, p, "approval", index=3)
    for case_id, outcome in ((approved, "approved"), (rejected, "rejected")):
        with session_scope() as s:
            decisions.decide(
                session=s,
                actor=p["approver"],
                case_id=case_id,
                outcome=outcome,
                rationale="A considered decision on the credential.",
            )
        drive_in_process(case_id)
    return approved, rejected


def _row(case_id: int, kind: str) -> Report:
    with session_scope() as s:
        return next(r for r in case_repo.reports_of(s, case_id) if r.kind == kind)


def test_one_case_s_export_and_one_made_now(decided, tmp_path):
    approved, _ = decided
    row = _row(approved, "ob3")
    out = tmp_path / "badge.jwt"
    done = _cli("export", "ob3", approved, "--output", out)
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == Path(row.path).read_bytes()
    assert row.sha256 in done.output.replace("\n", "")
    # a case decided before the engine made exports: its rows are made on demand
    with session_scope() as s:
        for r in s.exec(select(Report).where(Report.case_id == approved, Report.kind == "elm")):
            s.delete(r)
    made = _cli("export", "elm", approved)
    assert made.exit_code == 0, made.output
    elm = _row(approved, "elm")
    assert elm.status == "generated" and elm.path in made.output.replace("\n", "")
    assert hashlib.sha256(Path(elm.path).read_bytes()).hexdigest() == elm.sha256


def test_a_refused_case_has_no_elm_and_says_where_its_deqar_record_is(decided):
    _, rejected = decided
    deqar = _row(rejected, "deqar")
    got = _cli("export", "elm", rejected)
    assert got.exit_code == 1
    text = " ".join(got.output.split())
    assert f"case {rejected} was rejected in round 1: it has no ELM Qualification" in text
    assert f"its DEQAR record is {deqar.report_id}" in text
    assert "Traceback" not in got.output
    ok = _cli("export", "deqar", rejected)
    assert ok.exit_code == 0 and deqar.sha256 in ok.output.replace("\n", "")


def test_a_period_with_its_manifest(decided, tmp_path):
    approved, rejected = decided
    today = now().date()
    folder = tmp_path / "period"
    got = _cli(
        "export",
        "ob3",
        "--all",
        "--from",
        today - timedelta(days=1),
        "--to",
        today,
        "--output",
        folder,
    )
    assert got.exit_code == 0, got.output
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    row = _row(approved, "ob3")
    [entry] = manifest["files"]
    assert entry["case"] == approved and entry["kind"] == "ob3" and entry["outcome"] == "approved"
    assert entry["sha256"] == row.sha256 and entry["file"] == f"{row.report_id}.jwt"
    assert entry["report_id"] == _row(approved, "pdf").report_id and entry["decided_at"]
    assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == row.sha256
    assert [(s["case"], s["outcome"]) for s in manifest["skipped"]] == [(rejected, "rejected")]
    deqar = _cli(
        "export", "deqar", "--all", "--from", today, "--to", today, "--output", tmp_path / "d"
    )
    assert deqar.exit_code == 0, deqar.output
    listed = json.loads((tmp_path / "d" / "manifest.json").read_text("utf-8"))["files"]
    assert sorted(f["case"] for f in listed) == sorted([approved, rejected])


def test_bad_options_are_clear_errors(decided, tmp_path):
    approved, _ = decided
    for args, message in (
        (("export", "elm", "--all", "--output", tmp_path), "--from is needed with --all"),
        (
            ("export", "elm", "--all", "--from", "2026-13-01", "--to", "2026-12", "-o", tmp_path),
            "--from '2026-13-01': give a date as YYYY-MM-DD",
        ),
        (("export", "elm"), "name the CASE to export"),
        (("export", "elm", 999999), "case 999999 not found"),
        (("export", "elm", approved, "--round", 5), f"case {approved} has no decision in round 5"),
    ):
        got = _cli(*args)
        assert got.exit_code == 1, (args, got.output)
        assert message in " ".join(got.output.split()), (args, got.output)
