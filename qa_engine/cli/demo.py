"""``qa-engine demo``: a call of the alliance routed end to end through the real Prefect flows, with
the synthetic alliance's simulated providers, QA officers, reviewers and approvers
(`qa_engine.synthetic`)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_engine.cli.common import console
from qa_engine.config import packaged

SAMPLES = packaged("qa_engine.samples", "credentials.json")
SEED = 42
REVIEWERS_PER_INSTITUTION = 2
SIMULATED_DAYS = 120  # the call starts this long ago on the engine's clock (it runs ~100 days): dates in the past

# What the simulated people aim at for each sample, in order (cycled): the outcomes must differ.
PLANS = ["approved", "approved_with_conditions", "revision_then_approved", "rejected", "disagreement",
         "approved", "approved_with_conditions", "rejected", "revision_then_approved", "approved"]


def run_demo(data_dir: Path | None) -> None:
    from qa_engine.cli.main import _use_data_dir, initialise_all

    target = (data_dir or Path("var") / "demo").resolve()
    if target.exists():
        shutil.rmtree(target)
    _use_data_dir(target)

    from qa_engine.adapters.credential_io import read_json, write_credentials_xlsx
    from qa_engine.services.context import now, set_clock
    from qa_engine.store.db import session_scope
    from qa_engine.synthetic import SyntheticAlliance
    from qa_engine.workflows.flows import advance_cases, intake_flow, sweep_flow

    console.rule("[bold]qa-engine demo: a 4EU+ call routed through the real Prefect flows")
    for line in initialise_all():
        console.print(f"[dim]{line}[/]")
    alliance = SyntheticAlliance(seed=SEED)
    with session_scope() as s:
        staff = alliance.staff(s, reviewers_per_institution=REVIEWERS_PER_INSTITUTION)
    items = read_json(SAMPLES, max_bytes=5_000_000)
    sheet = write_credentials_xlsx(target / "call-2026.xlsx", items)

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("[dim]step {task.completed}"),
                        TimeElapsedColumn(), console=console, transient=False)
    started = now() - timedelta(days=SIMULATED_DAYS)
    set_clock(started)
    try:
        with progress:
            task = progress.add_task("starting the local Prefect engine and importing the call", total=None)
            result = asyncio.run(intake_flow(str(sheet)))
            case_ids: list[int] = result["cases"]
            progress.update(task, advance=1, description=f"{len(case_ids)} cases opened and screened")
            behaviour = alliance.behaviour(staff, manage_clock=True,
                                           plans={cid: PLANS[i % len(PLANS)] for i, cid in enumerate(case_ids)})
            behaviour.run(case_ids, uow=session_scope,
                          advance=lambda ids: asyncio.run(advance_cases(ids)),
                          sweep=lambda: asyncio.run(sweep_flow()),
                          on_step=lambda message: progress.update(task, advance=1, description=message))
            progress.update(task, description="done")
    finally:
        set_clock(None)
    _summary(target, case_ids, staff)


def _summary(target: Path, case_ids: list[int], staff) -> None:
    from qa_engine.adapters.report_files import verify_bytes
    from qa_engine.services.audit import verify
    from qa_engine.store import case_repo
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import session_scope

    table = Table(title="Cases of the demo call")
    widths = {"#": 2, "inst": 5, "rnd": 3, "reviews": 7, "score": 5, "outcome": 15, "PDF ok": 6}
    title_width = max(8, min(30, console.width - sum(widths.values()) - 3 * (len(widths) + 1) - 2))
    for col in ("#", "credential", *list(widths)[1:]):
        table.add_column(col, no_wrap=True, overflow="ellipsis", width=title_width if col == "credential" else None,
                         min_width=widths.get(col))
    verified = 0
    files: list[str] = []
    statuses: dict[str, int] = {}
    reminders = extra = 0
    with session_scope() as s:
        codes = {i.id: i.code for i in repo.list_institutions(s)}
        for cid in case_ids:
            case = case_repo.get_case(s, cid)
            cred = repo.get_credential(s, case.credential_id)
            cons = case_repo.latest_consolidation(s, cid, case.round) or case_repo.latest_consolidation(s, cid, case.round - 1)
            ok = 0
            rows = [r for r in case_repo.reports_of(s, cid) if r.path]
            for r in rows:
                files.append(r.path)
                if r.kind == "pdf":
                    ok += verify_bytes(Path(r.path).read_bytes(), session=s).ok
            verified += ok
            pdfs = sum(1 for r in rows if r.kind == "pdf")
            asg = case_repo.assignments_of(s, cid)
            for a in asg:
                statuses[a.status] = statuses.get(a.status, 0) + 1
                reminders += a.reminders_sent
            extra += case.extra_reviewers_requested
            table.add_row(str(cid), cred.title, codes.get(case.institution_id, ""), str(case.round),
                          str(len(case_repo.reviews_of(s, cid, submitted_only=True))),
                          f"{cons.overall:.2f}" if cons and cons.overall is not None else "-",
                          (case.outcome or case.state).replace("approved_with_conditions", "with conditions").replace("_", " "),
                          f"{ok}/{pdfs}" if pdfs else "-")
        conflicts = len(case_repo.conflicts_of_users(s, list(staff.reviewers)))
        count, problems = verify(s)
    console.print(table)
    console.print(f"people: {len(staff.everyone)} accounts of the synthetic alliance (seed {SEED}): "
                  f"{len(staff.officers)} QA officers, {len(staff.approvers)} approvers, leadership, an admin, "
                  f"{len(staff.providers)} providers, {len(staff.reviewers)} reviewers")
    console.print(f"reviewing: {sum(statuses.values())} invitation(s), {statuses.get('declined', 0)} declined "
                  f"({conflicts} with a conflict of interest declared), {reminders} reminder(s), "
                  f"{statuses.get('replaced', 0)} late reviewer(s) replaced by the sweep, "
                  f"{extra} extra reviewer(s) called in on disagreement")
    console.print(f"reports: {verified} signed PDF(s) verified by the engine, {len(files)} file(s) in {target / 'reports'}")
    console.print(f"mail: {len(list((target / 'outbox').glob('*.eml')))} message(s) in {target / 'outbox'}")
    console.print(f"audit trail: {count} events, {'intact' if not problems else 'BROKEN'}")
    console.print(f"data folder: {target} (try: QA_DATA_DIR={target} .venv/bin/qa-engine cases list)")
