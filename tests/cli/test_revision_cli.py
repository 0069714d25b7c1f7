"""`qa-engine cases revise` and `credentials import --case/--yes`: the revised credential goes into
the case from the command line, and re-importing the original file needs confirmation."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import SAMPLES, people, revision_requested
from tests.services.test_revision import INDEX, revised_sample

runner = CliRunner()


def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def _reviewed_version(case_id: int) -> int:
    with session_scope() as s:
        case = case_repo.get_case(s, case_id)
        return case_service.credential_version_of(s, case).number


def test_revise_from_a_file_then_a_re_import_needs_yes(engine_env, tmp_path):
    with session_scope() as s:
        case_id = revision_requested(s, people(s), index=INDEX)
    revised = tmp_path / "revised.json"
    revised.write_text(json.dumps([revised_sample()]), encoding="utf-8")
    original = tmp_path / "original.json"
    original.write_text(json.dumps([SAMPLES[INDEX]]), encoding="utf-8")

    early = _cli("cases", "revise", case_id, "--version", 1, "--as", "prov.unimi")
    assert early.exit_code == 1 and "round 2 already reviews version 1" in early.output

    done = _cli("cases", "revise", case_id, "--file", revised, "--as", "prov.unimi")
    assert done.exit_code == 0, done.output
    assert f"case {case_id}: its new round reviews the revised credential" in done.output
    flat = " ".join(done.output.split())
    assert "Changes since round 1 (version 1)" in flat
    assert "EU-A1.7 ECTS" in flat and "5.0" in flat and "6.0" in flat
    assert "+ Design a monitoring plan" in flat
    assert _reviewed_version(case_id) == 2

    refused = _cli("credentials", "import", original, "--as", "prov.unimi")
    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert "open case" in text and "--yes confirms" in text
    assert "holds version 1 again and would undo" in text
    assert "Traceback" not in refused.output

    stored = _cli("credentials", "import", original, "--yes", "--as", "prov.unimi")
    assert stored.exit_code == 0 and "1 new version(s)" in stored.output
    assert _reviewed_version(case_id) == 2  # the case goes on reviewing the revision

    chosen = _cli("cases", "revise", case_id, "--version", 3, "--as", "prov.unimi")
    assert chosen.exit_code == 0 and "reviews version 3" in chosen.output
    assert _reviewed_version(case_id) == 3


def test_import_naming_a_case_submits_the_revision(engine_env, tmp_path):
    with session_scope() as s:
        case_id = revision_requested(s, people(s), index=INDEX)
    revised = tmp_path / "revised.json"
    revised.write_text(json.dumps([revised_sample()]), encoding="utf-8")
    done = _cli("credentials", "import", revised, "--case", case_id, "--as", "prov.unimi")
    assert done.exit_code == 0, done.output
    assert "1 new version(s)" in done.output and f"case {case_id}:" in done.output
    assert _reviewed_version(case_id) == 2
    wrong = _cli("cases", "revise", case_id, "--file", revised, "--as", "prov.cuni")
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
