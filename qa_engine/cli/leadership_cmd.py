"""Aggregate reports for leadership from the command line: ``qa-engine reports aggregate``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from qa_engine.adapters.translations import format_decimal
from qa_engine.cli.common import _, cli_language, console, handle_errors, ngettext
from qa_engine.domain import i18n
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_

reports_app = typer.Typer(
    help="Aggregate reports for leadership and QA officers.", no_args_is_help=True
)


@reports_app.callback()
def _reports() -> None:
    """Aggregate reports for leadership and QA officers."""


class OutputFormat(StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    html = "html"


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            N_("%(option)s %(value)s: give a date as YYYY-MM-DD"), option=option, value=value
        ) from None


def _language(value: str) -> str:
    """The report's language: one of the alliance's languages (`i18n.LANGUAGES`), as a code."""
    lang = value.strip().lower()
    if lang not in i18n.LANGUAGES:
        raise ValidationFailed(
            N_("--language %(value)s: give one of %(languages)s"),
            value=value,
            languages=", ".join(i18n.LANGUAGES),
        )
    return lang


@reports_app.command("aggregate")
@handle_errors
def aggregate(
    from_: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)"),
    to: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD), included"),
    institution: str | None = typer.Option(None, help="Only this institution (code, e.g. CUNI)"),
    rubric: str | None = typer.Option(None, help="Only cases reviewed with this rubric (id)"),
    field: str | None = typer.Option(
        None, help="Only this ISCED-F field (2 to 4 digits; 04 takes every 04xx)"
    ),
    eqf: int | None = typer.Option(None, help="Only credentials at this EQF level (1-8)"),
    format_: OutputFormat = typer.Option(..., "--format", help="pdf (signed), xlsx or html"),
    output: Path = typer.Option(..., "--output", help="Where to write the report"),
    language: str = typer.Option(
        i18n.DEFAULT,
        "--language",
        help=f"The report's language: {', '.join(i18n.LANGUAGES)} (default {i18n.DEFAULT})",
    ),
    reviewer_names: bool = typer.Option(
        False, "--reviewer-names", help="Name the reviewers who are behind (QA officers only)"
    ),
    as_: str | None = typer.Option(
        None,
        "--as",
        envvar="QA_ACTOR",
        help="Act as this user (username); default: the engine itself",
    ),
) -> None:
    """Write the leadership report for a period:
    pipeline, outcomes, standards, digital and green, reviewing."""
    from functools import partial

    from qa_engine.adapters.aggregate_report import render_aggregate
    from qa_engine.adapters.files import write_atomically
    from qa_engine.domain.leadership import ReportFilters, ReportPeriod
    from qa_engine.services.actors import acting_user
    from qa_engine.services.leadership import issue_leadership_report, leadership_figures
    from qa_engine.store.db import session_scope

    lang = _language(language)
    period = ReportPeriod(_day(from_, "--from"), _day(to, "--to"))
    filters = ReportFilters(
        institution=institution.upper() if institution else None,
        rubric=rubric,
        field=field,
        eqf=eqf,
    )
    with session_scope() as session:
        actor = acting_user(session=session, username=as_)
        figures = leadership_figures(
            session=session,
            actor=actor,
            period=period,
            filters=filters,
            reviewer_names=reviewer_names,
        )
    # the signed PDF is recorded in the register with the file written: a write that fails
    # records nothing
    with session_scope() as session:
        data = issue_leadership_report(
            session=session,
            actor=actor,
            figures=figures,
            fmt=format_.value,
            render=partial(render_aggregate, lang=lang),
            lang=lang,
        )
        write_atomically(output, data)
    p, o = figures.pipeline, figures.outcomes
    shown = cli_language()
    size = _("%(size)s bytes") % {"size": format_decimal(len(data), shown)}
    report = _("report %(id)s") % {"id": figures.report_id}
    pipeline = ngettext(
        "%(num)s case in the pipeline", "%(num)s cases in the pipeline", p.in_pipeline
    ) % {"num": format_decimal(p.in_pipeline, shown)}
    decisions = ngettext("%(num)s decision", "%(num)s decisions", o.decisions) % {
        "num": format_decimal(o.decisions, shown)
    }
    closed = _("%(num)s closed") % {"num": format_decimal(p.closed, shown)}
    console.print(
        f"{output}: {format_.value} ({lang}), {size} — {report}; {pipeline}, {decisions}, {closed}"
    )
