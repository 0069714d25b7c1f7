"""``qa-engine institutions …``: the alliance's institutions and the language each asks its case
reports in besides English."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from qa_engine.cli.common import _, cli_language, console, handle_errors
from qa_engine.store.db import session_scope

app = typer.Typer(help="The alliance's institutions.", no_args_is_help=True)


@app.command("list")
@handle_errors
def list_() -> None:
    """The institutions, with the language each asks its case reports in besides English."""
    from qa_engine.adapters.translations import language_name
    from qa_engine.services.institutions import list_institutions

    lang = cli_language()
    with session_scope() as s:
        table = Table(_("code"), _("name"), _("country"), _("report language"))
        for inst in list_institutions(session=s):
            table.add_row(
                inst.code,
                escape(inst.name),
                inst.country,
                _("English and %(language)s")
                % {"language": language_name(inst.report_language, lang)}
                if inst.report_language
                else _("English only"),
            )
    console.print(table)


@app.command("report-language")
@handle_errors
def report_language(
    code: str = typer.Argument(..., help="The institution's code, e.g. CUNI"),
    language: str = typer.Argument(
        ..., help="en, fr, de, cs, pl, it or da; 'none' (or en): English only"
    ),
) -> None:
    """Make the institution's case reports also in LANGUAGE (signed and registered beside the
    English one), from the next report on."""
    from qa_engine.adapters.translations import language_name
    from qa_engine.services.institutions import set_report_language

    wanted = None if language.strip().lower() in ("none", "") else language
    with session_scope() as s:
        inst = set_report_language(session=s, code=code, language=wanted)
        lang = inst.report_language
        name = inst.code
    if lang:
        console.print(
            _("%(institution)s: case reports in English and %(language)s")
            % {"institution": name, "language": language_name(lang, cli_language())}
        )
    else:
        console.print(_("%(institution)s: case reports in English only") % {"institution": name})
