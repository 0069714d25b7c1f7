"""``qa-engine credentials …``"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from qa_engine.adapters import elm_import
from qa_engine.adapters.credential_io import read_credentials_file, write_template
from qa_engine.cli.cases_cmd import AS_OPTION, kick_cases
from qa_engine.cli.common import _, console, err_console, error_text, handle_errors
from qa_engine.config import get_settings
from qa_engine.domain.credential import Credential
from qa_engine.domain.errors import ConfirmationNeeded, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.services import credential_import
from qa_engine.services import credentials as credential_service
from qa_engine.services.actors import acting_user
from qa_engine.services.cases import DEFAULT_RUBRIC
from qa_engine.services.institutions import ALLIANCE
from qa_engine.store.db import session_scope

app = typer.Typer(help="Credentials: template, import, list.", no_args_is_help=True)


@app.command("template")
@handle_errors
def template(out: Path = typer.Argument(..., help="Where to write the .xlsx template")) -> None:
    """Write an import workbook with a notes sheet and value lists."""
    write_template(out, providers=[code for code, *_ in ALLIANCE])
    console.print(_("wrote %(path)s") % {"path": out})


@app.command("import")
@handle_errors
def import_(
    file: Path = typer.Argument(
        ..., help=".xlsx or .json file, or an ELM (Europass) .jsonld file of one Qualification"
    ),
    open_cases: bool = typer.Option(
        False,
        "--open-cases/--no-open-cases",
        help="Open a review case for every imported credential that has none",
    ),
    rubric: str = typer.Option(DEFAULT_RUBRIC, help="Rubric id of the cases opened"),
    case: int | None = typer.Option(
        None,
        "--case",
        help="Submit the file's credential into this case as its revised credential"
        " (after a revision request)",
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help="Store new versions of credentials that an open case is reviewing without asking",
    ),
    set_: list[str] = typer.Option(
        [],
        "--set",
        metavar="FIELD=VALUE",
        help="ELM files only: an element the file lacks (or a value replacing the file's), by its"
        " field name, e.g. --set reference=MC-01 --set provider=CUNI; repeat for each",
    ),
    as_: str | None = AS_OPTION,
) -> None:
    """Import credentials; if any row is invalid nothing is imported
    (exit 1, every problem listed).

    An ELM v3 (Europass) file (.jsonld, or .json with an ELM @context) holds one Qualification,
    bare, in a credential or in a sealed credential; its problems are named by JSON path, and
    what the engine needs but the file lacks can be given with --set.

    A new version of a credential that an open case is reviewing is stored only when confirmed
    (--yes, or the question asked at a terminal), or with --case naming that case."""
    import_file(
        file,
        as_,
        open_cases=open_cases,
        rubric=rubric,
        case_id=case,
        yes=yes,
        supplied=parse_set_options(set_),
    )


def parse_set_options(options: list[str]) -> dict[str, str]:
    """``--set FIELD=VALUE`` options by field."""
    try:
        return elm_import.parse_assignments(options)
    except ValidationFailed as exc:
        raise typer.BadParameter(error_text(exc)[0], param_hint="--set") from None


def import_file(
    file: Path,
    username: str | None,
    *,
    open_cases: bool = False,
    rubric: str = DEFAULT_RUBRIC,
    case_id: int | None = None,
    yes: bool = False,
    supplied: dict[str, str] | None = None,
) -> None:
    """Read a credentials file and import it (asking at a terminal before it changes the
    credential of an open case); print what it did and advance the cases it opened.

    `supplied`: values for an ELM file (``--set``)."""
    settings = get_settings()
    with session_scope() as session:
        actor = acting_user(session=session, username=username)
        known = credential_import.known_providers(session=session, actor=actor)
    items: list[Credential]
    if elm_import.is_elm_file(file):
        read = elm_import.read_elm(
            file, max_bytes=settings.max_upload_bytes, known_providers=known, supplied=supplied
        )
        for note in read.notes:
            console.print(_("note: %(note)s") % {"note": note}, markup=False, soft_wrap=True)
        items = [read.credential]
    else:
        if supplied:
            raise ValidationFailed(
                N_(
                    "%(file)s: --set applies to ELM (.jsonld) files only; write the values in "
                    "the file"
                ),
                file=file.name,
            )
        items = read_credentials_file(
            file,
            max_bytes=settings.max_upload_bytes,
            max_unzipped_bytes=settings.max_unzipped_bytes,
            known_providers=known,
        )

    def run(confirm: bool) -> credential_import.ImportResult:
        with session_scope() as session:
            return credential_import.import_credentials(
                session=session,
                actor=actor,
                items=items,
                open_cases=open_cases,
                rubric_id=rubric,
                source=file.name,
                confirm=confirm,
                case_id=case_id,
            )

    try:
        result = run(yes)
    except ConfirmationNeeded as exc:
        message, details = error_text(exc)
        if not sys.stdin.isatty():
            raise ConfirmationNeeded(
                N_("%(question)s (--case names the case, --yes confirms)"),
                question=message,
                details=details,
            ) from None
        err_console.print(f"[yellow]{escape(message)}[/]")
        for line in details:
            err_console.print(f"  - {escape(line)}")
        if not typer.confirm(_("Store the new version(s) anyway?"), default=False):
            raise typer.Exit(1) from None
        result = run(True)
    console.print(
        _(
            "imported %(num)s credential(s) from %(file)s: %(new)s new, %(versions)s new "
            "version(s), %(unchanged)s unchanged"
        )
        % {
            "num": result.total,
            "file": file.name,
            "new": len(result.created),
            "versions": len(result.new_versions),
            "unchanged": len(result.unchanged),
        }
        + (
            _("; opened case(s) %(ids)s") % {"ids": ", ".join(map(str, result.opened_cases))}
            if result.opened_cases
            else ""
        )
    )
    if result.revised_case is not None:
        console.print(
            _("case %(id)s: its new round reviews the revised credential")
            % {"id": result.revised_case}
        )
    if result.opened_cases:
        kick_cases(result.opened_cases)


@app.command("list")
@handle_errors
def list_(
    institution: str | None = typer.Option(None, help="Only this institution (code)"),
    as_: str | None = AS_OPTION,
) -> None:
    """Show the stored credentials (those the acting user may see)."""
    with session_scope() as session:
        page = credential_service.credentials_page(
            session=session,
            actor=acting_user(session=session, username=as_),
            institution=institution,
            limit=None,
            with_versions=True,
        )
        table = Table(title=f"Credentials ({len(page.rows)})")
        for col in ("id", "institution", "reference", "title", "version", "ECTS", "EQF", "updated"):
            table.add_column(col)
        for row in page.rows:
            cred, data = row.credential, row.version.data if row.version else {}
            table.add_row(
                str(cred.id),
                row.institution.code,
                cred.reference,
                cred.title,
                str(cred.current_version),
                str(data.get("ects", "")),
                str(data.get("eqf_level", "")),
                cred.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
    console.print(table)
