"""One clock: every timestamp the engine writes comes from `domain.clock`, so a simulated call and
a generated history are consistent in time (issue 15, item 1).

The invariants, over a small demo-like call routed through the services and over a generated
history: every event is at or after its cause (a report is requested after its decision and
generated after its request; a notification is sent after it was queued; a consolidation comes
before the decision it fed), each case's audit trail is in time order, the history a report
shows ends at or before the report's generation, and nothing is dated after the run's real now.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from qa_engine.domain import clock
from qa_engine.domain.case_states import CaseState
from qa_engine.services import notifications
from qa_engine.services import sweep as sweep_service
from qa_engine.services.context import set_clock
from qa_engine.store.models import (
    AuditEvent,
    Consolidation,
    Decision,
    Notification,
    Report,
    SQLModel,
)
from qa_engine.store.types import UTCDateTime
from qa_engine.synthetic import SyntheticAlliance
from tests.helpers import drive

# deadlines and validity lie ahead by nature; every other datetime column records when
# something happened
AHEAD = {"due_at", "respond_by", "valid_until", "expires_at"}
STAGES = {s.value for s in CaseState}


def _violations(session: Session, real_now: datetime, case_ids: list[int] | None = None) -> list:
    bad: list[tuple] = []

    def within(model: type[SQLModel]) -> list:
        query = select(model)
        if case_ids is not None and hasattr(model, "case_id"):
            query = query.where(col(model.case_id).in_(case_ids))  # type: ignore[attr-defined]
        return list(session.scalars(query))

    # nothing after the run's real now
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime) and column.name not in AHEAD:
                latest = session.execute(
                    select(column).order_by(column.desc()).limit(1)
                ).scalar_one_or_none()
                if latest is not None and latest > real_now:
                    bad.append(("after the real now", table.name, column.name, latest, real_now))

    decisions = {d.id: d for d in within(Decision)}
    decided = {(d.case_id, d.round): d.decided_at for d in decisions.values()}
    for c in within(Consolidation):
        when = decided.get((c.case_id, c.round))
        if when is not None and c.created_at > when:
            bad.append(("consolidation after its decision", c.case_id, c.created_at, when))
    generated: dict[str, datetime] = {}
    for r in within(Report):
        d = decisions[r.decision_id]
        if r.requested_at < d.decided_at:
            bad.append(("report requested before its decision", r.report_id, r.requested_at))
        if r.generated_at is not None:
            generated[r.report_id] = r.generated_at
            if r.generated_at < r.requested_at:
                bad.append(("report generated before requested", r.report_id, r.generated_at))
    for n in within(Notification):
        if n.sent_at is not None and n.sent_at < n.created_at:
            bad.append(("notification sent before created", n.id, n.sent_at, n.created_at))

    trails: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "case").order_by(col(AuditEvent.seq))
    ):
        if case_ids is None or int(e.subject_id) in case_ids:
            trails[e.subject_id].append(e)
    for subject, trail in trails.items():
        for before, after in zip(trail, trail[1:], strict=False):
            if after.at < before.at:
                bad.append(("audit trail out of order", subject, before.action, after.action))
        for k, e in enumerate(trail):  # the history a report shows: the trail up to its generation
            report_id = e.payload.get("report_id") if e.action == "report.generated" else None
            if report_id in generated:
                last = max(x.at for x in trail[: k + 1])
                if last > generated[report_id]:
                    bad.append(("report history after its generation", report_id, last))
    return bad


def test_a_simulated_call_keeps_one_clock(session):
    """A demo-like call: staff, cases opened and screened, routed round after round by the
    behaviour with the sweep, reports generated and messages delivered, on a simulated clock
    that starts in the past."""
    set_clock(clock.wall_now() - timedelta(days=120))
    try:
        alliance = SyntheticAlliance(seed=2026)
        clock.set_pace(alliance.pace())  # the engine's own steps take minutes to hours
        staff = alliance.staff(session, reviewers_per_institution=2)
        case_ids = alliance.open_cases(session, alliance.credentials(session, 6), staff=staff)

        def advance(ids):
            for cid in ids:
                drive(session, cid)
            for nid in notifications.pending_ids(session=session, case_ids=list(ids)):
                notifications.deliver(session=session, notification_id=nid, send=lambda _n: None)

        def sweep():
            advance(sorted(sweep_service.sweep(session=session).to_advance))

        advance(case_ids)
        behaviour = alliance.behaviour(staff, manage_clock=True)
        behaviour.run(case_ids, uow=lambda: nullcontext(session), advance=advance, sweep=sweep)
    finally:
        set_clock(None)
    real_now = clock.wall_now()
    assert session.scalars(select(Report).where(col(Report.generated_at).is_not(None))).first()
    assert session.scalars(select(Notification).where(col(Notification.sent_at).is_not(None)))
    assert session.scalars(select(Consolidation)).first()
    assert _violations(session, real_now, case_ids) == []
    chain = list(session.scalars(select(AuditEvent.at).order_by(col(AuditEvent.seq))))
    assert chain == sorted(chain), "the call's audit chain, set-up included, is in time order"
    assert not clock.paced(), "back on the wall clock, the pace is gone too"
    # the engine's automated stages and the officer's confirmation took realistic time: minutes
    # to hours, never nothing (the leadership report's stage times read them)
    stays: dict[str, list[timedelta]] = defaultdict(list)
    for cid in case_ids:
        trail = [
            e
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_type == "case", AuditEvent.subject_id == str(cid))
                .order_by(col(AuditEvent.seq))
            )
            if e.action == "case.opened" or e.action.removeprefix("case.") in STAGES
        ]
        for a, b in zip(trail, trail[1:], strict=False):
            stays["submitted" if a.action == "case.opened" else a.action[5:]].append(b.at - a.at)
    for stage in ("submitted", "screening", "assignment", "consolidation", "reporting"):
        assert stays[stage], stage
        assert all(timedelta(0) < d < timedelta(days=1) for d in stays[stage]), stage


def test_a_generated_history_keeps_one_clock(engine_env):
    from qa_engine.store.db import get_engine
    from qa_engine.synthetic.history import generate

    engine = get_engine()
    result = generate(engine, 200, seed=11, span_days=200)
    assert result.counts["decision"] >= 200
    real_now = clock.wall_now()
    with Session(engine) as s:
        assert _violations(s, real_now) == []


def test_the_clock_never_runs_ahead_of_the_real_now():
    try:
        start = clock.wall_now() - timedelta(days=3)
        set_clock(start)
        assert clock.advance_to(start + timedelta(days=1)) == start + timedelta(days=1)
        assert clock.advance_to(start) == start + timedelta(days=1)  # never backwards
        moved = clock.advance_to(start + timedelta(days=30))
        assert moved <= clock.wall_now()
    finally:
        set_clock(None)


def test_dev_generate_simulate_keeps_one_clock(fresh_env):
    """`qa-engine dev generate --simulate`: people, credentials and cases on the simulated clock."""
    from typer.testing import CliRunner

    from qa_engine.cli.main import app
    from qa_engine.store.db import session_scope

    args = ["dev", "generate", "--credentials", "2", "--reviewers-per-institution", "1"]
    result = CliRunner().invoke(app, [*args, "--simulate", "--late-rate", "0"])
    assert result.exit_code == 0, result.output
    assert not clock.simulated()
    with session_scope() as s:
        assert _violations(s, clock.wall_now()) == []
        chain = list(s.scalars(select(AuditEvent.at).order_by(col(AuditEvent.seq))))
        assert chain == sorted(chain)
