"""``qa-engine demo``: a call of the alliance routed end to end through the real Prefect flows, with
the synthetic alliance's simulated providers, QA officers, reviewers and approvers
(`qa_engine.synthetic`)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_engine.cli.common import _, console, ngettext
from qa_engine.config import packaged
from qa_engine.domain.i18n import N_

if TYPE_CHECKING:  # imported when the demo runs: the command line starts fast
    from qa_engine.synthetic import Staff

T = TypeVar("T")

SAMPLES = packaged("qa_engine.samples", "credentials.json")
SEED = 42
REVIEWERS_PER_INSTITUTION = 2
# the call starts this long ago on the engine's clock (it runs ~100 days): dates in the past
SIMULATED_DAYS = 120

# What the simulated people aim at for each sample, in order (cycled): the outcomes must differ.
PLANS = [
    "approved",
    "approved_with_conditions",
    "revision_then_approved",
    "rejected",
    "disagreement",
    "approved",
    "approved_with_conditions",
    "rejected",
    "revision_then_approved",
    "approved",
]


DEMO_MARK = ".qa-engine-demo"
DEMO_PROFILE = "interop-demo.yaml"
_DEMO_INSTITUTIONS = ("CUNI", "UHEI", "UPA", "SU", "UCPH", "UNIMI", "UW", "UNIGE")
_DEMO_COUNTRIES = {"UHEI": "DE", "UPA": "FR", "SU": "FR", "UCPH": "DK", "UNIMI": "IT", "UW": "PL"}


DEMO_REPORT_LANGUAGES = {"CUNI": "cs", "UW": "pl"}


def write_demo_profile(folder: Path) -> Path:
    """Write the demo's interop profile into `folder`: the shipped profile's names and homepages
    plus identifiers that are DEMO VALUES (so that the demo's exports can be made), marked as such;
    return its path."""
    import yaml

    shipped = yaml.safe_load(packaged("qa_engine.workflows", "interop.yaml").read_text("utf-8"))
    office = dict(shipped["qa_office"])
    office.update(
        country="CZ",
        city="Prague",
        email="qa-office@demo.invalid",
        legal_identifier="DEMO-4EUQA-0001",
        deqar_id="9999",
    )
    institutions = {}
    for n, code in enumerate(_DEMO_INSTITUTIONS, start=1):
        ids = dict(shipped["institutions"].get(code) or {})
        country = _DEMO_COUNTRIES.get(code, "CH" if code == "UNIGE" else "CZ")
        ids.update(
            email=f"{code.lower()}@demo.invalid",
            legal_identifier=f"DEMO-{code}-{n:04d}",
            deqar_id=f"DEQARINST99{n:02d}",
            eter_id=f"{country}99{n:02d}",
        )
        institutions[code] = ids
    profile = {
        "note": "DEMO VALUES: every identifier, e-mail address and DEQAR id in this file is made "
        "up for `qa-engine demo`; none is a real identifier of the alliance or its institutions",
        "qa_office": office,
        "deqar_activity_id": "9999",
        "institutions": institutions,
    }
    path = folder / DEMO_PROFILE
    path.write_text(
        "# Written by `qa-engine demo`. DEMO VALUES ONLY: the identifiers below are made up so\n"
        "# that the demo's exports can be made; never use them outside the demo.\n"
        + yaml.safe_dump(profile, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def demo_folder(data_dir: Path | None) -> Path:
    """--data-dir, else QA_DATA_DIR if set, else ./var/demo."""
    if data_dir is None:
        data_dir = (
            Path(os.environ["QA_DATA_DIR"])
            if os.environ.get("QA_DATA_DIR")
            else Path("var") / "demo"
        )
    return data_dir.expanduser().resolve()


def _fresh(target: Path) -> None:
    """Empty the demo's folder: an earlier demo's is replaced; anything else that is not empty is
    refused."""
    from qa_engine.domain.errors import ValidationFailed
    from qa_engine.workflows import local_server

    if target.exists() and not target.is_dir():
        raise ValidationFailed(
            N_("%(path)s is a file, not a folder: give the demo a folder with --data-dir"),
            path=target,
        )
    if target.is_dir() and any(target.iterdir()):
        if not (target / DEMO_MARK).exists():
            raise ValidationFailed(
                N_(
                    "%(path)s is not empty and holds no earlier demo: the demo starts from an "
                    "empty folder (give another one with --data-dir)"
                ),
                path=target,
            )
        local_server.stop(target)  # an earlier demo's server must not write into the new folder
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / DEMO_MARK).write_text(
        "a data folder made by `qa-engine demo`; the next demo replaces it\n"
    )


def run_demo(data_dir: Path | None, *, cases: int = 10) -> None:
    from qa_engine.cli.common import take_children_down
    from qa_engine.cli.main import _use_data_dir, initialise_all
    from qa_engine.config import get_settings
    from qa_engine.domain.errors import ValidationFailed

    if get_settings().env == "production":
        raise ValidationFailed(
            N_(
                "the demo gives its accounts a development password: it does not run with "
                "QA_ENV=production"
            )
        )
    target = demo_folder(data_dir)
    explicit_db = os.environ.get("QA_DATABASE_URL")
    _fresh(target)
    # the exports need identifiers the shipped interop profile leaves empty: the demo's own profile
    # (DEMO VALUES, marked as such) replaces any QA_INTEROP_PROFILE for the demo
    os.environ["QA_INTEROP_PROFILE"] = str(write_demo_profile(target))
    _use_data_dir(target)
    take_children_down()  # the local Prefect server this demo starts ends with it, whatever happens

    from qa_engine.adapters.credential_io import read_json, write_credentials_xlsx
    from qa_engine.domain import clock
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services.context import now, set_clock
    from qa_engine.services.institutions import set_report_language
    from qa_engine.services.users import list_accounts, set_development_password
    from qa_engine.store.db import get_engine, session_scope
    from qa_engine.synthetic import SyntheticAlliance
    from qa_engine.workflows import local_server
    from qa_engine.workflows.kick import local_prefect, prepare_prefect

    settings = get_settings()
    prepare_prefect(settings)
    # Prefect's server starts (a first start migrates its database) while the data folder is set up
    prefect_server = _in_background(
        lambda: None if os.environ.get("PREFECT_API_URL") else local_prefect(settings)
    )
    console.rule("[bold]qa-engine demo: a 4EU+ call routed through the real Prefect flows")
    console.print(_("data folder: %(path)s") % {"path": target})
    console.print(
        _("database:    %(url)s") % {"url": get_engine().url.render_as_string(hide_password=True)}
        + (" (QA_DATABASE_URL)" if explicit_db else "")
    )
    # the whole call, its set-up included, runs on the engine's simulated clock from a past start
    # on (never past the real now), so that the audit trail is in time order from its first event
    started = now() - timedelta(days=SIMULATED_DAYS)
    set_clock(started)
    for line in initialise_all():
        console.print(f"[dim]{line}[/]")
    with session_scope() as s:
        if explicit_db and list_accounts(session=s, actor=SYSTEM):
            raise ValidationFailed(
                N_(
                    "the database named by QA_DATABASE_URL already holds accounts: the demo needs "
                    "an empty database (or leave QA_DATABASE_URL unset to use one in the data "
                    "folder)"
                )
            )
    alliance = SyntheticAlliance(seed=SEED)
    # the engine's own steps (screening, consolidation, reports) take minutes to hours of the call
    clock.set_pace(alliance.pace())
    password = secrets.token_urlsafe(12)
    with session_scope() as s:
        staff = alliance.staff(s, reviewers_per_institution=REVIEWERS_PER_INSTITUTION)
        set_development_password(
            session=s,
            actor=SYSTEM,
            usernames=[a.username for a in staff.everyone],
            password=password,
            environment=settings.env,
        )
        # two institutions ask for their case reports also in their own language (issue 17)
        for code, language in DEMO_REPORT_LANGUAGES.items():
            set_report_language(session=s, code=code, language=language)
    items = read_json(SAMPLES, max_bytes=5_000_000)[:cases]
    sheet = write_credentials_xlsx(target / "call-2026.xlsx", items)

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[dim]step {task.completed}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    try:
        with progress:
            task = progress.add_task(
                "waiting for the local Prefect server of the demo's data folder (a first start "
                "creates its database: up to a minute)",
                total=None,
            )
            info = prefect_server()
            if info is not None:
                os.environ["PREFECT_API_URL"] = info.api_url
            from qa_engine.workflows.flows import advance_cases, intake_flow, sweep_flow

            progress.update(task, description="importing the call")
            result = asyncio.run(intake_flow(str(sheet)))
            case_ids: list[int] = result["cases"]
            progress.update(
                task, advance=1, description=f"{len(case_ids)} cases opened and screened"
            )
            behaviour = alliance.behaviour(
                staff,
                manage_clock=True,
                plans={cid: PLANS[i % len(PLANS)] for i, cid in enumerate(case_ids)},
            )
            behaviour.run(
                case_ids,
                uow=session_scope,
                advance=lambda ids: asyncio.run(advance_cases(ids)),
                sweep=lambda: asyncio.run(sweep_flow()),
                on_step=lambda message: progress.update(task, advance=1, description=message),
            )
            progress.update(task, description="done")
    finally:
        set_clock(None)
        local_server.stop(target)
    _summary(target, case_ids, staff)
    _exports(target, case_ids)
    _accounts(staff, password, target, case_ids)


def _exports(target: Path, case_ids: list[int]) -> list[Path]:
    """Print where the interop exports of the call's approved cases are (beside their reports),
    each checked against the SHA-256 the engine recorded; return their paths."""
    import hashlib

    from qa_engine.domain.outcomes import APPROVING
    from qa_engine.domain.statuses import ReportStatus
    from qa_engine.services.reporting import EXPORT_KINDS
    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope

    paths: list[Path] = []
    problems: list[str] = []
    with session_scope() as s:
        for cid in case_ids:
            case = case_repo.get_case(s, cid)
            if case is None or case.outcome not in APPROVING:
                continue
            for row in case_repo.reports_of(s, cid):
                if row.kind not in EXPORT_KINDS:
                    continue
                if row.status != ReportStatus.GENERATED or not row.path:
                    problems.append(f"case {cid}: {row.report_id} not made: {row.error}")
                    continue
                path = Path(row.path)
                if hashlib.sha256(path.read_bytes()).hexdigest() != row.sha256:
                    problems.append(f"case {cid}: {path} differs from the file the engine made")
                    continue
                paths.append(path)
    console.print(
        ngettext(
            "exports: %(num)s file of the approved cases (ELM Qualification and sample EDC, "
            "sealed; Open Badges 3.0 VC-JWT; DEQAR record), each validated against its format "
            "before it was written, beside their reports:",
            "exports: %(num)s files of the approved cases (ELM Qualification and sample EDC, "
            "sealed; Open Badges 3.0 VC-JWT; DEQAR record), each validated against its format "
            "before it was written, beside their reports:",
            len(paths),
        )
        % {"num": len(paths)}
    )
    here = Path.cwd()
    for path in paths:
        shown = path.relative_to(here) if path.is_relative_to(here) else path
        console.print(f"  {shown}", soft_wrap=True)  # one path a line, never wrapped
    for line in problems:
        console.print(f"[bold red]  {line}[/]")
    console.print(
        _(
            "interop profile: %(path)s: its identifiers (DEQAR, eIDAS, ETER ids, e-mail "
            "addresses) are DEMO VALUES, made up for the demo"
        )
        % {"path": target / DEMO_PROFILE}
    )
    return paths


def _in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` in a daemon thread; the returned call waits for its result (or raises its
    error).

    A daemon thread: a demo that fails meanwhile exits at once (its children are taken down)."""
    import threading

    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            errors.append(exc)

    thread = threading.Thread(target=run, name="prefect-start", daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        if errors:
            raise errors[0]
        return results[0]

    return wait


def _accounts(staff: Staff, password: str, target: Path, case_ids: list[int]) -> None:
    """Who to sign in as, and how to open the web app on the demo's data."""
    from collections import Counter

    from qa_engine.store import case_repo
    from qa_engine.store.db import session_scope

    with session_scope() as s:
        # the reviewer with the most reviews in the call has the most to show
        load = Counter(a.reviewer_id for cid in case_ids for a in case_repo.assignments_of(s, cid))
    busiest = staff.reviewers.get(load.most_common(1)[0][0]) if load else None
    reviewer = busiest or next(iter(staff.reviewers.values()))
    rows = [
        ("QA officer", staff.officer.username),
        ("reviewer", reviewer.username),
        ("approver", staff.approver.username),
        ("leadership", staff.leader.username),
        ("admin", staff.admins[0].username if staff.admins else "-"),
        ("provider", next(iter(staff.providers.values())).username),
    ]
    table = Table(title="Sign in to the web app as")
    table.add_column("role")
    table.add_column("username")
    for role, name in rows:
        table.add_row(role, name)
    console.print(table)
    console.print(
        _("password of every demo account (development only, shown this once): %(password)s")
        % {"password": f"[bold]{password}[/]"}
    )
    here = Path.cwd()
    shown = target.relative_to(here) if target.is_relative_to(here) else target
    qa = command_name()
    console.print(
        _("open the web app on the demo's data:  %(command)s  (then %(url)s)")
        % {"command": f"[bold]{qa} serve --data-dir {shown}[/]", "url": "http://127.0.0.1:8000/"}
    )
    console.print(
        _("or use the command line on it:       %(command)s")
        % {"command": f"{qa} --data-dir {shown} cases list"}
    )


def command_name() -> str:
    """How the person who ran this command runs it again: `qa-engine` when that is on their PATH,
    else the path they used (e.g. `.venv/bin/qa-engine` after `make demo`)."""
    import sys

    used = Path(sys.argv[0])
    on_path = shutil.which("qa-engine")
    if on_path and used.name == "qa-engine" and Path(on_path).resolve() == used.resolve():
        return "qa-engine"
    if used.name != "qa-engine":
        return "qa-engine"
    try:
        return str(used.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(used)


def _summary(target: Path, case_ids: list[int], staff: Staff) -> None:
    from qa_engine.adapters.report_files import signature_checker
    from qa_engine.domain.errors import NotFound
    from qa_engine.domain.statuses import AssignmentStatus
    from qa_engine.services.audit import verify
    from qa_engine.services.report_files import verify_bytes
    from qa_engine.store import case_repo
    from qa_engine.store import repositories as repo
    from qa_engine.store.db import session_scope

    table = Table(title="Cases of the demo call")
    widths = {"#": 2, "inst": 5, "rnd": 3, "reviews": 7, "score": 5, "outcome": 15, "PDF ok": 6}
    title_width = max(8, min(30, console.width - sum(widths.values()) - 3 * (len(widths) + 1) - 2))
    for col in ("#", "credential", *list(widths)[1:]):
        table.add_column(
            col,
            no_wrap=True,
            overflow="ellipsis",
            width=title_width if col == "credential" else None,
            min_width=widths.get(col),
        )
    verified = 0
    check_signature = signature_checker()
    files: list[str] = []
    statuses: dict[str, int] = {}
    translated: dict[str, int] = {}  # signed PDFs in an institution's own language, by language
    reminders = extra = 0
    with session_scope() as s:
        codes = {i.id: i.code for i in repo.list_institutions(s)}
        for cid in case_ids:
            case = case_repo.get_case(s, cid)
            if case is None:
                raise NotFound(N_("case %(id)s not found"), id=cid)
            cred = repo.get_credential(s, case.credential_id)
            if cred is None:
                raise NotFound(N_("credential %(id)s not found"), id=case.credential_id)
            cons = case_repo.latest_consolidation(
                s, cid, case.round
            ) or case_repo.latest_consolidation(s, cid, case.round - 1)
            ok = 0
            rows = case_repo.reports_of(s, cid)
            stored = [(r.kind, r.path) for r in rows if r.path]
            for r in rows:
                if r.kind == "pdf" and r.path and r.language != "en":
                    translated[r.language] = translated.get(r.language, 0) + 1
            for kind, path in stored:
                files.append(path)
                if kind == "pdf":
                    ok += verify_bytes(
                        Path(path).read_bytes(), session=s, check_signature=check_signature
                    ).ok
            verified += ok
            pdfs = sum(1 for kind, _ in stored if kind == "pdf")
            asg = case_repo.assignments_of(s, cid)
            for a in asg:
                statuses[a.status] = statuses.get(a.status, 0) + 1
                reminders += a.reminders_sent
            extra += case.extra_reviewers_requested
            table.add_row(
                str(cid),
                cred.title,
                codes.get(case.institution_id, ""),
                str(case.round),
                str(len(case_repo.reviews_of(s, cid, submitted_only=True))),
                f"{cons.overall:.2f}" if cons and cons.overall is not None else "-",
                (case.outcome or case.state)
                .replace("approved_with_conditions", "with conditions")
                .replace("_", " "),
                f"{ok}/{pdfs}" if pdfs else "-",
            )
        conflicts = len(case_repo.conflicts_of_users(s, list(staff.reviewers)))
        count, problems = verify(s)
    console.print(table)
    console.print(
        _(
            "people: %(num)s accounts of the synthetic alliance (seed %(seed)s): %(officers)s QA "
            "officers, %(approvers)s approvers, leadership, an admin, %(providers)s providers, "
            "%(reviewers)s reviewers"
        )
        % {
            "num": len(staff.everyone),
            "seed": SEED,
            "officers": len(staff.officers),
            "approvers": len(staff.approvers),
            "providers": len(staff.providers),
            "reviewers": len(staff.reviewers),
        }
    )
    console.print(
        _(
            "reviewing: %(invitations)s invitation(s), %(declined)s declined (%(conflicts)s with "
            "a conflict of interest declared), %(reminders)s reminder(s), %(replaced)s late "
            "reviewer(s) replaced by the sweep, %(extra)s extra reviewer(s) called in on "
            "disagreement"
        )
        % {
            "invitations": sum(statuses.values()),
            "declined": statuses.get(AssignmentStatus.DECLINED, 0),
            "conflicts": conflicts,
            "reminders": reminders,
            "replaced": statuses.get(AssignmentStatus.REPLACED, 0),
            "extra": extra,
        }
    )
    console.print(
        _(
            "reports: %(verified)s signed PDF(s) verified by the engine, %(files)s file(s) in "
            "%(path)s"
        )
        % {"verified": verified, "files": len(files), "path": target / "reports"}
    )
    if translated:
        console.print(
            _("reports in the institution's language (%(institutions)s): %(counts)s")
            % {
                "institutions": ", ".join(
                    f"{c} {lang}" for c, lang in DEMO_REPORT_LANGUAGES.items()
                ),
                "counts": ", ".join(f"{lang} {n}" for lang, n in sorted(translated.items())),
            }
        )
    console.print(
        _("mail: %(num)s message(s) in %(path)s")
        % {"num": len(list((target / "outbox").glob("*.eml"))), "path": target / "outbox"}
    )
    console.print(
        (
            _("audit trail: %(num)s events, intact")
            if not problems
            else _("audit trail: %(num)s events, BROKEN")
        )
        % {"num": count}
    )
