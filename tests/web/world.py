"""A small world for access tests: three cases in known states and one person per relation.

- case A (CUNI credential): peer review; `rev.uw` has submitted, `rev.ucph` accepted and is writing.
- case B (UPA credential): peer review; `rev.unimi` has submitted, `rev.uhei` accepted.
- case C (UW credential): reviewed by `rev.cuni` and `rev.unige`, closed and approved, with its
  signed PDF report and workbook.
- `rev.idle` is a reviewer assigned to nothing; `gone` a disabled account (the admin pages' probes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.services import assignments, decisions, reviews
from qa_engine.services import cases as case_service
from qa_engine.services.users import add_user, disable_user
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import full_review, people, to_state
from tests.web.conftest import direct_kick

PRINCIPALS = (
    "anonymous",
    "prov.cuni",
    "prov.upa",
    "prov.uw",
    "rev.uw",
    "rev.cuni",
    "rev.idle",
    "officer",
    "approver",
    "leader",
    "admin",
)


@dataclass
class World:
    p: dict
    cases: dict[str, int] = field(default_factory=dict)  # A, B, C -> case id
    credentials: dict[str, int] = field(default_factory=dict)
    credential_data: dict[str, dict] = field(default_factory=dict)
    assignments: dict[str, int] = field(
        default_factory=dict
    )  # A, B -> the submitted assignment's id
    report_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)


def _to_peer_review(
    s, p, index: int, reviewers: list[str], submitters: tuple[str, ...]
) -> tuple[int, int]:
    case_id = to_state(s, p, "assignment", index=index)
    ids = [p[r].user_id for r in reviewers]
    assignments.assign(
        session=s, actor=p["officer"], case_id=case_id, reviewer_ids=ids, reason="test"
    )
    case = case_repo.get_case(s, case_id)
    rubric = case_service.rubric_of(s, case)
    submitted = None
    for a in case_repo.assignments_of(s, case_id, case.round):
        who = next(k for k in reviewers if p[k].user_id == a.reviewer_id)
        assignments.respond(session=s, actor=p[who], assignment_id=a.id, accept=True)
        if who in submitters:
            reviews.save_review(
                session=s,
                actor=p[who],
                assignment_id=a.id,
                entries=full_review(rubric, 3),
                recommendation="approved",
                submit=True,
            )
            submitted = a.id
    return case_id, submitted


def build_world() -> World:
    with session_scope() as s:
        p = people(s)
        idle = add_user(
            session=s,
            username="rev.idle",
            full_name="Ida Idle",
            email="idle@example.eu",
            roles=[Role.REVIEWER],
            institution_code="UNIGE",
            max_open_reviews=0,
        )
        p["rev.idle"] = repo.actor_for(s, idle)
        add_user(
            session=s,
            username="gone",
            full_name="Gus Gone",
            email="gone@example.eu",
            roles=[Role.REVIEWER],
            institution_code="UW",
        )
        disable_user(session=s, actor=SYSTEM, username="gone")
    w = World(p)
    with session_scope() as s:
        w.cases["A"], w.assignments["A"] = _to_peer_review(
            s, p, 0, ["rev.uw", "rev.ucph"], ("rev.uw",)
        )
    with session_scope() as s:
        w.cases["B"], w.assignments["B"] = _to_peer_review(
            s, p, 3, ["rev.unimi", "rev.uhei"], ("rev.unimi",)
        )
    with session_scope() as s:
        w.cases["C"], _ = _to_peer_review(
            s, p, 1, ["rev.cuni", "rev.unige"], ("rev.cuni", "rev.unige")
        )
    direct_kick([w.cases["C"]])  # consolidation, then approval
    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=w.cases["C"],
            outcome="approved",
            rationale="Meets every standard we checked.",
        )
    direct_kick([w.cases["C"]])
    with session_scope() as s:
        for key, cid in w.cases.items():
            case = case_repo.get_case(s, cid)
            w.credentials[key] = case.credential_id
            w.credential_data[key] = repo.get_credential_version(s, case.credential_id).data
        assert case_repo.get_case(s, w.cases["C"]).state == CaseState.CLOSED
        w.report_id = next(
            r.report_id for r in case_repo.reports_of(s, w.cases["C"]) if r.kind == "pdf"
        )
    from tests.web.support import token_for

    for name in PRINCIPALS[1:]:
        w.tokens[name] = token_for(name)
    return w
