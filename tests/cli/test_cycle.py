"""The whole cycle driven from the command line, as a QA office without the web app would."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from qa_engine.cli.main import app
from qa_engine.domain.case_states import CaseState
from qa_engine.services import cases as case_service
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from tests.helpers import ROOT, full_review, full_self_assessment, people

pytestmark = pytest.mark.prefect
runner = CliRunner()


def cli(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_cycle_from_the_command_line(engine_env, prefect_harness, tmp_path):
    cli("init")
    with session_scope() as s:
        p = people(s)
    cli("credentials", "import", ROOT / "qa_engine" / "samples" / "credentials.json")
    with session_scope() as s:
        cred = case_repo.list_cases(s)  # nothing yet
        assert cred == []
        from qa_engine.store import repositories as repo

        cred_id, inst = repo.list_credentials(s)[0][0].id, repo.list_credentials(s)[0][1]
    prov = f"prov.{inst.code.lower()}"
    opened = cli("cases", "open", cred_id, "--as", prov)
    case_id = int(opened.output.split("opened case ")[1].split()[0])
    with session_scope() as s:
        case = case_repo.get_case(s, case_id)
        assert case.state == CaseState.SELF_ASSESSMENT
        rubric = case_service.rubric_of(s, case)
    sa = tmp_path / "sa.json"
    sa.write_text(json.dumps({"summary": "Ours", "entries": full_self_assessment(rubric)}))
    cli("self-assessment", "submit", case_id, sa, "--as", prov)
    proposals = cli("assign", case_id, "--as", "officer")
    assert "proposal" in proposals.output and "Blocked" in proposals.output
    cli("assign", case_id, "--auto", "--as", "officer")
    with session_scope() as s:
        asg = case_repo.assignments_of(s, case_id)
        assert case_repo.get_case(s, case_id).state == CaseState.PEER_REVIEW and len(asg) == 2
    for a in asg:
        reviewer = next(u for u, v in p.items() if v.user_id == a.reviewer_id)
        cli("review", "respond", a.id, "--accept", "--as", reviewer)
        f = tmp_path / f"review-{a.id}.json"
        f.write_text(
            json.dumps(
                {
                    "assignment_id": a.id,
                    "entries": full_review(rubric, 3),
                    "recommendation": "approved",
                }
            )
        )
        if a is asg[0]:  # a draft from "no draft yet" (0), then a stale one: refused
            cli("review", "submit", f, "--draft", "--version", 0, "--as", reviewer)
            stale = cli(
                "review", "submit", f, "--draft", "--version", 0, "--as", reviewer, ok=False
            )
            assert stale.exit_code == 1 and "saved elsewhere" in stale.output, stale.output
        cli("review", "submit", f, "--as", reviewer)  # no version: the draft as it is now
    with session_scope() as s:
        assert case_repo.get_case(s, case_id).state == CaseState.APPROVAL
    # a wrong role is refused with a message, not a traceback
    refused = cli(
        "decide",
        case_id,
        "--outcome",
        "approved",
        "--rationale",
        "Fine by me.",
        "--as",
        "officer",
        ok=False,
    )
    assert refused.exit_code == 1 and "only a approver" in refused.output.replace(
        "an approver", "a approver"
    )
    cli(
        "decide",
        case_id,
        "--outcome",
        "approved",
        "--rationale",
        "Meets the standards.",
        "--as",
        "approver",
    )
    shown = cli("cases", "show", case_id, "--as", "officer")
    assert "closed" in shown.output and "QA-" in shown.output
    listed = cli("cases", "list", "--as", "officer")
    assert str(case_id) in listed.output
    assert "intact" in cli("audit", "verify").output
    sweep = cli("sweep")
    assert "reminder" in sweep.output

    with session_scope() as s:
        s.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
    broken = cli("audit", "verify", ok=False)
    assert broken.exit_code == 1 and "event 3" in broken.output and "edited" in broken.output
