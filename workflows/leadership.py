"""The scheduled leadership reports: the PDF, the workbook and the HTML page for the last period.

One task computes the figures in its own session; three tasks render them, so the three outputs
come from the same figures and always agree. File names are deterministic (the period and the
format), so a retried or repeated run replaces its own files and nothing else.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from qa_engine.workflows.retry import io_retries

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

    from qa_engine.domain.leadership import LeadershipFigures

FORMATS = ("pdf", "xlsx", "html")


@task(name="leadership-figures", **io_retries(2, 10), cache_policy=NO_CACHE)
def compute_figures(start: date, end: date) -> LeadershipFigures:
    from qa_engine.domain.leadership import ReportPeriod
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services.leadership import leadership_figures
    from qa_engine.store.db import session_scope

    with session_scope() as session:
        # the scheduled reports go to leadership: never with reviewer names
        return leadership_figures(
            session=session, actor=SYSTEM, period=ReportPeriod(start, end), reviewer_names=False
        )


@task(name="leadership-render", **io_retries(2, 10), cache_policy=NO_CACHE)
def render_report(
    figures: LeadershipFigures, fmt: str, output_dir: str, language: str = "en"
) -> str:
    from functools import partial

    from qa_engine.adapters.aggregate_report import render_aggregate
    from qa_engine.adapters.files import write_atomically
    from qa_engine.domain.roles import SYSTEM
    from qa_engine.services.leadership import issue_leadership_report
    from qa_engine.store.db import session_scope

    suffix = "" if language == "en" else f"-{language}"  # English: the names as they were
    name = f"leadership-{figures.period.start}-{figures.period.end}{suffix}.{fmt}"
    path = Path(output_dir) / name
    # the signed PDF is recorded in the register; a write that fails rolls the record back, and
    # a retry records the bytes it writes (a file nobody received is harmless in the register)
    with session_scope() as session:
        payload = issue_leadership_report(
            session=session,
            actor=SYSTEM,
            figures=figures,
            fmt=fmt,
            render=partial(render_aggregate, lang=language),
            lang=language,
        )
        write_atomically(path, payload)
    return str(path)


def default_output_dir() -> Path:
    from qa_engine.config import get_settings

    return get_settings().reports_out_dir / "aggregate"


@flow(name="aggregate-reports", flow_run_name="aggregate-{period_days}d")
async def aggregate_reports_flow(
    period_days: int = 30, output_dir: str | None = None, language: str = "en"
) -> dict[str, str]:
    """Write the leadership reports (PDF, workbook, HTML) for the last `period_days` full days,
    in `language` (one of the alliance's languages; English by default)."""
    from qa_engine.services.context import now

    today = now().date()
    start, end = today - timedelta(days=period_days), today - timedelta(days=1)
    out = output_dir or str(default_output_dir())
    figures = compute_figures.submit(start, end).result()
    # rendering runs in the task runner's threads: signing runs an event loop of its own
    futures = {fmt: render_report.submit(figures, fmt, out, language) for fmt in FORMATS}
    return {fmt: fut.result() for fmt, fut in futures.items()}


def deployment(interval_days: int = 7) -> RunnerDeployment:
    """The scheduled deployment: every `interval_days` days, the report of the last 30 days."""
    # Prefect types the answer as the deployment or, in an async context, its coroutine; the
    # worker makes its deployments in synchronous code: the deployment
    return cast(
        "RunnerDeployment",
        aggregate_reports_flow.to_deployment(
            name="aggregate-reports", interval=timedelta(days=interval_days)
        ),
    )
