"""A small world for access tests: three cases in known states and one person per relation.

- case A (CUNI credential): peer review; `rev.uw` has submitted, `rev.ucph` accepted and is writing.
- case B (UPA credential): peer review; `rev.unimi` has submitted, `rev.uhei` accepted.
- case C (UW credential): reviewed by `rev.cuni` and `rev.unige`, closed and approved, with its
  signed PDF report and workbook.
- `rev.idle` is a reviewer assigned to nothing; `gone` a disabled account (the admin pages' probes).

The round-2 world (`World.round_two`), after a revision request in round 1 (SU credentials,
provider `prov.su`; round 1 reviewed by `rev.r1` and `rev.unige`):
- case D: back in self-assessment in round 2, with the provider's unsubmitted draft
  (`DRAFT_SUMMARY`).
- case E: in peer review in round 2 with a submitted self-assessment; `rev.r2` has accepted and
  saved a draft review (`DRAFT_COMMENT`), `rev.uhei` has submitted.
`rev.r1` reviewed round 1 only and is not invited to round 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa_engine.domain.case_states import CaseState
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.services import assignments, decisions, reviews, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services.users import add_user, disable_user
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from tests.helpers import full_review, full_self_assessment, people, to_state
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
    round_two: dict[str, int] = field(default_factory=dict)  # D, E -> case id (see above)
    # (case key, reviewer) -> assignment id, for D and E: ("D", "rev.r1"), ("E", "rev.r2"), …
    round_two_assignments: dict[tuple[str, str], int] = field(default_factory=dict)


DRAFT_SUMMARY = "Round two draft summary, not submitted yet"
DRAFT_COMMENT = "Round two draft comment, not submitted yet"
ROUND_TWO_PEOPLE = ("prov.su", "rev.r1", "rev.r2", "rev.uhei", "rev.unige")


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
    _round_two(w)
    from tests.web.support import token_for

    for name in (*PRINCIPALS[1:], *ROUND_TWO_PEOPLE):
        w.tokens[name] = token_for(name)
    return w


def _revised(w: World, key: str, index: int) -> int:
    """A case whose round 1 was reviewed by `rev.r1` and `rev.unige` and ended in a revision
    request: back in self-assessment, round 2."""
    p = w.p
    with session_scope() as s:
        case_id, _ = _to_peer_review(s, p, index, ["rev.r1", "rev.unige"], ("rev.r1", "rev.unige"))
        for a in case_repo.assignments_of(s, case_id, 1):
            who = next(k for k in ("rev.r1", "rev.unige") if p[k].user_id == a.reviewer_id)
            w.round_two_assignments[(key, who)] = a.id
    direct_kick([case_id])  # consolidation, then approval
    with session_scope() as s:
        decisions.decide(
            session=s,
            actor=p["approver"],
            case_id=case_id,
            outcome="revision_requested",
            rationale="Revise the assessment section and resubmit.",
            conditions=["Describe how the assessment is proctored."],
        )
    direct_kick([case_id])  # the round's reports, then round 2
    with session_scope() as s:
        case = case_repo.get_case(s, case_id)
        assert (case.round, case.state) == (2, CaseState.SELF_ASSESSMENT)
    return case_id


def _round_two(w: World) -> None:
    p = w.p
    with session_scope() as s:
        for username, name, inst in (
            ("rev.r1", "Rita Roundone", "UW"),
            ("rev.r2", "Rolf Roundtwo", "UHEI"),
        ):
            user = add_user(
                session=s,
                username=username,
                full_name=name,
                email=f"{username}@example.eu",
                roles=[Role.REVIEWER],
                institution_code=inst,
                max_open_reviews=4,
            )
            p[username] = repo.actor_for(s, user)
    w.round_two["D"] = _revised(w, "D", 6)
    w.round_two["E"] = _revised(w, "E", 9)
    with session_scope() as s:
        rubric = case_service.rubric_of(s, case_repo.get_case(s, w.round_two["D"]))
        self_assessments.save_self_assessment(
            session=s,
            actor=p["prov.su"],
            case_id=w.round_two["D"],
            entries={},
            summary=DRAFT_SUMMARY,
        )
        self_assessments.save_self_assessment(
            session=s,
            actor=p["prov.su"],
            case_id=w.round_two["E"],
            entries=full_self_assessment(rubric),
            summary="Round two, revised and submitted",
            submit=True,
        )
    direct_kick([w.round_two["E"]])  # to reviewer assignment
    with session_scope() as s:
        e = w.round_two["E"]
        ids = [p["rev.r2"].user_id, p["rev.uhei"].user_id]
        assignments.assign(session=s, actor=p["officer"], case_id=e, reviewer_ids=ids, reason="r2")
        for a in case_repo.assignments_of(s, e, 2):
            who = "rev.r2" if a.reviewer_id == p["rev.r2"].user_id else "rev.uhei"
            w.round_two_assignments[("E", who)] = a.id
            assignments.respond(session=s, actor=p[who], assignment_id=a.id, accept=True)
            reviews.save_review(
                session=s,
                actor=p[who],
                assignment_id=a.id,
                entries=full_review(rubric, 3),
                recommendation="approved",
                overall_comment=DRAFT_COMMENT if who == "rev.r2" else "Submitted in round two.",
                submit=who == "rev.uhei",
            )
        assert case_repo.get_case(s, e).state == CaseState.PEER_REVIEW
