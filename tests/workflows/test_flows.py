"""The real Prefect flows (one test server per session): a full cycle, and durability under
crashes."""

from __future__ import annotations

import asyncio

import pytest

from qa_engine.adapters.credential_io import write_credentials_xlsx
from qa_engine.config import reset_settings
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.statuses import AssignmentStatus, NotificationStatus, ReportStatus
from qa_engine.services import assignments, decisions, reviews, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services.advance import AUTO_ASSIGN, REPORT
from qa_engine.services.reporting import EXPORT_KINDS, REPORT_KINDS
from qa_engine.store import case_repo
from qa_engine.store.db import session_scope
from qa_engine.store.models import Notification
from qa_engine.workflows.flows import intake_flow
from qa_engine.workflows.kick import kick
from tests.conftest import write_workflow_settings
from tests.faults import DELIVER, crash_after
from tests.helpers import SAMPLES, full_review, full_self_assessment, people

pytestmark = pytest.mark.prefect


@pytest.fixture
def auto_env(engine_env, tmp_path, monkeypatch, prefect_harness):
    monkeypatch.setenv(
        "QA_WORKFLOW_SETTINGS", str(write_workflow_settings(tmp_path / "wf.yaml", auto_assign=True))
    )
    reset_settings()
    from qa_engine.cli.main import initialise_all

    initialise_all()
    with session_scope() as s:
        p = people(s)
    return p


def _actor(p, user_id):
    return next(v for v in p.values() if v.user_id == user_id)


def _submit_self_assessments(p, case_ids):
    for cid in case_ids:
        with session_scope() as s:
            case = case_repo.get_case(s, cid)
            prov = next(
                v
                for k, v in p.items()
                if k.startswith("prov.") and v.institution_id == case.institution_id
            )
            self_assessments.save_self_assessment(
                session=s,
                actor=prov,
                case_id=cid,
                submit=True,
                summary="Summary",
                entries=full_self_assessment(case_service.rubric_of(s, case)),
            )


def _review_all(p, case_ids, score=3):
    for cid in case_ids:
        with session_scope() as s:
            case = case_repo.get_case(s, cid)
            rubric = case_service.rubric_of(s, case)
            for a in case_repo.assignments_of(
                s, cid, case.round, statuses=(AssignmentStatus.INVITED,)
            ):
                assignments.respond(
                    session=s, actor=_actor(p, a.reviewer_id), assignment_id=a.id, accept=True
                )
                reviews.save_review(
                    session=s,
                    actor=_actor(p, a.reviewer_id),
                    assignment_id=a.id,
                    entries=full_review(rubric, score),
                    recommendation="approved",
                    submit=True,
                )


def _states(case_ids):
    with session_scope() as s:
        return [case_repo.get_case(s, cid).state for cid in case_ids]


def test_full_cycle_through_the_flows(auto_env, engine_env, tmp_path):
    p = auto_env
    creds = [parse_credential(SAMPLES[i]) for i in (0, 3)]
    sheet = write_credentials_xlsx(tmp_path / "call.xlsx", creds)
    result = asyncio.run(intake_flow(str(sheet)))
    case_ids = result["cases"]
    assert len(case_ids) == 2
    assert _states(case_ids) == [CaseState.SELF_ASSESSMENT] * 2

    _submit_self_assessments(p, case_ids)
    kick(case_ids)
    assert _states(case_ids) == [CaseState.PEER_REVIEW] * 2
    _review_all(p, case_ids)
    kick(case_ids)
    assert _states(case_ids) == [CaseState.APPROVAL] * 2

    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_ids[0],
            outcome="approved",
            rationale="All standards are met convincingly.",
        )
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_ids[1],
            outcome="revision_requested",
            rationale="Assessment needs a clearer rubric.",
            conditions=["Publish the assessment rubric"],
        )
    note = kick([case_ids[0]])
    assert "closed" in note
    kick([case_ids[1]])
    assert _states(case_ids) == [CaseState.CLOSED, CaseState.SELF_ASSESSMENT]

    with session_scope() as s:
        for cid in case_ids:
            rows = [r for r in case_repo.reports_of(s, cid) if r.kind in REPORT_KINDS]
            assert {r.kind for r in rows} == {"pdf", "xlsx"} and all(
                r.status == ReportStatus.GENERATED for r in rows
            )
        outbox = list((engine_env / "outbox").glob("*.eml"))
        sent = s.query(Notification).filter(Notification.status == NotificationStatus.SENT).count()
        assert sent == len(outbox) > 0

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    async def names():
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"case-{case_ids[0]}"]))
            )
            return [r.name for r in runs]

    assert f"case-{case_ids[0]}" in asyncio.run(names())


@pytest.mark.parametrize("crash_point", [AUTO_ASSIGN, DELIVER])
def test_crash_between_steps_leaves_exactly_one_of_each_effect(
    auto_env, engine_env, crash_point, monkeypatch
):
    p = auto_env
    with session_scope() as s:
        from tests.helpers import credential

        cid = credential(s, 1)
        case = case_service.open_case(session=s, actor=p["officer"], credential_id=cid)
        case_id = case.id
    kick([case_id])
    _submit_self_assessments(p, [case_id])
    crash_after(monkeypatch, crash_point)
    note = kick([case_id])
    assert (
        "could not start" in note or "sweep" in note
    )  # the run crashed; the person's action stands
    kick([case_id])  # the re-run (or the sweep) continues
    with session_scope() as s:
        asg = case_repo.assignments_of(s, case_id)
        assert len(asg) == 2 and len({a.reviewer_id for a in asg}) == 2
        invitations = [
            n for n in case_repo.notifications_of(s, case_id=case_id) if n.template == "invitation"
        ]
        assert len(invitations) == 2 and all(
            n.status == NotificationStatus.SENT for n in invitations
        )
        assert case_repo.get_case(s, case_id).state == CaseState.PEER_REVIEW
    files = [f for f in (engine_env / "outbox").glob("invitation*.eml")]
    assert len(files) == 2


def test_crash_after_report_generation_makes_one_report(auto_env, engine_env, monkeypatch):
    p = auto_env
    with session_scope() as s:
        from tests.helpers import credential

        cid = credential(s, 2)
        case_id = case_service.open_case(session=s, actor=p["officer"], credential_id=cid).id
    kick([case_id])
    _submit_self_assessments(p, [case_id])
    kick([case_id])
    _review_all(p, [case_id])
    kick([case_id])
    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_id,
            outcome="approved",
            rationale="A well designed credential.",
        )
    crash_after(monkeypatch, REPORT)
    kick([case_id])
    with session_scope() as s:
        assert case_repo.get_case(s, case_id).state == CaseState.REPORTING
        first = {r.kind: (r.path, r.sha256) for r in case_repo.reports_of(s, case_id)}
    kick([case_id])
    with session_scope() as s:
        rows = case_repo.reports_of(s, case_id)
        assert [r.kind for r in rows] == ["pdf", "xlsx", *EXPORT_KINDS]  # each once
        assert {r.kind: (r.path, r.sha256) for r in rows if r.kind in first} == first
        assert case_repo.get_case(s, case_id).state == CaseState.CLOSED
    pdfs = list((engine_env / "reports").rglob("*.pdf"))
    assert len(pdfs) == 1
