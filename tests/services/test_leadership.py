"""Leadership aggregate reports: the figures on a hand-computed data set (SQLite and PostgreSQL),
filters, an empty period, the agreement statistic, the three outputs agreeing, the signed PDF,
formula injection, who may read what, the CLI, the flow's tasks and the benchmark generator.

The data set (period 2025-01-01 to 2025-03-31, "now" 2025-04-15):

case  inst  field EQF ECTS  history (UTC) → decision
A     CUNI  0411  7   4     open Jan 5; SA 10 d; assignment 2 d; peer review 20 d;
                            approval 4 d; closed Feb 10 → approved, Feb 10
B     UW    0613  6   2.5   open Jan 10; returned (EU-A1.7, EU-A1.8) 2 d; SA 10 d;
                            assignment 3 d; peer review 26 d; approval 10 d
                            → revision requested, Mar 2; round 2: SA 10 d, assignment 2 d,
                            in peer review (R1 overdue)
C     CUNI  0421  6   6     open Feb 1; SA 10 d; assignment 2 d; peer review 20 d;
                            approval 15 d; closed Mar 20 → approved with conditions, Mar 20
D     UHEI  0413  7   5     open Feb 15; SA 10 d; assignment 2 d; peer review 21 d;
                            approval 5 d; closed Mar 25 → rejected, Mar 25
E     CUNI  0411  7   4     everything in 2024 (outside the period) → approved, Dec 2024
G     UNIMI 0611  6   3     open Mar 10; returned (ects, title) and still returned
F     UW    0611  6   3     opened Apr 5 (after the period)

Automated stays (submitted, screening, consolidation, reporting) last one hour each.
"""

from __future__ import annotations

import functools
import hashlib
import html.parser
import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import krippendorff
import numpy as np
import pytest
from sqlalchemy import select
from sqlmodel import Session

from qa_engine.adapters import charts
from qa_engine.adapters.aggregate_html import render_html
from qa_engine.adapters.aggregate_pdf import render_pdf, signed_pdf
from qa_engine.adapters.aggregate_xlsx import build_workbook, workbook_bytes
from qa_engine.config import get_settings
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.credential import parse_credential
from qa_engine.domain.errors import Forbidden, ValidationFailed
from qa_engine.domain.leadership import ReportFilters, ReportPeriod
from qa_engine.domain.roles import SYSTEM, Actor, Role
from qa_engine.domain.statuses import AssignmentStatus, ReviewStatus, SelfAssessmentStatus
from qa_engine.services import rubrics as rubric_service
from qa_engine.services.institutions import seed_institutions
from qa_engine.services.leadership import alpha_from_patterns, leadership_figures
from qa_engine.store import audit_repo
from qa_engine.store import repositories as repo
from qa_engine.store.models import (
    Assignment,
    Case,
    Consolidation,
    Credential,
    CredentialVersion,
    Decision,
    Review,
    SelfAssessment,
    User,
    UserRole,
)
from tests.adapters.test_workbook_print import check_charts_fit, check_print_setup
from tests.helpers import SAMPLES

PERIOD = ReportPeriod(date(2025, 1, 1), date(2025, 3, 31))
NOW = datetime(2025, 4, 15, tzinfo=UTC)
HOUR = 1 / 24
INJECTION = '=HYPERLINK("http://example.com","click")'
CHANGE_LOG = "Publish the change log of the yearly review"
LEADER = Actor(user_id=901, username="lea", roles=frozenset({Role.LEADERSHIP}))
OFFICER = Actor(user_id=902, username="olga", roles=frozenset({Role.QA_OFFICER}))


def t(month: int, day: int, hour: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# --------------------------------------------------------------------------- the data set


@functools.cache
def _rubric():
    return rubric_service.load("4eu-mici")


class Builder:
    def __init__(self, session: Session) -> None:
        self.s = session
        seed_institutions(session=session)
        self.inst = {i.code: i for i in repo.list_institutions(session)}
        self.snap = rubric_service.snapshot(session=session, rubric=_rubric())
        self.reviewers = {}
        for code, inst in (("R1", "CUNI"), ("R2", "UW"), ("R3", "UHEI")):
            u = User(
                username=f"lead.{code.lower()}",
                full_name=f"Reviewer {code} Name",
                email=f"{code}@x.eu",
                institution_id=self.inst[inst].id,
                max_open_reviews=4,
            )
            session.add(u)
            session.flush()
            session.add(UserRole(user_id=u.id, role="reviewer"))
            self.reviewers[code] = u.id
        session.flush()

    def event(self, case_id: int, action: str, at: datetime, payload: dict | None = None) -> None:
        audit_repo.append(
            self.s,
            actor="test",
            action=action,
            subject_type="case",
            subject_id=case_id,
            payload=payload,
            at=at,
        )

    def case(
        self,
        code: str,
        ref: str,
        *,
        isced: str,
        eqf: int,
        ects: str,
        digcomp=(),
        greencomp=(),
        esco=0,
        history: list[tuple[str, datetime, dict]],
        state: str,
        closed: datetime | None = None,
    ) -> Case:
        data = parse_credential(
            {
                **SAMPLES[0],
                "reference": ref,
                "provider": code,
                "isced_f": isced,
                "eqf_level": eqf,
                "ects": ects,
                "workload_hours": None,
                "digcomp": list(digcomp),
                "greencomp": list(greencomp),
                "esco_skills": SAMPLES[0]["esco_skills"][:esco],
            }
        ).canonical()
        cred = Credential(institution_id=self.inst[code].id, reference=ref, title=ref)
        self.s.add(cred)
        self.s.flush()
        cv = CredentialVersion(
            credential_id=cred.id, number=1, data=data, content_hash=ref.ljust(64, "0")[:64]
        )
        self.s.add(cv)
        self.s.flush()
        opened = history[0][1]
        case = Case(
            credential_id=cred.id,
            credential_version_id=cv.id,
            rubric_snapshot_id=self.snap.id,
            institution_id=self.inst[code].id,
            state=state,
            opened_at=opened,
            state_since=history[-1][1],
            closed_at=closed,
        )
        self.s.add(case)
        self.s.flush()
        for action, at, payload in history:
            self.event(case.id, action, at, payload)
        return case

    def review_round(
        self,
        case: Case,
        rnd: int,
        reviews: list[tuple[str, datetime, datetime, dict]],
        self_scores: dict,
    ):
        """reviews: (reviewer, accepted at, submitted at, scores); due 21 days after acceptance."""
        for who, accepted, submitted, scores in reviews:
            a = Assignment(
                case_id=case.id,
                round=rnd,
                reviewer_id=self.reviewers[who],
                status=AssignmentStatus.SUBMITTED,
                invited_at=accepted,
                responded_at=accepted,
                due_at=accepted + timedelta(days=21),
            )
            self.s.add(a)
            self.s.flush()
            self.s.add(
                Review(
                    assignment_id=a.id,
                    case_id=case.id,
                    round=rnd,
                    reviewer_id=a.reviewer_id,
                    scores=scores,
                    status=ReviewStatus.SUBMITTED,
                    rubric_hash="x",
                    submitted_at=submitted,
                    updated_at=submitted,
                )
            )
        self.s.add(
            SelfAssessment(
                case_id=case.id,
                round=rnd,
                status=SelfAssessmentStatus.SUBMITTED,
                entries={
                    c: {"score": v, "narrative": "n", "evidence": []}
                    for c, v in self_scores.items()
                },
            )
        )
        self.s.flush()

    def consolidation(
        self, case: Case, rnd: int, pass_no: int, refs: dict, gates: list[str]
    ) -> None:
        self.s.add(
            Consolidation(
                case_id=case.id,
                round=rnd,
                pass_no=pass_no,
                data={
                    "by_reference": {k: {"score": v, "criteria": []} for k, v in refs.items()},
                    "gates_failed": gates,
                },
            )
        )
        self.s.flush()

    def decision(self, case: Case, rnd: int, outcome: str, at: datetime, conditions=()) -> None:
        self.s.add(
            Decision(
                case_id=case.id,
                round=rnd,
                outcome=outcome,
                rationale="rationale text",
                conditions=list(conditions),
                decided_at=at,
            )
        )
        self.s.flush()


def _history(
    start: datetime, stages: list[tuple[str, float]], payloads: dict | None = None
) -> list:
    """[(state entered, days in it)] from `start`; the first entry is the opening (submitted)."""
    out, at = [], start
    for i, (state, days) in enumerate(stages):
        action = "case.opened" if i == 0 else f"case.{state}"
        out.append((action, at, (payloads or {}).get(state, {})))
        at = at + timedelta(days=days)
    return out


def std(
    start: datetime, sa: float, assign: float, peer: float, approval: float
) -> list[tuple[str, float]]:
    return [
        ("submitted", HOUR),
        ("screening", HOUR),
        ("self_assessment", sa),
        ("assignment", assign),
        ("peer_review", peer),
        ("consolidation", HOUR),
        ("approval", approval),
        ("reporting", HOUR),
        ("closed", 0),
    ]


@pytest.fixture
def data(session) -> Builder:
    b = Builder(session)
    # A: CUNI, approved Feb 10
    a = b.case(
        "CUNI",
        "A-1",
        isced="0411",
        eqf=7,
        ects="4",
        digcomp=["DigComp-1.3", "DigComp-4.4"],
        greencomp=["GreenComp-2.1"],
        esco=2,
        state="closed",
        closed=t(2, 10, 4),
        history=_history(t(1, 5), std(t(1, 5), 10, 2, 20, 4)),
    )
    b.review_round(
        a,
        1,
        [
            ("R2", t(1, 17, 2), t(2, 5), {"esg-1.1": 3, "eu-p7": 1}),
            ("R3", t(1, 17, 2), t(2, 6, 2), {"esg-1.1": 3, "eu-p7": 3}),
        ],
        {"esg-1.1": 4, "eu-p7": 3},
    )
    b.consolidation(a, 1, 1, {"ESG-1.1": 0.75, "EU-P7": 0.5}, [])
    b.decision(a, 1, "approved", t(2, 10, 3))
    # B: UW, returned first, revision requested Mar 2, round 2 in peer review
    problems = [
        "eu-elements: 9 of 11 standard elements present, 11 required; missing: EU-A1.7 Notional "
        "workload (ECTS), EU-A1.8 Level of the learning experience (EQF)"
    ]
    stages = [
        ("submitted", HOUR),
        ("screening", HOUR),
        ("returned", 2),
        ("submitted", HOUR),
        ("screening", HOUR),
        ("self_assessment", 10),
        ("assignment", 3),
        ("peer_review", 26),
        ("consolidation", HOUR),
        ("approval", 10),
        ("reporting", HOUR),
        ("self_assessment", 10),
        ("assignment", 2),
        ("peer_review", 0),
    ]
    bh = _history(t(1, 10), stages, {"returned": {"problems": problems}})
    bcase = b.case(
        "UW",
        "B-1",
        isced="0613",
        eqf=6,
        ects="2.5",
        digcomp=["DigComp-3.4"],
        state="peer_review",
        history=bh,
    )
    bcase.round = 2
    b.review_round(
        bcase,
        1,
        [
            ("R1", t(1, 25, 4), t(2, 10), {"esg-1.1": 3, "eu-p7": 2}),
            ("R3", t(1, 25, 4), t(2, 20, 4), {"esg-1.1": 4, "eu-p7": 2}),
        ],
        {"esg-1.1": 3, "eu-p7": 2},
    )
    b.consolidation(
        bcase, 1, 1, {"ESG-1.1": 0.1, "EU-P7": 0.9}, ["eu-p4", "esg-1.3"]
    )  # superseded by pass 2
    b.consolidation(bcase, 1, 2, {"ESG-1.1": 0.5, "EU-P7": 0.5}, ["esg-1.2"])
    b.decision(bcase, 1, "revision_requested", t(3, 2, 5), [CHANGE_LOG, INJECTION])
    for who, due in (("R1", t(3, 25)), ("R3", t(4, 4, 6))):  # round 2: accepted, not submitted
        b.s.add(
            Assignment(
                case_id=bcase.id,
                round=2,
                reviewer_id=b.reviewers[who],
                status=AssignmentStatus.ACCEPTED,
                invited_at=t(3, 14, 6),
                responded_at=t(3, 14, 6),
                due_at=due,
            )
        )
    # C: CUNI, approved with conditions Mar 20
    c = b.case(
        "CUNI",
        "C-1",
        isced="0421",
        eqf=6,
        ects="6",
        greencomp=["GreenComp-4.2", "GreenComp-2.1"],
        esco=1,
        state="closed",
        closed=t(3, 20, 4),
        history=_history(t(2, 1), std(t(2, 1), 10, 2, 20, 15)),
    )
    b.review_round(
        c,
        1,
        [
            ("R2", t(2, 13, 2), t(3, 1), {"esg-1.1": 4, "eu-p7": 3}),
            ("R3", t(2, 13, 2), t(3, 5), {"esg-1.1": 4, "eu-p7": 1}),
        ],
        {"esg-1.1": 4, "eu-p7": 2},
    )
    b.consolidation(c, 1, 1, {"ESG-1.1": 1.0, "EU-P7": 0.25}, [])
    b.decision(c, 1, "approved_with_conditions", t(3, 20, 3), [CHANGE_LOG])
    # D: UHEI, rejected Mar 25
    d = b.case(
        "UHEI",
        "D-1",
        isced="0413",
        eqf=7,
        ects="5",
        digcomp=["DigComp-5.1"],
        state="closed",
        closed=t(3, 25, 4),
        history=_history(t(2, 15), std(t(2, 15), 10, 2, 21, 5)),
    )
    b.review_round(
        d,
        1,
        [
            ("R1", t(2, 27, 2), t(3, 15), {"esg-1.1": 3, "eu-p7": 2}),
            ("R2", t(2, 27, 2), t(3, 20), {"esg-1.1": 3, "eu-p7": 2}),
        ],
        {"esg-1.1": 3, "eu-p7": 4},
    )
    b.consolidation(d, 1, 1, {"ESG-1.1": 0.25, "EU-P7": 0.0}, ["esg-1.2", "eu-p4"])
    b.decision(d, 1, "rejected", t(3, 25, 3))
    # E: CUNI, all of it in 2024
    e = b.case(
        "CUNI",
        "E-1",
        isced="0411",
        eqf=7,
        ects="4",
        digcomp=["DigComp-2.1"],
        state="closed",
        closed=t(12, 10, 4, 2024),
        history=_history(t(11, 1, 0, 2024), std(t(11, 1, 0, 2024), 10, 2, 20, 5)),
    )
    b.review_round(
        e,
        1,
        [
            ("R1", t(11, 13, 2, 2024), t(11, 20, 0, 2024), {"esg-1.1": 0, "eu-p7": 0}),
            ("R3", t(11, 13, 2, 2024), t(11, 21, 0, 2024), {"esg-1.1": 4, "eu-p7": 4}),
        ],
        {"esg-1.1": 4},
    )
    b.consolidation(e, 1, 1, {"ESG-1.1": 0.0}, ["esg-1.2"])
    b.decision(e, 1, "approved", t(12, 10, 3, 2024), ["Old condition"])
    # G: UNIMI, returned in March and still returned
    b.case(
        "UNIMI",
        "G-1",
        isced="0611",
        eqf=6,
        ects="3",
        state="returned",
        history=_history(
            t(3, 10),
            [("submitted", HOUR), ("screening", HOUR), ("returned", 0)],
            {"returned": {"problems": ["ects: required", "title: required"]}},
        ),
    )
    # F: UW, opened after the period
    b.case(
        "UW",
        "F-1",
        isced="0611",
        eqf=6,
        ects="3",
        state="submitted",
        history=_history(t(4, 5), [("submitted", 0)]),
    )
    b.s.flush()
    return b


def figures(session, **kw):
    kw.setdefault("actor", SYSTEM)
    return leadership_figures(session=session, period=PERIOD, now=NOW, **kw)


def approx(x):
    return pytest.approx(x, abs=1e-6)


# Rendering does not depend on the database: those tests run on SQLite only.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


# --------------------------------------------------------------------------- every section, by hand


def test_every_section_by_hand(session, data):
    officer_view = figures(session, reviewer_names=True)
    check_pipeline(officer_view, data)
    leadership_view = figures(session)
    check_outcomes(leadership_view, data)
    check_standards(leadership_view, data)
    check_digital_and_green(leadership_view, data)
    check_reviewing(leadership_view, data)


def check_pipeline(f, data):
    p = f.pipeline
    states = {c.key: c.count for c in p.cases_by_state}
    assert states == {
        **dict.fromkeys(states, 0),
        "closed": 3,
        "peer_review": 1,
        "returned": 1,
    }  # A C D · B · G
    assert (p.in_pipeline, p.open_cases, p.closed) == (5, 2, 3)
    assert [(c.key, c.count) for c in p.closed_per_month] == [
        ("2025-01", 0),
        ("2025-02", 1),
        ("2025-03", 2),
    ]
    times = {s.stage: s for s in p.stage_times}
    assert list(times) == [
        "submitted",
        "screening",
        "returned",
        "self_assessment",
        "assignment",
        "peer_review",
        "consolidation",
        "approval",
        "reporting",
    ]
    # peer review stays 20 (A), 26 (B), 20 (C), 21 (D): sorted 20 20 21 26
    # median at position 1.5 → 20.5; 90th percentile at 2.7 → 21 + 0.7 × 5 = 24.5
    assert (
        times["peer_review"].intervals,
        times["peer_review"].median_days,
        times["peer_review"].p90_days,
    ) == (4, approx(20.5), approx(24.5))
    assert times["peer_review"].mean_days == approx(21.75)
    # approval 4, 10, 15, 5: sorted 4 5 10 15 → median 7.5, p90 10 + 0.7 × 5 = 13.5
    assert (times["approval"].median_days, times["approval"].p90_days) == (
        approx(7.5),
        approx(13.5),
    )
    # assignment 2 (A), 3 (B), 2 (B round 2), 2 (C), 2 (D): median 2, p90 at 3.6 → 2 + 0.6 × 1 = 2.6
    assert (
        times["assignment"].intervals,
        times["assignment"].median_days,
        times["assignment"].p90_days,
    ) == (5, approx(2), approx(2.6))
    assert (times["returned"].intervals, times["returned"].median_days) == (
        1,
        approx(2),
    )  # G has not left it
    assert (times["self_assessment"].intervals, times["self_assessment"].p90_days) == (
        5,
        approx(10),
    )
    assert (times["submitted"].intervals, times["screening"].intervals) == (
        6,
        6,
    )  # B twice, G once, A C D
    assert times["submitted"].median_days == approx(HOUR)
    assert (times["consolidation"].intervals, times["reporting"].intervals) == (4, 4)
    # reviews submitted Jan–Mar: A 2, B 2, C 2, D 2; B's R3 came 5 days after its due date
    assert (p.reviews_submitted, p.reviews_late, p.late_share) == (8, 1, 0.125)
    # open, due in the period, past due on Apr 15: B round 2 R1 (due Mar 25); R3 is due Apr 4
    assert p.overdue_reviews == 1
    assert [
        (r.name, r.institution, r.overdue, r.max_days_overdue) for r in p.overdue_by_reviewer
    ] == [("Reviewer R1 Name (lead.r1)", "CUNI", 1, approx(21.0))]


def check_outcomes(f, data):
    o = f.outcomes
    assert o.decisions == 4
    assert o.totals == {
        "approved": 1,
        "approved_with_conditions": 1,
        "revision_requested": 1,
        "rejected": 1,
    }
    by_inst = {r.key: r.counts for r in o.by_institution}
    assert len(by_inst) == 8
    assert by_inst["CUNI"] == {
        "approved": 1,
        "approved_with_conditions": 1,
        "revision_requested": 0,
        "rejected": 0,
    }
    assert by_inst["UW"]["revision_requested"] == 1 and by_inst["UHEI"]["rejected"] == 1
    assert sum(r.total for r in o.by_institution) == 4
    by_month = {r.key: r.counts for r in o.by_month}
    assert list(by_month) == ["2025-01", "2025-02", "2025-03"]
    assert sum(by_month["2025-01"].values()) == 0
    assert by_month["2025-02"] == {
        "approved": 1,
        "approved_with_conditions": 0,
        "revision_requested": 0,
        "rejected": 0,
    }
    assert by_month["2025-03"] == {
        "approved": 0,
        "approved_with_conditions": 1,
        "revision_requested": 1,
        "rejected": 1,
    }
    assert [(c.label, c.count) for c in o.top_conditions] == [(CHANGE_LOG, 2), (INJECTION, 1)]


def check_standards(f, data):
    s = f.standards
    rows = {r.reference: r for r in s.heatmap}
    assert len(rows) == 20 and s.institutions == sorted(data.inst)
    # final passes only: A 0.75, B 0.5 (pass 2, not 0.1), C 1.0, D 0.25
    esg = rows["ESG-1.1"]
    assert (esg.by_institution["CUNI"], esg.by_institution["UW"], esg.by_institution["UHEI"]) == (
        approx(0.875),
        approx(0.5),
        approx(0.25),
    )
    assert (
        esg.by_institution["SU"] is None
        and esg.overall == approx(0.625)
        and esg.consolidations == 4
    )
    p7 = rows["EU-P7"]
    assert (
        p7.by_institution["CUNI"],
        p7.by_institution["UW"],
        p7.by_institution["UHEI"],
        p7.overall,
    ) == (approx(0.375), approx(0.5), approx(0.0), approx(0.3125))
    assert rows["ESG-1.2"].overall is None
    assert s.consolidations == 4
    assert [(g.key, g.count, g.share) for g in s.below_gate] == [
        ("esg-1.2", 2, 0.5),
        ("eu-p4", 1, 0.25),
    ]
    assert s.below_gate[0].label == "Design and approval of programmes"
    # returned screenings: B (EU-A1.7, EU-A1.8 by id) and G ("ects: …", "title: …" by field)
    assert s.returned_screenings == 2
    assert [(m.key, m.count, m.share) for m in s.missing_elements] == [
        ("EU-A1.7", 2, 1.0),
        ("EU-A1.2", 1, 0.5),
        ("EU-A1.8", 1, 0.5),
    ]


def check_digital_and_green(f, data):
    d = f.digital_green
    # approved in the period: A (DigComp 1.3, 4.4; GreenComp 2.1; 2 ESCO) and C (GreenComp 4.2, 2.1;
    # 1 ESCO)
    assert d.approved == 2
    assert (d.digcomp.count, d.digcomp.share, d.greencomp.share, d.esco.share) == (1, 0.5, 1.0, 1.0)
    areas = {a.key: a.count for a in d.digcomp_areas}
    assert areas == {"DigComp-1": 1, "DigComp-2": 0, "DigComp-3": 0, "DigComp-4": 1, "DigComp-5": 0}
    comps = {c.key: c.count for c in d.digcomp_competences if c.count}
    assert comps == {"DigComp-1.3": 1, "DigComp-4.4": 1}
    assert {a.key: a.count for a in d.greencomp_areas} == {
        "GreenComp-1": 0,
        "GreenComp-2": 2,
        "GreenComp-3": 0,
        "GreenComp-4": 1,
    }
    assert {c.key: c.count for c in d.greencomp_competences if c.count} == {
        "GreenComp-2.1": 2,
        "GreenComp-4.2": 1,
    }
    gaps = {g.key for g in d.gaps}
    assert (
        len(gaps) == 3 + 19 + 2 + 10 and "DigComp-3" in gaps and "DigComp-3.4" in gaps
    )  # B is not approved
    assert "GreenComp-2.1" not in gaps and "DigComp-4" not in gaps
    # the rubric in use (4eu-mici, through digital-green-skills) names DigComp 4.4 alone and the
    # other areas only as a whole
    assert [
        (c.rubric, c.framework, c.addressed, c.total, c.areas, c.area_total)
        for c in d.rubric_competences
    ] == [
        ("4eu-mici 1.1.0", "DigComp 2.2", 1, 21, 5, 5),
        ("4eu-mici 1.1.0", "GreenComp", 0, 12, 4, 4),
    ]
    assert {c.label: c.count for c in d.eqf if c.count} == {"EQF 6": 1, "EQF 7": 1}
    assert {c.label: c.count for c in d.ects if c.count} == {"4 to under 6": 1, "6 to under 10": 1}


def check_reviewing(f, data):
    r = f.reviewing
    # completed Jan–Mar: R3 3 (A, B, C), R2 3 (A, C, D), R1 2 (B, D); open: R1 and R3 on B round 2;
    # anonymised, each with the institution they belong to (no column left empty)
    assert [(x.label, x.institution, x.open, x.completed) for x in r.reviewers] == [
        ("Reviewer 01", "UHEI", 1, 3),
        ("Reviewer 02", "UW", 0, 3),
        ("Reviewer 03", "CUNI", 1, 2),
    ]
    assert not r.named
    agreement = {a.criterion: a for a in r.agreement}
    # esg-1.1: (3,3) (3,4) (4,4) (3,3): coincidences o33=4, o34=o43=1, o44=2; n3=5, n4=3, n=8;
    # δ²(3,4) = (8 − 4)² = 16; α = 1 − 7 · 32 / (2 · 5 · 3 · 16) = 1 − 224/480 = 8/15
    assert agreement["esg-1.1"].alpha == approx(8 / 15) and agreement["esg-1.1"].units == 4
    # eu-p7: (1,3) (2,2) (3,1) (2,2): o13=o31=2, o22=4; n1=2, n2=4, n3=2; δ²(1,3)=36,
    # δ²(1,2)=δ²(2,3)=9; α = 1 − 7 · 144 / (2 · (2·4·9 + 2·2·36 + 4·2·9)) = 1 − 1008/576 = −0.75
    assert agreement["eu-p7"].alpha == approx(-0.75)
    # the same labels as for a case: a negative alpha is systematic disagreement, not "low"
    assert agreement["eu-p7"].label == "systematic disagreement (below chance)"
    assert agreement["esg-1.1"].label == "low"
    # the headline: the median of the criteria's alphas, (8/15 − 0.75) / 2
    assert r.median_alpha == approx((8 / 15 - 0.75) / 2)
    assert [a.criterion for a in r.lowest_agreement] == ["eu-p7", "esg-1.1"]
    gaps = {g.criterion: g for g in r.gaps}
    # esg-1.1 self 4, 3, 4, 3 vs peer means 3, 3.5, 4, 3 → gap 0.125; eu-p7 self 3, 2, 2, 4 vs 2, 2,
    # 2, 2 → 0.75
    assert (gaps["esg-1.1"].self_mean, gaps["esg-1.1"].peer_mean, gaps["esg-1.1"].gap) == (
        approx(3.5),
        approx(3.375),
        approx(0.125),
    )
    assert (gaps["eu-p7"].units, gaps["eu-p7"].gap) == (4, approx(0.75))


def test_one_institution_and_other_filters(session, data):
    check_other_filters(session)
    f = figures(session, filters=ReportFilters(institution="cuni"))
    assert list(f.institutions) == ["CUNI"] and f.standards.institutions == ["CUNI"]
    assert (f.pipeline.in_pipeline, f.pipeline.closed, f.pipeline.overdue_reviews) == (2, 2, 0)
    assert f.outcomes.totals == {
        "approved": 1,
        "approved_with_conditions": 1,
        "revision_requested": 0,
        "rejected": 0,
    }
    assert [r.key for r in f.outcomes.by_institution] == ["CUNI"]
    assert f.standards.heatmap[0].by_institution == {"CUNI": approx(0.875)}
    assert f.standards.returned_screenings == 0 and f.standards.missing_elements == []
    assert [(x.open, x.completed) for x in f.reviewing.reviewers] == [
        (0, 2),
        (0, 2),
    ]  # R2 and R3, on A and C
    agreement = {a.criterion: a.alpha for a in f.reviewing.agreement}
    # esg-1.1 (3,3) (4,4): perfect; eu-p7 (1,3) (3,1): o13=o31=2, δ²(1,3)=(4−2)²=4 → α = 1 − 3·16/32
    # = −0.5
    assert agreement == {"esg-1.1": approx(1.0), "eu-p7": approx(-0.5)}
    assert {s.stage: s.intervals for s in f.pipeline.stage_times}["peer_review"] == 2


def check_other_filters(session):
    assert (
        figures(session, filters=ReportFilters(field="04")).outcomes.decisions == 3
    )  # A 0411, C 0421, D 0413
    assert (
        figures(session, filters=ReportFilters(field="0613")).outcomes.totals["revision_requested"]
        == 1
    )
    eqf6 = figures(session, filters=ReportFilters(eqf=6))
    assert eqf6.outcomes.decisions == 2 and eqf6.pipeline.in_pipeline == 3  # B, C, G
    assert figures(session, filters=ReportFilters(rubric="4eu-mici")).outcomes.decisions == 4
    for bad in (
        ReportFilters(rubric="nope"),
        ReportFilters(institution="XX"),
        ReportFilters(eqf=9),
        ReportFilters(field="abc"),
    ):
        with pytest.raises(ValidationFailed):
            figures(session, filters=bad)
    with pytest.raises(ValidationFailed):
        ReportPeriod(date(2025, 2, 1), date(2025, 1, 1))


def test_empty_period_renders(session, data):
    f = leadership_figures(
        session=session,
        actor=SYSTEM,
        period=ReportPeriod(date(2020, 1, 1), date(2020, 1, 31)),
        now=NOW,
    )
    assert (
        f.pipeline.in_pipeline == 0
        and f.pipeline.stage_times == []
        and f.pipeline.overdue_reviews == 0
    )
    assert [c.count for c in f.pipeline.closed_per_month] == [0]
    assert (
        f.outcomes.decisions == 0
        and f.outcomes.top_conditions == []
        and f.outcomes.share("approved") is None
    )
    assert f.standards.consolidations == 0 and all(r.overall is None for r in f.standards.heatmap)
    assert f.digital_green.approved == 0 and f.digital_green.digcomp.share is None
    assert len(f.digital_green.gaps) == 5 + 21 + 4 + 12
    assert (
        f.reviewing.reviewers == []
        and f.reviewing.agreement == []
        and f.reviewing.median_alpha is None
    )
    page = render_html(f)
    assert "No data for this period" in page
    assert render_pdf(f, reports_dir=get_settings().reports_dir).startswith(b"%PDF-")
    assert workbook_bytes(f)[:2] == b"PK"


# ------------------------------------------------------------------------ agreement: worked example


def test_agreement_worked_example():
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers × 12 units,
    values 1–5 with missing data; ordinal alpha .815 (nominal .743, interval .849)."""
    nan = np.nan
    data = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    domain = [1, 2, 3, 4, 5]
    patterns: dict[tuple[int, ...], int] = {}
    for unit in data.T:  # what the SQL hands over: per unit, how many observers gave each value
        key = tuple(int(np.sum(unit == v)) for v in domain)
        patterns[key] = patterns.get(key, 0) + 1
    alpha = alpha_from_patterns(list(patterns.items()), domain)
    assert round(alpha, 3) == 0.815
    assert alpha == approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
    )
    assert alpha_from_patterns([((2, 0, 0, 0, 0), 5)], domain) is None  # no variation: undefined
    assert alpha_from_patterns([((1, 0, 0, 0, 0), 5)], domain) is None  # nothing pairable


# --------------------------------------------------------------------------- outputs


class _Tables(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, text):
        if self._cell is not None:
            self._cell += text

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@sqlite_only
def test_the_workbook_of_a_realistic_period_prints_one_page_wide(session, data):
    wb = build_workbook(figures(session, reviewer_names=True))
    check_print_setup(wb)
    assert check_charts_fit(wb) >= 5


def test_the_three_outputs_agree(session, data):
    from pypdf import PdfReader

    f = figures(session, reviewer_names=True)
    sections = charts.report_sections(f)
    tables = [b.table for s in sections for b in s.blocks]
    parser = _Tables()
    parser.feed(render_html(f))
    reader = PdfReader(BytesIO(render_pdf(f, reports_dir=get_settings().reports_dir)))
    pdf_text = _squash(" ".join(page.extract_text() for page in reader.pages))
    wb = build_workbook(f)
    xl = {name: (ws, ref) for ws in wb.worksheets for name, ref in ws.tables.items()}
    checked = 0
    for spec in tables:
        shown = spec.formatted()
        html_rows = parser.tables[spec.id][1:]
        if not spec.rows:
            assert "No data for this period." in html_rows[0][0]
            continue
        assert html_rows == shown, spec.id
        ws, ref = xl[f"T_{spec.id}"]
        cells = [[c.value for c in row] for row in ws[ref]]
        assert tuple(cells[0]) == spec.headers
        for i, (row, raw) in enumerate(zip(cells[1:], spec.rows, strict=True)):
            for j, (got, want) in enumerate(zip(row, raw, strict=True)):
                if isinstance(want, int | float) and not isinstance(want, bool):
                    assert got == approx(want), (spec.id, i, j)
                    assert charts.fmt(got, spec.cell_format(i, j)) == shown[i][j]
                elif want is None:
                    assert got in (None, ""), (spec.id, i, j)  # an empty cell, never a made-up zero
                else:
                    assert got == str(want), (spec.id, i, j)
        for row in shown:
            assert _squash(" ".join(row)) in pdf_text, (spec.id, row)
            checked += 1
    assert checked > 150
    # the competences the rubric in use reviews, one line per framework
    assert parser.tables["rubric_competences"][1:] == [
        ["4eu-mici 1.1.0", "DigComp 2.2", "1 of 21", "5 of 5"],
        ["4eu-mici 1.1.0", "GreenComp", "0 of 12", "4 of 4"],
    ]
    assert "4eu-mici 1.1.0 DigComp 2.2 1 of 21 5 of 5" in pdf_text
    # a few of the hand-computed numbers, as each output prints them
    for text in ("87.5 %", "20.5", "24.5", "-0.75", "0.53", "12.5 %"):
        assert text in pdf_text
        assert any(text in cell for t_ in parser.tables.values() for row in t_ for cell in row)


@sqlite_only
def test_pdf_is_signed_and_verifies(session, data, tmp_path):
    from qa_engine.adapters.dev_pki import create_dev_pki
    from qa_engine.adapters.signing import verify_pdf

    pki = create_dev_pki(tmp_path / "pki")
    f = figures(session)
    pdf = signed_pdf(f, reports_dir=get_settings().reports_dir, signer=pki.signer())
    verdict = verify_pdf(pdf, trust_roots=[pki.ca_cert])
    assert verdict.ok, verdict.message
    assert verdict.report_id == f.report_id
    tampered = pdf.replace(b"Quality of micro", b"Quality of macro", 1)
    assert not verify_pdf(tampered, trust_roots=[pki.ca_cert]).ok


@sqlite_only
def test_formula_text_stays_text(session, data):
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(workbook_bytes(figures(session))))
    found = [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == INJECTION
    ]
    assert found and all(c.data_type == "s" for c in found)
    assert not any(
        c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row
    )


@sqlite_only
def test_who_may_read_and_what(session, data):
    f = figures(session, actor=LEADER)
    assert f.audience == "leadership" and f.pipeline.overdue_by_reviewer is None
    page = render_html(f)
    assert "Reviewer R1 Name" not in page and "lead.r1" not in page and "Reviewer 01" in page
    assert f.pipeline.overdue_reviews == 1  # leadership sees the count
    with pytest.raises(Forbidden):
        figures(session, actor=LEADER, reviewer_names=True)
    with pytest.raises(Forbidden):
        figures(
            session,
            actor=Actor(user_id=903, username="p", roles=frozenset({Role.PROVIDER, Role.REVIEWER})),
        )
    officer = figures(session, actor=OFFICER, reviewer_names=True)
    assert officer.reviewing.reviewers[0].label == "Reviewer R3 Name (lead.r3)"
    assert "Reviewer R1 Name (lead.r1)" in render_html(officer)
    approver = Actor(user_id=904, username="a", roles=frozenset({Role.APPROVER}))
    assert figures(session, actor=approver).outcomes.decisions == 4


def test_svg_charts_are_escaped_and_titled():
    spec = charts.ChartSpec(
        "x",
        "hbar",
        "<script>alert(1)</script>",
        ("a & b", '"c"'),
        (charts.Series("s<1>", (1.0, None)),),
        "n",
        "cat",
    )
    svg = charts.render_svg(spec)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    assert svg.startswith("<svg") and '<title id="chart-x-title">' in svg
    for kind in ("bar", "stacked_bar", "line", "heatmap"):
        assert "<title" in charts.render_svg(charts.ChartSpec("k", kind, "T", (), (), "v", "c"))


# --------------------------------------------------------------------------- on real cases


def test_figures_of_cases_run_through_the_services(session):
    from tests.helpers import people, to_state

    p = people(session)
    to_state(session, p, "closed")
    today = datetime.now(UTC).date()
    f = leadership_figures(
        session=session, actor=SYSTEM, period=ReportPeriod(today - timedelta(days=1), today)
    )
    assert f.outcomes.totals["approved"] == 1 and f.pipeline.closed == 1
    esg = {r.reference: r for r in f.standards.heatmap}["ESG-1.1"]
    assert esg.by_institution["CUNI"] == approx(0.75)  # every reviewer scored 3 of 4
    assert {s.stage for s in f.pipeline.stage_times} >= {
        "submitted",
        "screening",
        "self_assessment",
        "peer_review",
    }
    # alpha per criterion over the 28 scale criteria: the yes/no criterion is no point on the scale
    assert len(f.reviewing.agreement) == 28 and f.reviewing.reviewers[0].completed == 1
    assert "dg-stackable" not in {a.criterion for a in f.reviewing.agreement}
    assert {a.label for a in f.reviewing.agreement} == {
        "not computable: no variation in the scores"
    }


# --------------------------------------------------------------------------- CLI, flow, generator


def test_cli_writes_every_format(engine_env, tmp_path):
    from typer.testing import CliRunner

    from qa_engine.adapters.report_files import signature_checker
    from qa_engine.cli.leadership_cmd import reports_app
    from qa_engine.services.report_files import verify_bytes

    runner = CliRunner()
    for fmt in ("html", "xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            reports_app,
            [
                "aggregate",
                "--from",
                "2025-01-01",
                "--to",
                "2025-03-31",
                "--institution",
                "CUNI",
                "--format",
                fmt,
                "--output",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    assert verify_bytes(
        (tmp_path / "report.pdf").read_bytes(), check_signature=signature_checker()
    ).verdict.ok
    bad = runner.invoke(
        reports_app,
        [
            "aggregate",
            "--from",
            "2025-03-01",
            "--to",
            "2025-01-01",
            "--format",
            "html",
            "--output",
            str(tmp_path / "x.html"),
        ],
    )
    assert bad.exit_code == 1 and "before it starts" in bad.output
    refused = runner.invoke(
        reports_app,
        [
            "aggregate",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-31",
            "--format",
            "html",
            "--output",
            str(tmp_path / "y.html"),
            "--as",
            "nobody",
        ],
    )
    assert refused.exit_code == 1


def test_flow_tasks_and_deployment(engine_env, tmp_path):
    from prefect.logging import disable_run_logger

    from qa_engine.workflows.leadership import (
        aggregate_reports_flow,
        compute_figures,
        deployment,
        render_report,
    )

    with disable_run_logger():
        f = compute_figures.fn(date(2025, 1, 1), date(2025, 1, 31))
        paths = [
            render_report.fn(f, fmt, str(tmp_path)) for fmt in ("xlsx", "html")
        ]  # the PDF: see the CLI test
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        f"leadership-2025-01-01-2025-01-31.{x}" for x in ("xlsx", "html")
    ]
    assert f.audience == "leadership"
    assert aggregate_reports_flow.name == "aggregate-reports" and callable(deployment)


def test_generator_writes_a_consistent_alliance(tmp_path):
    from bench.generate import FastRubric, generate
    from qa_engine.domain.consolidation import consolidate
    from qa_engine.services.audit import verify
    from qa_engine.store.db import make_engine
    from qa_engine.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'gen.db'}")
    upgrade(engine)
    result = generate(engine, 40, seed=7, until=datetime(2025, 6, 30, tzinfo=UTC), span_days=365)
    assert result.decided_cases == 40 and result.audit_events > 400
    with Session(engine) as s:
        count, problems = verify(s)
        assert problems == [] and count >= result.audit_events
        assert (
            s.execute(select(Case).where(Case.state == CaseState.CLOSED)).scalars().all().__len__()
            == 40
        )
        rubric = rubric_service.from_snapshot(repo.list_rubric_snapshots(s)[0])
        fast = FastRubric(rubric)
        for row in s.execute(select(Consolidation).limit(15)).scalars():
            reviews = (
                s.execute(
                    select(Review)
                    .where(Review.case_id == row.case_id, Review.round == row.round)
                    .order_by(Review.id)
                )
                .scalars()
                .all()[: row.data["reviewers"]]
            )
            automated = {"eu-elements": 11, "eu-optional-elements": 0}
            for rc in rubric.criteria:  # read back the automated scores the generator used
                if rc.criterion.kind == "elements_check":
                    automated[rc.id] = row.data["by_reference"][rc.criterion.elements[0]][
                        "score"
                    ] * len(rc.criterion.elements)
            real = consolidate(
                rubric, [r.scores for r in reviews], automated=automated, threshold=2
            ).to_json()
            assert real["overall"] == approx(row.data["overall"])
            assert real["gates_failed"] == row.data["gates_failed"]
            assert real["recommended_outcome"] == row.data["recommended_outcome"]
            assert real["agreement"] == (
                None if row.data["agreement"] is None else approx(row.data["agreement"])
            )
            # the generator's agreement figures are the domain's: scale criteria only, in words
            for key in (
                "agreement_label",
                "agreement_summary",
                "yes_no_summary",
                "within_one",
                "compared",
                "largest_gap_criterion",
            ):
                assert real[key] == row.data[key], key
            for ref, value in real["by_reference"].items():
                assert value["score"] == approx(row.data["by_reference"][ref]["score"]), ref
            assert fast.reviewer_ids == [c["criterion_id"] for c in real["criteria"]]
        f = leadership_figures(
            session=s, actor=SYSTEM, period=ReportPeriod(date(2024, 1, 1), date(2025, 6, 30))
        )
    assert f.outcomes.decisions >= 40 and f.reviewing.median_alpha is not None
    assert f.standards.returned_screenings >= 1 and f.pipeline.reviews_late >= 1
    engine.dispose()


# --------------------------------------------------------------------------- the register


def test_a_signed_leadership_report_is_recorded_once_and_then_verifies(session, data):
    from sqlmodel import select

    from qa_engine.domain.verification import Verdict
    from qa_engine.services.leadership import issue_leadership_report
    from qa_engine.services.report_files import verify_bytes
    from qa_engine.store.models import IssuedFile

    f = figures(session, actor=LEADER)
    rendered: list[str] = []

    def render(figs, fmt):
        rendered.append(fmt)
        return f"%PDF-1.7 signed {figs.report_id} {fmt}".encode()

    def issue(fmt, actor=LEADER):
        return issue_leadership_report(
            session=session, actor=actor, figures=f, fmt=fmt, render=render
        )

    pdf = issue("pdf")
    assert issue("pdf") == pdf  # the same bytes twice: one entry
    issue("xlsx")  # not signed: not recorded
    rows = session.exec(select(IssuedFile)).all()
    assert [(r.report_id, r.kind, r.issued_by) for r in rows] == [(f.report_id, "pdf", "lea")]
    assert rows[0].sha256 == hashlib.sha256(pdf).hexdigest()
    events = audit_repo.events_for(session, "report", f.report_id)
    assert [e.action for e in events] == ["report.issued"]
    with pytest.raises(Forbidden):
        issue(
            "pdf",
            Actor(user_id=903, username="p", roles=frozenset({Role.PROVIDER, Role.REVIEWER})),
        )
    assert rendered == ["pdf", "pdf", "xlsx"]  # refused before anything is signed

    def signed_as(report_id):
        return lambda _data: Verdict("valid", "intact", report_id=report_id)

    assert verify_bytes(pdf, session=session, check_signature=signed_as(f.report_id)).registered
    assert not verify_bytes(
        pdf + b"x", session=session, check_signature=signed_as(f.report_id)
    ).registered
    # the bytes are on record, but under another id: not this report
    assert not verify_bytes(pdf, session=session, check_signature=signed_as("AGG-x")).registered
