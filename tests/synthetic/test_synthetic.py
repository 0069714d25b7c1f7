"""The synthetic alliance: seeded people and credentials, and simulated people acting through the
services. Assertions read the engine's own state (assignments, conflicts, consolidations,
decisions), not the simulator's bookkeeping."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import nullcontext

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session
from typer.testing import CliRunner

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import element_report, parse_credential
from qa_engine.domain.roles import Role
from qa_engine.domain.standards import EU_ELEMENTS
from qa_engine.domain.statuses import LIVE_ASSIGNMENT, AssignmentStatus, ReportStatus
from qa_engine.services import assignments
from qa_engine.services import sweep as sweep_service
from qa_engine.services.audit import verify
from qa_engine.services.context import now
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import User
from qa_engine.synthetic import Rates, SyntheticAlliance
from qa_engine.synthetic.tables import FIELDS, MEMBERS
from tests.conftest import rolled_back_session
from tests.helpers import drive

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@\-]{1,119}$")


# ----------------------------------------------------------------------------- no database


def test_people_are_plausible_and_seeded():
    people = SyntheticAlliance(seed=3).people(reviewers_per_institution=3)
    assert people == SyntheticAlliance(seed=3).people(reviewers_per_institution=3)
    assert people != SyntheticAlliance(seed=4).people(reviewers_per_institution=3)
    roles = Counter(p.role for p in people)
    assert roles[Role.REVIEWER] == 24 and roles[Role.PROVIDER] == 8
    assert roles[Role.QA_OFFICER] >= 1 and roles[Role.APPROVER] >= 1 and roles[Role.LEADERSHIP] == 1
    assert len({p.username for p in people}) == len(people)
    for p in people:
        assert USERNAME.match(p.username), p.username
        assert p.email.endswith(".example.eu")
    reviewers = [p for p in people if p.role == Role.REVIEWER]
    assert Counter(p.institution for p in reviewers) == {code: 3 for code in MEMBERS}
    for p in reviewers:
        assert p.languages[0] == "en" and MEMBERS[p.institution].language in p.languages
        assert 1 <= len(p.expertise_fields) <= 3 and set(p.expertise_fields) <= set(FIELDS)
        assert 3 <= p.max_open_reviews <= 6
    assert any(not p.full_name.isascii() for p in reviewers)  # local names: Dvořák, Søren, Łucja …
    # more reviewers keep the first ones
    more = SyntheticAlliance(seed=3).people(reviewers_per_institution=5)
    first_cuni = [p for p in reviewers if p.institution == "CUNI"]
    assert [p for p in more if p.institution == "CUNI" and p.role == Role.REVIEWER][
        :3
    ] == first_cuni


def test_credentials_carry_every_standard_element_and_are_seeded():
    alliance = SyntheticAlliance(seed=11)
    datas = [alliance.credential_data(i) for i in range(60)]
    assert datas == [SyntheticAlliance(seed=11).credential_data(i) for i in range(60)]
    assert datas != [SyntheticAlliance(seed=12).credential_data(i) for i in range(60)]
    for raw in datas:
        cred = parse_credential(raw, known_providers=set(MEMBERS))
        assert all(element_report(cred, list(EU_ELEMENTS)).values()), raw["reference"]
        assert cred.isced_f in FIELDS and cred.languages
    assert len({d["provider"] for d in datas}) == 8
    assert {d["eqf_level"] for d in datas} >= {6, 7}
    assert (
        any(d["digcomp"] for d in datas)
        and any(d["greencomp"] for d in datas)
        and any(d["esco_skills"] for d in datas)
    )


def test_rates_are_checked():
    with pytest.raises(ValueError, match="decline_rate"):
        Rates(decline_rate=1.5)
    alliance = SyntheticAlliance(seed=1)
    with pytest.raises(ValueError, match="unknown plan"):
        alliance.behaviour(staff=None, plans={1: "approved-ish"})  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- through the services


def _driver(session: Session):
    def advance(ids):
        for cid in ids:
            drive(session, cid)

    def sweep():
        result = sweep_service.sweep(session=session)
        advance(sorted(result.to_advance))

    return advance, sweep


def _call(
    session: Session,
    seed: int,
    n: int,
    *,
    rates: Rates | None = None,
    reviewers: int = 2,
    plans_by_index: dict[int, str] | None = None,
):
    """Staff, n credentials, cases screened by the engine, a whole call routed by the behaviour."""
    alliance = SyntheticAlliance(seed=seed)
    staff = alliance.staff(session, reviewers_per_institution=reviewers)
    case_ids = alliance.open_cases(session, alliance.credentials(session, n), staff=staff)
    advance, sweep = _driver(session)
    advance(case_ids)  # screening, by the engine
    plans = {case_ids[i]: plan for i, plan in (plans_by_index or {}).items()}
    behaviour = alliance.behaviour(staff, rates=rates, plans=plans, manage_clock=True)
    behaviour.run(case_ids, uow=lambda: nullcontext(session), advance=advance, sweep=sweep)
    return alliance, staff, case_ids


def test_generated_credentials_pass_the_engines_screening(session):
    alliance = SyntheticAlliance(seed=5)
    staff = alliance.staff(session, reviewers_per_institution=1)
    case_ids = alliance.open_cases(session, alliance.credentials(session, 16), staff=staff)
    states = alliance.screen(session, case_ids)
    assert set(states.values()) == {CaseState.SELF_ASSESSMENT}
    for cid in case_ids:
        assert case_repo.get_case(session, cid).screening_problems == []
    again = alliance.credentials(session, 16)  # the same content again: nothing new
    assert sorted(again) == sorted(case_repo.get_case(session, c).credential_id for c in case_ids)
    assert alliance.staff(session, reviewers_per_institution=1).created == 0


def _fingerprint(session: Session, case_ids: list[int]) -> dict:
    people = sorted(
        (
            u.username,
            u.full_name,
            u.institution_id is not None,
            tuple(u.expertise_fields),
            tuple(u.languages),
            u.max_open_reviews,
        )
        for u in session.query(User).all()
    )
    out = {"people": people, "credentials": [], "reviews": [], "decisions": []}
    for cid in case_ids:
        case = case_repo.get_case(session, cid)
        cred = repo.get_credential(session, case.credential_id)
        out["credentials"].append(
            (cred.reference, repo.get_credential_version(session, cred.id).content_hash)
        )
        for r in case_repo.reviews_of(session, cid, submitted_only=True):
            out["reviews"].append(
                (
                    cred.reference,
                    r.round,
                    session.get(User, r.reviewer_id).username,
                    tuple(sorted(r.scores.items())),
                    r.recommendation,
                )
            )
        out["decisions"].append(
            (
                cred.reference,
                [
                    (d.round, d.outcome, tuple(d.conditions))
                    for d in case_repo.decisions_of(session, cid)
                ],
            )
        )
    return out


def test_same_seed_same_alliance_scores_and_decisions(engine):
    runs = []
    for seed in (21, 21, 22):
        with rolled_back_session(engine) as s:
            _, _, ids = _call(s, seed, 3)
            runs.append(_fingerprint(s, ids))
    assert runs[0] == runs[1]
    assert runs[0]["reviews"] and runs[0]["decisions"]
    for key in ("people", "credentials", "reviews"):
        assert runs[0][key] != runs[2][key], key


def test_reviewer_hard_rules_hold_while_the_behaviour_assigns(session):
    alliance = SyntheticAlliance(seed=8)
    staff = alliance.staff(session, reviewers_per_institution=2, max_open_reviews=2)
    case_ids = alliance.open_cases(session, alliance.credentials(session, 10), staff=staff)
    alliance.screen(session, case_ids)
    behaviour = alliance.behaviour(
        staff, rates=Rates(decline_rate=0.35, conflict_share=1.0, late_rate=0.0)
    )
    behaviour.self_assess(session, case_ids)

    def loads_within_limits():
        load = case_repo.open_review_counts(session)
        for uid, n in load.items():
            assert n <= session.get(User, uid).max_open_reviews, (uid, n)

    for _ in range(6):
        behaviour.assign(session, case_ids)
        loads_within_limits()
        behaviour.review_wave(session, case_ids)
        loads_within_limits()
        for cid in case_ids:
            drive(session, cid)
    conflicts = case_repo.conflicts_of_users(session, list(staff.reviewers))
    assert conflicts, "the seed should make some reviewer decline with a conflict"
    for cid in case_ids:
        case = case_repo.get_case(session, cid)
        asg = case_repo.assignments_of(session, cid)
        assert asg
        for a in asg:
            reviewer = session.get(User, a.reviewer_id)
            assert reviewer.institution_id != case.institution_id
            declared = [c for c in conflicts if c.user_id == a.reviewer_id and c.case_id == cid]
            if declared:  # a conflict declared on this case: never invited to it again
                assert [x.status for x in asg if x.reviewer_id == a.reviewer_id] == [
                    AssignmentStatus.DECLINED
                ]
        live = [a for a in asg if a.status in LIVE_ASSIGNMENT and a.round == case.round]
        if len(live) >= 2:
            assert len({session.get(User, a.reviewer_id).institution_id for a in live}) >= 2
        need = assignments.case_need(session, case)
        assert not (set(need.current_reviewers) & set(need.excluded_reviewers))


def test_a_call_with_default_rates_reaches_decisions_with_declines_and_disagreement(session):
    start = now()
    _, staff, case_ids = _call(session, 3, 8)
    assert now() >= start  # the engine's clock is back to real time
    outcomes = []
    for cid in case_ids:
        case = case_repo.get_case(session, cid)
        decided = case_repo.decisions_of(session, cid)
        assert decided, (cid, case.state)
        assert case.state == CaseState.CLOSED, (cid, case.state)
        outcomes.append(case.outcome)
    statuses = Counter(a.status for cid in case_ids for a in case_repo.assignments_of(session, cid))
    assert statuses[AssignmentStatus.DECLINED] >= 1, statuses
    disagreements = [
        c
        for cid in case_ids
        for c in [case_repo.latest_consolidation(session, cid, 1)]
        if c is not None and c.pass_no > 1
    ]
    assert disagreements, "a disagreement should have called in an extra reviewer"
    assert any(case_repo.get_case(session, cid).extra_reviewers_requested for cid in case_ids)
    assert len(set(outcomes)) >= 2, outcomes
    assert statuses[AssignmentStatus.REPLACED] >= 1, (
        "a reviewer who never submitted should have been replaced by the sweep"
    )
    late = [
        (a, r)
        for cid in case_ids
        for a in case_repo.assignments_of(session, cid)
        for r in [case_repo.review_for_assignment(session, a.id)]
        if r is not None and r.submitted_at > a.due_at
    ]
    assert late and all(a.reminders_sent >= 1 for a, _ in late), (
        "late reviews come in after a reminder"
    )
    assert verify(session)[1] == []


def test_plans_give_the_demo_its_spread_of_outcomes(session):
    plans = dict(
        enumerate(
            [
                "approved",
                "approved_with_conditions",
                "revision_then_approved",
                "rejected",
                "disagreement",
            ]
        )
    )
    _, _, case_ids = _call(
        session,
        2026,
        5,
        rates=Rates(decline_rate=0, late_rate=0, disagreement_rate=0),
        plans_by_index=plans,
    )
    rounds = {}
    for cid in case_ids:
        rounds[cid] = [d.outcome for d in case_repo.decisions_of(session, cid)]
    a, c, rv, rej, dis = case_ids
    assert rounds[a] == ["approved"] and rounds[c] == ["approved_with_conditions"]
    assert rounds[rv] == ["revision_requested", "approved"] and rounds[rej] == ["rejected"]
    assert rounds[dis][0] in ("approved", "approved_with_conditions")
    extra = case_repo.get_case(session, dis)
    assert extra.extra_reviewers_requested == 1
    assert len(case_repo.reviews_of(session, dis, 1, submitted_only=True)) == 3
    assert all(
        case_repo.get_case(session, x).extra_reviewers_requested == 0 for x in (a, c, rv, rej)
    )


# ----------------------------------------------------------------------------- the command line


def test_dev_generate_command(fresh_env):
    from qa_engine.cli.main import app

    runner = CliRunner()
    args = [
        "dev",
        "generate",
        "--credentials",
        "3",
        "--reviewers-per-institution",
        "1",
        "--seed",
        "4",
    ]
    first = runner.invoke(app, [*args, "--history", "12"])
    assert first.exit_code == 0, first.output
    assert "3 created" in first.output and "12 decided" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "3 unchanged" in again.output and "(0 new)" in again.output
    bad = runner.invoke(app, [*args, "--decline-rate", "2"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_dev_generate_simulates_a_call(fresh_env):
    from qa_engine.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "dev",
            "generate",
            "--credentials",
            "2",
            "--reviewers-per-institution",
            "1",
            "--simulate",
            "--late-rate",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 simulated" in result.output
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        cases = case_repo.list_cases(s)
        assert len(cases) == 2 and all(c.state == CaseState.CLOSED for c in cases)
        rows = [r for c in cases for r in case_repo.reports_of(s, c.id)]
        # the reports are generated; the interop exports after them are settled (made, or refused
        # with the reason on the row when the interop profile lacks an identifier they need)
        assert all(r.status == ReportStatus.GENERATED for r in rows if r.kind in ("pdf", "xlsx"))
        assert all(r.status in (ReportStatus.GENERATED, ReportStatus.FAILED) for r in rows)


def _institution_ids_from(session: Session, first: int) -> None:
    """The alliance's institutions, created next in this transaction, take ids from `first` on
    (PostgreSQL: the sequence is moved on, and a rollback never gives it back; SQLite: a placeholder
    row just below, rolled back with the rest)."""
    from qa_engine.store.models import Institution

    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('institution', 'id'), :v, false)"),
            {"v": first},
        )
    else:
        session.add(
            Institution(id=first - 1, code="ZZ-PLACEHOLDER", name="Placeholder", country="EU")
        )
        session.flush()


def test_same_seed_same_alliance_whatever_the_database_ids(engine):
    """The same seed gives the same people, reviews and decisions whatever ids the rows get (on
    PostgreSQL a rolled-back run does not give its sequence values back, so every run gets new
    ones). The institutions' ids are put just below and across multiples of 32, where a set of
    them iterates in another order than by value."""
    from qa_engine.store.models import Institution

    with engine.connect() as conn:
        top = int(conn.execute(select(func.max(Institution.id))).scalar() or 0)
        if engine.dialect.name == "postgresql":
            top = max(
                top, int(conn.execute(text("SELECT last_value FROM institution_id_seq")).scalar())
            )
    runs = []
    for k in range(4):
        base = (top // 32 + 2 + 2 * k) * 32  # ever higher: a sequence is only moved forwards
        first = base + 1 if k == 0 else base - 2 * k  # ids base+1 … base+8, or across `base`
        with rolled_back_session(engine) as s:
            _institution_ids_from(s, first)
            _, _, ids = _call(s, 21, 3)
            assert (
                min(i.id for i in repo.list_institutions(s) if i.code != "ZZ-PLACEHOLDER") == first
            )
            runs.append((first, _fingerprint(s, ids)))
    ref = runs[0][1]
    assert ref["reviews"] and ref["decisions"]
    assert [first for first, fp in runs if fp != ref] == [], (
        "the result depends on the institutions' ids"
    )
