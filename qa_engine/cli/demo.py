"""``qa-engine demo``: a call of the alliance routed end to end through the real Prefect flows,
with simulated providers, QA officers, reviewers and approvers."""

from __future__ import annotations

import asyncio
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_engine.cli.common import console
from qa_engine.config import PACKAGE_DIR

SAMPLES = PACKAGE_DIR / "samples" / "credentials.json"

# What the simulated people aim at for each sample, in order (cycled): the outcomes must differ.
PLANS = ["approved", "approved_with_conditions", "revision_then_approved", "rejected", "disagreement",
         "approved", "approved_with_conditions", "rejected", "revision_then_approved", "approved"]

REVIEWERS = [
    ("CUNI", "Jiří Dvořák", ["0521", "0613", "0612"], ["en", "cs"]),
    ("CUNI", "Markéta Řeháková", ["0532", "0421"], ["en", "cs"]),
    ("UHEI", "Jörg Müller", ["0731", "0521"], ["en", "de"]),
    ("UHEI", "Anna Schäfer", ["0912", "0613"], ["en", "de"]),
    ("UPA", "Élodie Lefèvre", ["0421", "0413"], ["en", "fr"]),
    ("SU", "François Girard", ["0531", "0711", "0912"], ["en", "fr"]),
    ("UCPH", "Søren Kjær", ["0521", "0532", "0522"], ["en", "da"]),
    ("UCPH", "Mette Ærø", ["0542", "0613"], ["en", "da"]),
    ("UNIMI", "Giulia Bianchi", ["0388", "0413", "0421"], ["en", "it"]),
    ("UW", "Łucja Żółkiewska", ["0542", "0613", "0314"], ["en", "pl"]),
    ("UW", "Paweł Wiśniewski", ["0731", "0521"], ["en", "pl"]),
    ("UNIGE", "Amélie Favre", ["0912", "0521", "0522"], ["en", "fr"]),
]


@dataclass
class Cast:
    officer: object
    approver: object
    providers: dict
    reviewers: dict


def _cast(session) -> Cast:
    from qa_engine.domain.roles import Role
    from qa_engine.services.users import add_user
    from qa_engine.store import repositories as repo

    def make(username, name, roles, inst=None, **extra):
        user = add_user(session=session, username=username, full_name=name, email=f"{username}@demo.4euplus.eu",
                        roles=roles, institution_code=inst, **extra)
        return repo.actor_for(session, user)

    officer = make("officer", "Claire Dubois (QA office)", [Role.QA_OFFICER])
    approver = make("approver", "Prof. Tomáš Novák (QA board)", [Role.APPROVER])
    make("leader", "Rector's office", [Role.LEADERSHIP])
    providers = {code: make(f"provider.{code.lower()}", f"Course team {code}", [Role.PROVIDER], code)
                 for code, *_ in __import__("qa_engine.services.institutions", fromlist=["ALLIANCE"]).ALLIANCE}
    reviewers = {}
    for i, (inst, name, fields, langs) in enumerate(REVIEWERS):
        actor = make(f"reviewer{i + 1}", name, [Role.REVIEWER], inst, expertise_fields=fields, languages=langs,
                     max_open_reviews=4)
        reviewers[actor.user_id] = actor
    return Cast(officer, approver, providers, reviewers)


def _score_for(plan: str, round_: int, reviewer_index: int, rng: random.Random) -> int:
    if plan == "disagreement":
        return [4, 1, 3][reviewer_index % 3]
    base = {"approved": 4, "approved_with_conditions": 3, "rejected": 1,
            "revision_then_approved": 2 if round_ == 1 else 4}[plan]
    return max(0, min(4, base + rng.choice([-1, 0, 0, 0, 1]) * (1 if base not in (1, 2) else 0)))


def _decision_for(plan: str, round_: int, recommended: str | None) -> tuple[str, str, list[str]]:
    if plan == "revision_then_approved" and round_ == 1:
        return ("revision_requested", "The learning outcomes are not yet assessable and the assessment is not described.",
                ["Rewrite the outcomes as observable performances", "Describe the assessment and its marking scheme"])
    if plan == "approved_with_conditions" or (plan == "disagreement" and recommended != "approved"):
        return ("approved_with_conditions", "Sound design; the information published for learners needs completing.",
                ["Publish the stackability options on the course page", "Report learner feedback after the first run"])
    if plan == "rejected":
        return ("rejected", "The credential does not meet the alliance's minimum standards on assessment and QA.", [])
    return ("approved", "The credential meets the ESG and the EU principles convincingly.", [])


def run_demo(data_dir: Path | None) -> None:
    from qa_engine.cli.main import _use_data_dir, initialise_all

    target = (data_dir or Path("var") / "demo").resolve()
    if target.exists():
        shutil.rmtree(target)
    _use_data_dir(target)

    from qa_engine.adapters.credential_io import read_json, write_credentials_xlsx
    from qa_engine.adapters.report_files import verify_bytes
    from qa_engine.services import assignments, decisions, reviews, self_assessments
    from qa_engine.services.cases import rubric_of
    from qa_engine.store import case_repo
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import session_scope
    from workflows.flows import advance_cases, intake_flow

    console.rule("[bold]qa-engine demo: a 4EU+ call routed through the real Prefect flows")
    for line in initialise_all():
        console.print(f"[dim]{line}[/]")
    with session_scope() as s:
        cast = _cast(s)
    rng = random.Random(2026)
    items = read_json(SAMPLES, max_bytes=5_000_000)
    sheet = write_credentials_xlsx(target / "call-2026.xlsx", items)

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=console, transient=False)
    with progress:
        phases = progress.add_task("starting the local Prefect engine and importing the call", total=8)
        result = asyncio.run(intake_flow(str(sheet)))
        case_ids: list[int] = result["cases"]
        plan_of = {cid: PLANS[i % len(PLANS)] for i, cid in enumerate(case_ids)}
        progress.update(phases, advance=1, description=f"{len(case_ids)} cases opened and screened")

        def self_assess(ids):
            with session_scope() as s:
                for cid in ids:
                    case = case_repo.get_case(s, cid)
                    if case.state != "self_assessment":
                        continue
                    code = repo.get_credential(s, case.credential_id)
                    inst = next(i.code for i in repo.list_institutions(s) if i.id == case.institution_id)
                    rubric = rubric_of(s, case)
                    plan = plan_of[cid]
                    entries = {}
                    for rc in rubric.reviewer_criteria:
                        c = rc.criterion
                        if c.kind == "scale":
                            entries[rc.id] = {"score": min(4, _score_for(plan, case.round, 0, rng) + 1),
                                              "narrative": f"How {code.title} addresses '{c.title}': see the evidence.",
                                              "evidence": [f"https://qa.demo.4euplus.eu/{inst.lower()}/{cid}/{rc.id}"]}
                        elif c.kind == "yes_no":
                            entries[rc.id] = {"score": plan != "rejected", "narrative": "Stackability as published."}
                    self_assessments.save_self_assessment(session=s, actor=cast.providers[inst], case_id=cid, entries=entries,
                                                          summary=f"Self-assessment of {code.title}, round {case.round}.", submit=True)

        def assign_and_review(ids):
            with session_scope() as s:
                waiting = [cid for cid in ids if case_repo.get_case(s, cid).state in ("assignment", "peer_review")]
                assignments.auto_assign(session=s, case_ids=waiting, actor=cast.officer)
            asyncio.run(advance_cases(ids))  # invitations go out
            declined_once = False
            for _ in range(3):  # replacements and extra reviewers come in later waves
                with session_scope() as s:
                    for cid in ids:
                        case = case_repo.get_case(s, cid)
                        if case.state != "peer_review":
                            continue
                        rubric = rubric_of(s, case)
                        for k, a in enumerate(case_repo.assignments_of(s, cid, case.round, statuses=("invited",))):
                            who = cast.reviewers[a.reviewer_id]
                            if not declined_once and plan_of[cid] == "approved":
                                assignments.respond(session=s, actor=who, assignment_id=a.id, accept=False, conflict=True,
                                                    reason="I examined a thesis supervised by the course leader")
                                declined_once = True
                                continue
                            assignments.respond(session=s, actor=who, assignment_id=a.id, accept=True)
                            index = len(case_repo.reviews_of(s, cid, case.round)) + k
                            entries = {}
                            for rc in rubric.reviewer_criteria:
                                c = rc.criterion
                                if c.kind == "scale":
                                    entries[rc.id] = {"score": _score_for(plan_of[cid], case.round, index, rng),
                                                      "comment": f"{c.title}: evidence read and weighed."}
                                elif c.kind == "yes_no":
                                    entries[rc.id] = {"score": plan_of[cid] != "rejected", "comment": "Checked."}
                            reviews.save_review(session=s, actor=who, assignment_id=a.id, entries=entries,
                                                recommendation="approved" if plan_of[cid] != "rejected" else "rejected",
                                                overall_comment="Submitted through the demo.", submit=True)
                    needing = [c.id for c in case_repo.list_cases(s, case_ids=ids, states=["peer_review"])
                               if assignments.case_need(s, c).needed > 0]
                    if needing:
                        assignments.auto_assign(session=s, case_ids=needing, actor=cast.officer)
                asyncio.run(advance_cases(ids))

        def decide(ids):
            with session_scope() as s:
                for cid in ids:
                    case = case_repo.get_case(s, cid)
                    if case.state != "approval":
                        continue
                    cons = case_repo.latest_consolidation(s, cid, case.round)
                    outcome, rationale, conditions = _decision_for(plan_of[cid], case.round, cons.recommended_outcome)
                    decisions.decide(session=s, actor=cast.approver, case_id=cid, outcome=outcome,
                                     rationale=rationale, conditions=conditions)

        for round_ in (1, 2):
            live = [cid for cid in case_ids if _state(cid) == "self_assessment"]
            if not live:
                break
            progress.update(phases, description=f"round {round_}: providers write self-assessments")
            self_assess(live)
            asyncio.run(advance_cases(live))
            progress.update(phases, advance=1, description=f"round {round_}: QA officer assigns reviewers; reviewers score")
            assign_and_review(live)
            progress.update(phases, advance=1, description=f"round {round_}: the QA board decides")
            decide(live)
            progress.update(phases, advance=1, description=f"round {round_}: signed reports and workbooks")
            asyncio.run(advance_cases(live))
        progress.update(phases, completed=8, description="done")

    table = Table(title="Cases of the demo call")
    fixed = {"no_wrap": True}
    for col, kw in (("#", fixed), ("credential", {"max_width": 22, "overflow": "ellipsis", "no_wrap": True}),
                    ("inst", fixed), ("rnd", fixed), ("score", fixed), ("outcome", fixed), ("PDF ok", fixed)):
        table.add_column(col, **kw)
    verified = 0
    files: list[str] = []
    with session_scope() as s:
        for cid in case_ids:
            case = case_repo.get_case(s, cid)
            cred = repo.get_credential(s, case.credential_id)
            inst = next(i.code for i in repo.list_institutions(s) if i.id == case.institution_id)
            cons = case_repo.latest_consolidation(s, cid, case.round) or case_repo.latest_consolidation(s, cid, case.round - 1)
            ok = 0
            rows = [r for r in case_repo.reports_of(s, cid) if r.path]
            for r in rows:
                files.append(r.path)
                if r.kind == "pdf":
                    res = verify_bytes(Path(r.path).read_bytes(), session=s)
                    ok += res.ok
            verified += ok
            pdfs = sum(1 for r in rows if r.kind == "pdf")
            table.add_row(str(cid), cred.title, inst, str(case.round),
                          f"{cons.overall:.2f}" if cons and cons.overall is not None else "-",
                          (case.outcome or case.state).replace("approved_with_conditions", "with conditions").replace("_", " "),
                          f"{ok}/{pdfs}" if pdfs else "-")
    console.print(table)
    from qa_engine.services.audit import verify

    with session_scope() as s:
        count, problems = verify(s)
    console.print(f"reports: {verified} signed PDF(s) verified by the engine, {len(files)} file(s) in {target / 'reports'}")
    console.print(f"mail: {len(list((target / 'outbox').glob('*.eml')))} message(s) in {target / 'outbox'}")
    console.print(f"audit trail: {count} events, {'intact' if not problems else 'BROKEN'}")
    console.print(f"data folder: {target} (try: QA_DATA_DIR={target} .venv/bin/qa-engine cases list)")


def _state(case_id: int) -> str:
    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        return case_repo.get_case(s, case_id).state
