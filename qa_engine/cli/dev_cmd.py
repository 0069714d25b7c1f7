"""``qa-engine dev …``: development tools (a seeded synthetic alliance)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from qa_engine.cli.common import _, console, handle_errors, in_language, ngettext

if TYPE_CHECKING:  # imported when a command runs: the command line starts fast
    from qa_engine.synthetic import Rates, Staff, SyntheticAlliance

SIMULATED_DAYS = 150  # with --simulate the engine's clock starts this long ago

app = typer.Typer(
    help="Development tools: a synthetic alliance for trying the engine out.", no_args_is_help=True
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command("generate")
@handle_errors
def generate(
    credentials: int = typer.Option(20, "--credentials", min=0, help="Credentials to create"),
    reviewers_per_institution: int = typer.Option(
        4, "--reviewers-per-institution", min=0, help="Reviewers per institution"
    ),
    seed: int = typer.Option(42, help="Same seed, same alliance"),
    simulate: bool = typer.Option(
        False,
        "--simulate/--no-simulate",
        help="Open a case per new credential and route it to its decision and reports, "
        "with simulated people (in-process, no Prefect server)",
    ),
    decline_rate: float = typer.Option(
        0.12, min=0.0, max=1.0, help="With --simulate: invitations declined"
    ),
    late_rate: float = typer.Option(
        0.15, min=0.0, max=1.0, help="With --simulate: reviews that come in late"
    ),
    disagreement_rate: float = typer.Option(
        0.2, min=0.0, max=1.0, help="With --simulate: rounds in which reviewers disagree"
    ),
    history: int = typer.Option(
        0,
        "--history",
        min=0,
        help="Also write N decided cases of history with bulk inserts (for reports)",
    ),
    data_dir: Path | None = typer.Option(None, help="Override QA_DATA_DIR"),
) -> None:
    """Seed a synthetic alliance: staff of the eight institutions, reviewers with expertise and load
    limits, plausible credentials; optionally live cases routed by simulated people, and history."""
    from datetime import timedelta

    from qa_engine.cli.main import _use_data_dir, initialise_all
    from qa_engine.domain import clock
    from qa_engine.services.context import now, set_clock
    from qa_engine.store.db import session_scope
    from qa_engine.synthetic import Rates, SyntheticAlliance

    if data_dir is not None:
        _use_data_dir(data_dir)
    if (
        simulate
    ):  # the set-up, people, credentials and cases of a simulated call date from its start
        set_clock(now() - timedelta(days=SIMULATED_DAYS))
    try:
        for line in initialise_all():
            console.print(f"[dim]{escape(in_language(line))}[/]")
        alliance = SyntheticAlliance(seed=seed)
        if simulate:  # the engine's own steps take minutes to hours of the simulated call
            clock.set_pace(alliance.pace())
        with session_scope() as s:
            staff = alliance.staff(s, reviewers_per_institution=reviewers_per_institution)
        console.print(
            _(
                "people: %(accounts)s accounts (%(new)s new): %(officers)s QA officers"
                " (officer …), %(approvers)s approvers (approver …), leader, admin,"
                " %(providers)s providers (provider.cuni …), %(reviewers)s reviewers"
            )
            % {
                "accounts": len(staff.everyone),
                "new": staff.created,
                "officers": len(staff.officers),
                "approvers": len(staff.approvers),
                "providers": len(staff.providers),
                "reviewers": len(staff.reviewers),
            }
        )
        created: list[int] = []
        if credentials:
            with _progress() as progress:
                task = progress.add_task(_("credentials"), total=credentials)
                outcomes: dict[str, int] = {}
                for index in range(credentials):
                    with session_scope() as s:
                        ((cid, outcome),) = alliance.save_credentials(s, [index])
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    if outcome != "unchanged":
                        created.append(cid)
                    progress.advance(task)
            console.print(
                _("credentials:")
                + " "
                + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in sorted(outcomes.items()))
            )
        if simulate:
            _simulate(
                alliance,
                staff,
                created,
                Rates(
                    decline_rate=decline_rate,
                    late_rate=late_rate,
                    disagreement_rate=disagreement_rate,
                ),
            )
    finally:
        if simulate:
            set_clock(None)
    if history:
        _history(history, seed)


def _simulate(
    alliance: SyntheticAlliance, staff: Staff, credential_ids: list[int], rates: Rates
) -> None:
    from collections import Counter

    from qa_engine.services.context import set_clock
    from qa_engine.services.sweep import sweep
    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope
    from qa_engine.workflows.flows import drive_in_process

    with session_scope() as s:
        fresh = [
            cid for cid in credential_ids if case_repo.open_case_for_credential(s, cid) is None
        ]
    if not fresh:
        console.print(_("cases: none to simulate (no new credential without an open case)"))
        return

    def advance(ids: list[int]) -> None:
        for cid in ids:
            drive_in_process(cid)
            progress.advance(task)

    def run_sweep() -> None:
        with session_scope() as s:
            result = sweep(session=s)
        advance(sorted(result.to_advance))

    # the engine's clock is already on the call's simulated start (`generate`)
    behaviour = alliance.behaviour(staff, rates=rates, manage_clock=True)
    try:
        with _progress() as progress:
            task = progress.add_task(_("opening and screening cases"), total=None)
            with session_scope() as s:
                case_ids = alliance.open_cases(s, fresh, staff=staff)
            advance(case_ids)
            behaviour.run(
                case_ids,
                uow=session_scope,
                advance=advance,
                sweep=run_sweep,
                on_step=lambda message: progress.update(task, description=message),
            )
    finally:
        set_clock(None)
    with session_scope() as s:
        states = Counter((c.outcome or c.state) for c in case_repo.list_cases(s, case_ids=case_ids))
    console.print(
        ngettext("cases: %(num)s simulated:", "cases: %(num)s simulated:", len(case_ids))
        % {"num": len(case_ids)}
        + " "
        + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in sorted(states.items()))
    )


def _history(n: int, seed: int) -> None:
    from qa_engine.adapters.translations import format_decimal
    from qa_engine.cli.common import cli_language
    from qa_engine.store.db import get_engine
    from qa_engine.synthetic.history import generate as write_history

    engine = get_engine()
    with _progress() as progress:
        task = progress.add_task(
            ngettext("history of %(num)s decided case", "history of %(num)s decided cases", n)
            % {"num": format_decimal(n, cli_language())},
            total=None,
        )

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = write_history(engine, n, seed=seed, tick=tick)
    console.print(_("history:") + f" {result.summary()}")
