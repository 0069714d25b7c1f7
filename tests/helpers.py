"""Builders shared by the workflow tests: people, credentials, cases driven to a given state."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlmodel import Session

from qa_engine.domain.credential import parse_credential
from qa_engine.domain.roles import SYSTEM, Role
from qa_engine.domain.statuses import AssignmentStatus
from qa_engine.services import advance, assignments, decisions, reviews, self_assessments
from qa_engine.services import cases as case_service
from qa_engine.services import credentials as credential_service
from qa_engine.services.institutions import seed_institutions
from qa_engine.services.users import add_user
from qa_engine.store import repositories as repo

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = json.loads(
    (ROOT / "qa_engine" / "samples" / "credentials.json").read_text(encoding="utf-8")
)

REVIEWERS = [
    ("rev.cuni", "Jiří Dvořák", "CUNI", ["0521", "0613"], ["en", "cs"]),
    ("rev.uw", "Łucja Żółkiewska", "UW", ["0542", "0613"], ["en", "pl"]),
    ("rev.ucph", "Søren Kjær", "UCPH", ["0521", "0532"], ["en", "da"]),
    ("rev.unimi", "Giulia Bianchi", "UNIMI", ["0388", "0413"], ["en", "it"]),
    ("rev.uhei", "Jörg Müller", "UHEI", ["0731", "0521"], ["en", "de"]),
    ("rev.unige", "Amélie Favre", "UNIGE", ["0912", "0521"], ["en", "fr"]),
]


class FastHasher:
    """Stands in for argon2 (a third of a second per hash here, on purpose) in tests of what is
    stored, not of argon2: `monkeypatch.setattr(qa_engine.services.users, "_hasher", FastHasher())`.
    """

    def hash(self, password: str) -> str:
        return "test$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password: str, hashed: str) -> bool:
        return hashed == self.hash(password)


def people(session: Session) -> dict:
    """Seed institutions and one person per role (reviewers at several institutions); return
    actors."""
    seed_institutions(session=session)
    out = {}
    specs = [
        ("officer", "Olga Officer", None, [Role.QA_OFFICER], {}),
        ("approver", "Anna Approver", None, [Role.APPROVER], {}),
        ("leader", "Lea Leader", None, [Role.LEADERSHIP], {}),
        ("admin", "Adam Admin", None, [Role.ADMIN], {}),
    ]
    for code in ("CUNI", "SU", "UW", "UCPH", "UNIMI", "UHEI", "UPA", "UNIGE"):
        specs.append((f"prov.{code.lower()}", f"Provider {code}", code, [Role.PROVIDER], {}))
    for username, name, inst, fields, langs in REVIEWERS:
        specs.append(
            (
                username,
                name,
                inst,
                [Role.REVIEWER],
                {"expertise_fields": fields, "languages": langs, "max_open_reviews": 4},
            )
        )
    for username, name, inst, roles, extra in specs:
        user = repo.get_user_by_username(session, username)
        if user is None:
            user = add_user(
                session=session,
                username=username,
                full_name=name,
                email=f"{username}@example.eu",
                roles=roles,
                institution_code=inst,
                **extra,
            )
        out[username] = repo.actor_for(session, user)
    return out


def credential(session: Session, index: int = 0, **over) -> int:
    data = parse_credential({**SAMPLES[index], **over})
    version, _ = credential_service.save_credential(session=session, actor=SYSTEM, data=data)
    return version.credential_id


def full_self_assessment(rubric, score: int = 3) -> dict:
    out = {}
    for rc in rubric.reviewer_criteria:
        c = rc.criterion
        if c.kind == "scale":
            out[rc.id] = {
                "score": score,
                "narrative": f"We meet {c.title} this way.",
                "evidence": ["https://example.eu/evidence"],
            }
        elif c.kind == "yes_no":
            out[rc.id] = {"score": True, "narrative": "Yes, it is stackable."}
        else:
            out[rc.id] = {"narrative": "Nothing to add."}
    return out


def full_review(rubric, score: int = 3, overrides: dict | None = None) -> dict:
    out = {}
    for rc in rubric.reviewer_criteria:
        c = rc.criterion
        if c.kind == "scale":
            out[rc.id] = {
                "score": (overrides or {}).get(rc.id, score),
                "comment": f"Assessment of {c.title}.",
            }
        elif c.kind == "yes_no":
            out[rc.id] = {"score": True, "comment": "Confirmed."}
    return out


def drive(session: Session, case_id: int) -> list[advance.StepOutcome]:
    """Run the automated steps in this session until a human gate (the flows' loop, minus Prefect
    and the transaction per step)."""
    return advance.drive(
        lambda cid: advance.advance_once(session, cid, report_generator=_fake_report),
        case_id,
        max_steps=30,
    )


def _fake_report(session, row):
    row.path = f"/tmp/{row.report_id}.{row.kind}"
    row.sha256 = "0" * 64


def to_state(
    session: Session, p: dict, target: str, *, index: int = 0, scores=(3, 3), provider=None
) -> int:
    """Open a case on a sample credential and drive it with the given people up to `target`."""
    cred_id = credential(session, index)
    inst = repo.get_credential(session, cred_id).institution_id
    code = next(i.code for i in repo.list_institutions(session) if i.id == inst)
    prov = provider or p[f"prov.{code.lower()}"]
    case = case_service.open_case(session=session, actor=prov, credential_id=cred_id)
    if target == "submitted":
        return case.id
    drive(session, case.id)
    if target == "self_assessment":
        return case.id
    rubric = case_service.rubric_of(session, case)
    self_assessments.save_self_assessment(
        session=session,
        actor=prov,
        case_id=case.id,
        entries=full_self_assessment(rubric),
        summary="Our summary",
        submit=True,
    )
    drive(session, case.id)
    if target == "assignment":
        return case.id
    plan_, _ = assignments.propose(session=session, actor=p["officer"], case_id=case.id)
    assignments.assign(
        session=session,
        actor=p["officer"],
        case_id=case.id,
        reviewer_ids=[x.reviewer_id for x in plan_.proposals],
    )
    if target == "invited":
        return case.id
    live = [
        a
        for a in assignments.case_repo.assignments_of(session, case.id, case.round)
        if a.status == AssignmentStatus.INVITED
    ]
    for a in live:
        actor = next(v for v in p.values() if v.user_id == a.reviewer_id)
        assignments.respond(session=session, actor=actor, assignment_id=a.id, accept=True)
    if target == "peer_review":
        return case.id
    for a, s in zip(live, scores, strict=False):
        actor = next(v for v in p.values() if v.user_id == a.reviewer_id)
        reviews.save_review(
            session=session,
            actor=actor,
            assignment_id=a.id,
            entries=full_review(rubric, s),
            recommendation="approved",
            submit=True,
        )
    drive(session, case.id)
    if target == "approval":
        return case.id
    decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case.id,
        outcome="approved",
        rationale="Meets every standard we checked.",
    )
    drive(session, case.id)
    return case.id


def revision_requested(session: Session, p: dict, *, index: int = 0) -> int:
    """A case on a sample credential whose first round ended with a revision request: its second
    round waits for the provider."""
    case_id = to_state(session, p, "approval", index=index)
    decisions.decide(
        session=session,
        actor=p["approver"],
        case_id=case_id,
        outcome="revision_requested",
        rationale="The workload is too small for the outcomes promised.",
        conditions=["Raise the workload or narrow the outcomes"],
    )
    drive(session, case_id)
    return case_id
