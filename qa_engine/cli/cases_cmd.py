"""The review cycle from the command line: cases, assignment, reviews, decisions, audit, sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from qa_engine.cli.common import _, console, handle_errors, in_language, ngettext
from qa_engine.domain.case_states import CaseState
from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.services.actors import acting_user
from qa_engine.services.rows import saved_id
from qa_engine.store import case_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope

cases_app = typer.Typer(help="Review cases.", no_args_is_help=True)
review_app = typer.Typer(help="Reviews: answer invitations, submit scores.", no_args_is_help=True)
self_app = typer.Typer(help="The provider's self-assessment.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)

AS_OPTION = typer.Option(
    None, "--as", envvar="QA_ACTOR", help="Act as this user (username); default: the engine itself"
)


def kick_cases(case_ids: list[int]) -> None:
    from qa_engine.workflows.kick import kick

    with console.status(_("advancing the case(s) through the automated stages…")) as shown:
        note = kick(case_ids, on_start=lambda: shown.update(_(STARTING)))
    console.print(f"[dim]{escape(in_language(note))}[/]")


STARTING = N_(
    "starting the local Prefect server of this data folder "
    "(the first time it creates its database: up to a minute)…"
)


def run_flow(name: str, status: str, **params: Any) -> Any:
    """Run a flow (in the local Prefect server, started on first need), with a status line
    meanwhile."""
    from qa_engine.workflows.kick import run_flow as run

    with console.status(status) as shown:
        return run(name, on_start=lambda: shown.update(_(STARTING)), **params)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(N_("%(path)s: file not found"), path=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            N_("%(path)s: not valid JSON (%(error)s)"), path=path, error=exc
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(N_("%(path)s: expected a JSON object"), path=path)
    return data


@cases_app.command("list")
@handle_errors
def list_cases(
    state: list[str] | None = typer.Option(None, help="Only these states"),
    as_: str | None = AS_OPTION,
) -> None:
    """List the cases (those the acting user may see)."""
    from qa_engine.services.case_views import cases_page

    with session_scope() as s:
        page = cases_page(
            session=s, actor=acting_user(session=s, username=as_), states=state or None, limit=None
        )
        table = Table(title=_("Cases (%(num)s)") % {"num": page.total})
        for col in (
            _("case"),
            _("credential"),
            _("institution"),
            _("state"),
            _("round"),
            _("outcome"),
            _("since"),
        ):
            table.add_column(col)
        for row in page.rows:
            c = row.case
            table.add_row(
                str(c.id),
                row.credential_title or "?",
                row.institution,
                c.state,
                str(c.round),
                c.outcome or "",
                c.state_since.strftime("%Y-%m-%d %H:%M"),
            )
    console.print(table)


@cases_app.command("show")
@handle_errors
def show_case(case_id: int, as_: str | None = AS_OPTION) -> None:
    """Show one case: credential, state, reviewers, consolidation, decisions, reports, history."""
    from qa_engine.services.case_views import case_detail, case_history

    with session_scope() as s:
        actor = acting_user(session=s, username=as_)
        d = case_detail(session=s, actor=actor, case_id=case_id)
        history = case_history(session=s, actor=actor, case_id=case_id)
        case = d.case
        console.rule(
            escape(_("case %(id)s: %(title)s") % {"id": case.id, "title": d.credential.title})
        )
        console.print(
            _("state %(state)s (round %(round)s) since %(since)s; outcome %(outcome)s")
            % {
                "state": f"[bold]{case.state}[/]",
                "round": case.round,
                "since": f"{case.state_since:%Y-%m-%d %H:%M}",
                "outcome": case.outcome or "-",
            }
        )
        if case.screening_problems:
            console.print("[yellow]" + _("screening problems:") + "[/]")
            for p in case.screening_problems:
                console.print(f"  - {p}")
        table = Table(title=_("Assignments"))
        for col in ("id", _("round"), _("reviewer"), _("status"), _("due")):
            table.add_column(col)
        for line in d.assignments:
            a = line.assignment
            who = f"{line.label} ({line.reviewer_name})" if line.reviewer_name else line.label
            table.add_row(
                str(a.id),
                str(a.round),
                who,
                a.status,
                a.due_at.strftime("%Y-%m-%d") if a.due_at else "",
            )
        console.print(table)
        cons = d.consolidation
        if cons:
            console.print(
                _(
                    "consolidation (pass %(pass_no)s): overall %(overall)s, agreement "
                    "%(agreement)s (Krippendorff's alpha: %(label)s), recommended %(outcome)s, "
                    "disagreement on %(disagreement)s"
                )
                % {
                    "pass_no": cons.pass_no,
                    "overall": f"{cons.overall:.3f}",
                    "agreement": cons.data.get("agreement_summary") or "-",
                    "label": cons.data.get("agreement_label"),
                    "outcome": cons.recommended_outcome,
                    "disagreement": ", ".join(cons.data.get("disagreement", [])) or _("nothing"),
                }
            )
        for dec in d.decisions:
            console.print(
                _("decision round %(round)s: %(outcome)s — %(rationale)s")
                % {
                    "round": dec.round,
                    "outcome": f"[bold]{dec.outcome}[/]",
                    "rationale": dec.rationale,
                }
                + (
                    _("; conditions: %(conditions)s") % {"conditions": "; ".join(dec.conditions)}
                    if dec.conditions
                    else ""
                )
            )
        for r in d.reports:
            console.print(
                _("report %(id)s (%(kind)s, %(status)s): %(path)s")
                % {"id": r.report_id, "kind": r.kind, "status": r.status, "path": r.path or "-"}
            )
        hist = Table(title=_("History"))
        for col in ("#", _("when"), _("who"), _("what")):
            hist.add_column(col)
        for ev in history:
            hist.add_row(str(ev.seq), ev.at.strftime("%Y-%m-%d %H:%M:%S"), ev.who, ev.action)
        console.print(hist)


@cases_app.command("open")
@handle_errors
def open_(
    credential_id: int,
    rubric: str = typer.Option("4eu-mici", help="Rubric id"),
    as_: str | None = AS_OPTION,
) -> None:
    """Open a review case for a credential's current version."""
    from qa_engine.services.cases import open_case

    with session_scope() as s:
        case = open_case(
            session=s,
            actor=acting_user(session=s, username=as_),
            credential_id=credential_id,
            rubric_id=rubric,
        )
        case_id = saved_id(case)
    console.print(_("opened case %(id)s") % {"id": case_id})
    kick_cases([case_id])


@cases_app.command("withdraw")
@handle_errors
def withdraw(
    case_id: int, reason: str = typer.Option(..., help="Why"), as_: str | None = AS_OPTION
) -> None:
    """Withdraw a case."""
    from qa_engine.services.cases import withdraw_case

    with session_scope() as s:
        withdraw_case(
            session=s, actor=acting_user(session=s, username=as_), case_id=case_id, reason=reason
        )
    console.print(_("case %(id)s withdrawn") % {"id": case_id})


@cases_app.command("resubmit")
@handle_errors
def resubmit(case_id: int, as_: str | None = AS_OPTION) -> None:
    """Send a returned case through screening again with the credential's newest version."""
    from qa_engine.services.cases import resubmit_case

    with session_scope() as s:
        resubmit_case(session=s, actor=acting_user(session=s, username=as_), case_id=case_id)
    kick_cases([case_id])


@cases_app.command("revise")
@handle_errors
def revise(
    case_id: int,
    file: Path | None = typer.Option(
        None, "--file", "-f", help="The revised credential (.xlsx or .json), imported first"
    ),
    version: int | None = typer.Option(
        None, "--version", help="A stored version of the credential (default: the newest)"
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help="With --file: also store new versions of other credentials under review",
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """After a revision request, submit the revised credential into the case's new round (the
    round's self-assessment, reviews and report then use it)."""
    if file is not None and version is not None:
        raise ValidationFailed(N_("give either --file or --version, not both"))
    if file is not None:
        from qa_engine.cli.credentials_cmd import import_file

        import_file(file, as_, case_id=case_id, yes=yes)
    else:
        from qa_engine.services.cases import submit_revision

        with session_scope() as s:
            submitted = submit_revision(
                session=s,
                actor=acting_user(session=s, username=as_),
                case_id=case_id,
                number=version,
            )
            number = submitted.number
        console.print(
            _("case %(id)s: its new round reviews version %(number)s of the credential")
            % {"id": case_id, "number": number}
        )
    _print_changes(case_id, as_)


def _print_changes(case_id: int, as_: str | None) -> None:
    from qa_engine.services.case_views import case_detail

    with session_scope() as s:
        d = case_detail(session=s, actor=acting_user(session=s, username=as_), case_id=case_id)
        changes = d.changes
        if changes is None:
            return
        table = Table(
            title=f"Changes since round {changes.round - 1} (version {changes.before.number})"
        )
        for col in ("element", "before", "after"):
            table.add_column(col)
        for c in changes.changes:
            name = f"{c.element} {c.label}" if c.element else c.label
            if c.is_list:
                table.add_row(
                    name,
                    "\n".join(f"- {v}" for v in c.removed) or "—",
                    "\n".join(f"+ {v}" for v in c.added) or "—",
                )
            else:
                table.add_row(name, c.before, c.after)
    console.print(table)


VERSION_OPTION = typer.Option(
    None,
    "--version",
    min=0,
    help="The draft version the file was made from (0: no draft yet); a draft saved since is "
    'refused. Default: the file\'s "version", else the draft as it is now',
)


def _draft_version(file: Path, data: dict[str, Any], option: int | None) -> int | None:
    """The draft version a JSON file says it was made from (`--version` wins), if any."""
    if option is not None:
        return option
    value = data.get("version")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(
            N_("%(file)s: 'version' must be a whole number, 0 or more"), file=file
        )
    return value


@self_app.command("submit")
@handle_errors
def self_submit(
    case_id: int,
    file: Path,
    draft: bool = typer.Option(False, help="Save without submitting"),
    version: int | None = VERSION_OPTION,
    as_: str | None = AS_OPTION,
) -> None:
    """Save or submit a self-assessment from a JSON file
    {"summary": …, "entries": {criterion: {score, narrative, evidence}}, "version": N}."""
    from qa_engine.services.self_assessments import (
        save_self_assessment,
        self_assessment_view,
    )

    data = _read_json(file)
    with session_scope() as s:
        actor = acting_user(session=s, username=as_)
        expected = _draft_version(file, data, version)
        if expected is None:  # the file replaces the draft as it is now
            sa = self_assessment_view(session=s, actor=actor, case_id=case_id).self_assessment
            expected = sa.version if sa else 0
        save_self_assessment(
            session=s,
            actor=actor,
            case_id=case_id,
            entries=data.get("entries", {}),
            summary=data.get("summary", ""),
            submit=not draft,
            expected_version=expected,
        )
    console.print(
        (
            _("self-assessment of case %(id)s saved")
            if draft
            else _("self-assessment of case %(id)s submitted")
        )
        % {"id": case_id}
    )
    if not draft:
        kick_cases([case_id])


def assign(
    case_ids: list[int] | None = typer.Argument(
        None, help="Case ids (none: every case waiting for reviewers)"
    ),
    reviewer: list[str] | None = typer.Option(
        None, help="Reviewer username (repeat); none: show the proposals"
    ),
    auto: bool = typer.Option(
        False, help="Assign the engine's proposals (one optimisation over all the cases)"
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Show the engine's proposals, or confirm reviewers (by name or --auto)
    for one or many cases."""
    from qa_engine.services import assignments
    from qa_engine.services.dashboard import cases_needing_reviewers

    with session_scope() as s:
        actor = acting_user(session=s, username=as_)
        ids = list(case_ids or []) or [
            row.case_id for row in cases_needing_reviewers(session=s, actor=actor)
        ]
        if not ids:
            console.print(_("no case is waiting for reviewers"))
            return
        if reviewer:
            if len(ids) != 1:
                raise ValidationFailed(N_("name reviewers for exactly one case"))
            users = []
            for name in reviewer:
                u = repo.get_user_by_username(s, name)
                if u is None:
                    raise NotFound(N_("no user %(name)s"), name=name)
                users.append(saved_id(u))
            created = assignments.assign(
                session=s,
                actor=actor,
                case_id=ids[0],
                reviewer_ids=users,
                reason="chosen by the QA office",
            )
            console.print(
                ngettext(
                    "case %(id)s: invited %(num)s reviewer",
                    "case %(id)s: invited %(num)s reviewers",
                    len(created),
                )
                % {"id": ids[0], "num": len(created)}
            )
        elif auto:
            plans = assignments.auto_assign(session=s, case_ids=ids, actor=actor)
            for cid, plan in plans.items():
                console.print(
                    f"case {cid}: invited {', '.join(p.name for p in plan.proposals) or 'nobody'}"
                    + (f" — {plan.note}" if plan.note else "")
                )
        else:
            for cid in ids:
                plan, ranked = assignments.propose(session=s, actor=actor, case_id=cid)
                table = Table(title=f"Case {cid}: proposal ({plan.needed} needed) {plan.note}")
                for col in ("reviewer", "score", "why"):
                    table.add_column(col)
                for p in plan.proposals:
                    table.add_row(p.name, f"{p.score:.1f}", "; ".join(p.reasons))
                console.print(table)
                blocked = Table(title="Blocked")
                blocked.add_column("reviewer")
                blocked.add_column("hard rules")
                for b in plan.blocked:
                    blocked.add_row(b.name, "; ".join(b.reasons))
                console.print(blocked)
            return
    kick_cases(ids)


@review_app.command("respond")
@handle_errors
def respond(
    assignment_id: int,
    accept: bool = typer.Option(..., "--accept/--decline"),
    conflict: bool = typer.Option(False, help="Declare a conflict of interest (with --decline)"),
    reason: str = typer.Option("", help="Why (required to decline)"),
    as_: str | None = AS_OPTION,
) -> None:
    """Accept or decline an invitation."""
    from qa_engine.services.assignments import respond as respond_service

    with session_scope() as s:
        asg = respond_service(
            session=s,
            actor=acting_user(session=s, username=as_),
            assignment_id=assignment_id,
            accept=accept,
            conflict=conflict,
            reason=reason,
        )
        case_id = asg.case_id
        due = asg.due_at
    if accept and due is not None:
        console.print(
            _("invitation %(id)s accepted: your review of case %(case)s is due %(due)s")
            % {"id": assignment_id, "case": case_id, "due": f"{due:%Y-%m-%d}"}
        )
    else:
        console.print(
            (_("invitation %(id)s accepted") if accept else _("invitation %(id)s declined"))
            % {"id": assignment_id}
        )
    if not accept:
        kick_cases([case_id])


@review_app.command("submit")
@handle_errors
def review_submit(
    file: Path,
    draft: bool = typer.Option(False, help="Save without submitting"),
    version: int | None = VERSION_OPTION,
    as_: str | None = AS_OPTION,
) -> None:
    """Submit a review from a JSON file:
    {"assignment_id": N, "entries": {criterion: {score, comment}},
    "recommendation": "approved", "overall_comment": "…", "version": N}."""
    from qa_engine.services.case_views import my_review
    from qa_engine.services.reviews import save_review

    data = _read_json(file)
    if not isinstance(data.get("assignment_id"), int):
        raise ValidationFailed(N_("%(file)s: 'assignment_id' (a number) is required"), file=file)
    with session_scope() as s:
        actor = acting_user(session=s, username=as_)
        expected = _draft_version(file, data, version)
        if expected is None:  # the file replaces the draft as it is now
            current = my_review(session=s, actor=actor, assignment_id=data["assignment_id"])
            expected = current.review.version if current.review else 0
        review = save_review(
            session=s,
            actor=actor,
            assignment_id=data["assignment_id"],
            entries=data.get("entries", {}),
            recommendation=data.get("recommendation"),
            overall_comment=data.get("overall_comment", ""),
            submit=not draft,
            expected_version=expected,
        )
        case_id = review.case_id
    console.print(
        (_("review for case %(id)s saved") if draft else _("review for case %(id)s submitted"))
        % {"id": case_id}
    )
    if not draft:
        kick_cases([case_id])


def decide(
    case_id: int,
    outcome: str = typer.Option(
        ..., help="approved | approved_with_conditions | revision_requested | rejected"
    ),
    rationale: str = typer.Option(..., help="Why"),
    condition: list[str] | None = typer.Option(None, help="A condition (repeat)"),
    version: int | None = typer.Option(
        None,
        "--version",
        help="The case version you decided on (`qa-engine case show`); a changed case is refused. "
        "Default: the case as it is now",
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Decide on a case in approval."""
    from qa_engine.services.decisions import decide as decide_service

    with session_scope() as s:
        d = decide_service(
            session=s,
            actor=acting_user(session=s, username=as_),
            case_id=case_id,
            outcome=outcome,
            rationale=rationale,
            conditions=condition or [],
            expected_version=version,
        )
        console.print(
            _("case %(id)s round %(round)s: %(outcome)s")
            % {"id": case_id, "round": d.round, "outcome": d.outcome}
        )
    kick_cases([case_id])


@audit_app.command("verify")
@handle_errors
def audit_verify() -> None:
    """Check every link of the audit chain (exit 1 if an event was edited, deleted or inserted)."""
    from qa_engine.services.audit import verify

    with session_scope() as s:
        count, problems = verify(s)
    if problems:
        for p in problems:
            print(p)
        said = ngettext(
            "%(num)s problem in %(events)s events",
            "%(num)s problems in %(events)s events",
            len(problems),
        ) % {"num": len(problems), "events": count}
        console.print("[bold red]" + _("audit trail broken") + f"[/]: {said}")
        raise typer.Exit(1)
    console.print(
        "[green]"
        + _("audit trail intact")
        + "[/]: "
        + _("%(events)s events, every link verified") % {"events": count}
    )


def advance(
    case_ids: list[int] | None = typer.Argument(None, help="Case ids (none: every open case)"),
) -> None:
    """Run the automated stages of these cases now: one flow run (in the local Prefect server),
    or, in deployment mode (QA_PREFECT_MODE=deployment), as runs of the advance-case deployment
    on the workers."""
    from qa_engine.config import get_settings

    with session_scope() as s:
        ids = (
            list(case_ids)
            if case_ids
            else [saved_id(c) for c in case_repo.list_cases(s) if CaseState(c.state).open]
        )
    if get_settings().prefect_mode == "deployment":
        from qa_engine.workflows.kick import kick

        console.print(in_language(kick(ids)), markup=False)
        return
    result = run_flow("advance_cases", f"advancing {len(ids)} case(s)…", case_ids=ids)
    moved = {cid: steps for cid, steps in result.items() if steps}
    console.print(
        ngettext("%(moved)s of %(num)s case moved", "%(moved)s of %(num)s cases moved", len(ids))
        % {"moved": len(moved), "num": len(ids)}
    )
    for cid, steps in moved.items():
        console.print("  " + _("case %(id)s: %(step)s") % {"id": cid, "step": steps[-1]})


def sweep() -> None:
    """Run the sweep now: deadlines, reminders, replacements, expired approvals, stalled cases."""
    result = run_flow("sweep", "sweeping…")
    console.print(result["summary"])
    advanced = len([v for v in result["advanced"].values() if v])
    console.print(
        ngettext(
            "advanced: %(num)s case; mail sent: %(sent)s, failed: %(failed)s",
            "advanced: %(num)s cases; mail sent: %(sent)s, failed: %(failed)s",
            advanced,
        )
        % {"num": advanced, **result["delivered"]}
    )
