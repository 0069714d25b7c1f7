"""``qa-engine reports …``: verify a signed report; make a case's signed report in a language;
write a case's workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from qa_engine.cli.common import _, console, handle_errors
from qa_engine.domain.errors import NotFound, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.store.db import session_scope

if TYPE_CHECKING:
    from sqlmodel import Session

    from qa_engine.store.models import Decision

app = typer.Typer(help="Evaluation reports: verify, workbooks, aggregates.", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify(file: Path = typer.Argument(..., help="A report PDF")) -> None:
    """Check a report's signature and whether the engine issued exactly this file
    (exit 1 unless valid).

    Reads only: it creates no database, data folder or key."""
    from qa_engine.adapters.report_files import signature_checker, trust_roots
    from qa_engine.config import get_settings
    from qa_engine.domain.limits import check_size
    from qa_engine.services.report_files import MAX_VERIFY_BYTES, verify_bytes
    from qa_engine.store.db import database_exists

    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{file}: file not found") from None
    check_size(size, MAX_VERIFY_BYTES, str(file))
    data = file.read_bytes()
    settings = get_settings()
    roots = trust_roots(settings, create=False)
    check_signature = signature_checker(roots)
    register_note = ""
    result = None
    if database_exists(settings.db_url):
        try:
            with session_scope() as s:
                result = verify_bytes(data, session=s, check_signature=check_signature)
        except ValidationFailed:
            raise
        except Exception:  # noqa: BLE001 - the database does not answer: the signature alone still tells
            register_note = _("register: not checked (the database does not answer)")
    else:
        register_note = _("register: not checked (no database at %(url)s)") % {
            "url": settings.db_url
        }
    if result is None:
        result = verify_bytes(data, check_signature=check_signature)
    colour = "green" if result.ok else "red"
    console.print(f"[bold {colour}]{escape(result.headline)}[/]")
    for line in result.lines()[1:]:
        console.print(line)
    if register_note:
        console.print(register_note)
    if settings.trust_roots:
        console.print(
            _("trust roots: QA_TRUST_ROOTS (%(roots)s)") % {"roots": ", ".join(map(str, roots))}
        )
    elif roots:
        console.print(
            _("trust roots: the development CA of the data folder (%(root)s)") % {"root": roots[0]}
        )
    else:
        console.print(
            _(
                "trust roots: none (QA_TRUST_ROOTS is not set and %(folder)s holds no "
                "development CA); a signature can be intact but not trusted"
            )
            % {"folder": settings.pki_dir}
        )
    if not result.ok:
        raise typer.Exit(1)


LANGUAGE_HELP = "The report's language: en, fr, de, cs, pl, it or da"


def _decision(s: Session, case_id: int, round_: int | None) -> Decision:
    """The case's decision of `round_` (default: the latest decided round)."""
    from qa_engine.store import case_repo

    case = case_repo.get_case(s, case_id)
    if case is None:
        raise NotFound(N_("case %(id)s not found"), id=case_id)
    decisions = case_repo.decisions_of(s, case_id)
    if round_ is not None:
        decisions = [d for d in decisions if d.round == round_]
    if not decisions:
        if round_:
            raise ValidationFailed(
                N_("case %(id)s has no decision in round %(round)s yet"), id=case_id, round=round_
            )
        raise ValidationFailed(N_("case %(id)s has no decision yet"), id=case_id)
    return decisions[-1]


@app.command("pdf")
@handle_errors
def pdf(
    case_id: int,
    language: str = typer.Option(..., "--language", "-l", help=LANGUAGE_HELP),
    round_: int | None = typer.Option(
        None, "--round", help="Round (default: the latest decided one)"
    ),
) -> None:
    """Make a decided case's signed report (and its workbook) in LANGUAGE, registered under its
    own report id so that /verify and `reports verify` check it; a report made already is kept."""
    from qa_engine.adapters.report_files import ReportFiles
    from qa_engine.services.report_files import report_generator
    from qa_engine.services.reporting import generate_files, request_language_files

    with session_scope() as s:
        decision = _decision(s, case_id, round_)
        rows = request_language_files(session=s, decision=decision, language=language)
        generate_files(
            session=s, rows=rows, generator=report_generator(ReportFiles.from_settings())
        )
        done = [(row.report_id, row.kind, row.path) for row in rows]
    for report_id, kind, path in done:
        console.print(f"{report_id} ({kind}, {language}): {path}")


@app.command("xlsx")
@handle_errors
def xlsx(
    case_id: int,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write (default: the case's report folder)"
    ),
    round_: int | None = typer.Option(
        None, "--round", help="Round (default: the latest decided one)"
    ),
    language: str = typer.Option("en", "--language", "-l", help=LANGUAGE_HELP),
) -> None:
    """Write the workbook of a decided case: scores, comments, consolidation."""
    from qa_engine.adapters.case_workbook import write_workbook
    from qa_engine.adapters.report_files import report_path
    from qa_engine.config import get_settings
    from qa_engine.domain import i18n
    from qa_engine.services.report_data import build_report
    from qa_engine.services.reporting import report_id_for
    from qa_engine.store import case_repo

    if i18n.supported(language) != language:
        raise ValidationFailed(f"--language: one of {', '.join(i18n.LANGUAGES)}, not {language!r}")
    with session_scope() as s:
        decision = _decision(s, case_id, round_)
        case = case_repo.get_case(s, case_id)
        assert case is not None  # _decision found it
        report_id = report_id_for(decision, "pdf", language)
        data = build_report(s, case, decision, report_id=report_id, language=language)
        target = output or report_path(
            get_settings(), case_id, report_id_for(decision, "xlsx", language), "xlsx"
        )
        write_workbook(data, target)
    console.print(_("wrote %(path)s") % {"path": target})
