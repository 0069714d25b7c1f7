"""Aggregate reports for leadership from the command line: ``qa-engine reports aggregate``."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from qa_engine.cli.common import console, handle_errors
from qa_engine.domain.errors import StorageError, ValidationFailed

reports_app = typer.Typer(help="Aggregate reports for leadership and QA officers.", no_args_is_help=True)


class OutputFormat(StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    html = "html"


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{option} {value!r}: give a date as YYYY-MM-DD") from None


def render(figures, fmt: OutputFormat | str) -> bytes:
    """The report in one format: a signed PDF, a workbook or a self-contained HTML page."""
    from qa_engine.config import get_settings

    kind = OutputFormat(fmt)
    if kind is OutputFormat.pdf:
        from qa_engine.adapters.aggregate_pdf import signed_pdf
        from qa_engine.adapters.report_files import signer_from_settings

        settings = get_settings()
        return signed_pdf(figures, reports_dir=settings.reports_dir, signer=signer_from_settings(settings),
                          timestamp_url=settings.timestamp_url)
    if kind is OutputFormat.xlsx:
        from qa_engine.adapters.aggregate_xlsx import workbook_bytes

        return workbook_bytes(figures)
    from qa_engine.adapters.aggregate_html import html_bytes

    return html_bytes(figures)


def write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc


@reports_app.command("aggregate")
@handle_errors
def aggregate(
    from_: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)"),
    to: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD), included"),
    institution: str = typer.Option(None, help="Only this institution (code, e.g. CUNI)"),
    rubric: str = typer.Option(None, help="Only cases reviewed with this rubric (id)"),
    field: str = typer.Option(None, help="Only this ISCED-F field (2 to 4 digits; 04 takes every 04xx)"),
    eqf: int = typer.Option(None, help="Only credentials at this EQF level (1-8)"),
    format_: OutputFormat = typer.Option(..., "--format", help="pdf (signed), xlsx or html"),
    output: Path = typer.Option(..., "--output", help="Where to write the report"),
    reviewer_names: bool = typer.Option(False, "--reviewer-names", help="Name the reviewers who are behind (QA officers only)"),
    as_: str = typer.Option(None, "--as", envvar="QA_ACTOR", help="Act as this user (username); default: the engine itself"),
) -> None:
    """Write the leadership report for a period: pipeline, outcomes, standards, digital and green, reviewing."""
    from qa_engine.cli.cases_cmd import actor_for
    from qa_engine.services.leadership import ReportFilters, ReportPeriod, leadership_figures
    from qa_engine.store.db import session_scope

    period = ReportPeriod(_day(from_, "--from"), _day(to, "--to"))
    filters = ReportFilters(institution=institution.upper() if institution else None, rubric=rubric,
                            field=field, eqf=eqf)
    with session_scope() as session:
        actor = actor_for(session, as_)
        figures = leadership_figures(session=session, actor=actor, period=period, filters=filters,
                                     reviewer_names=reviewer_names)
    data = render(figures, format_)
    write_atomically(output, data)
    p, o = figures.pipeline, figures.outcomes
    console.print(f"{output}: {format_.value}, {len(data):,} bytes — report {figures.report_id}; "
                  f"{p.in_pipeline} case(s) in the pipeline, {o.decisions} decision(s), {p.closed} closed")
