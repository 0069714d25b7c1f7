"""Leadership's dashboard: the counts of cases by state and outcome per institution, and the
leadership figures for a period (the same query layer and layout as the PDF, workbook and HTML
reports, so the four always agree), with downloads of the signed PDF and the workbook."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from qa_engine.adapters.aggregate_html import SvgHelper
from qa_engine.adapters.aggregate_report import render_aggregate
from qa_engine.domain import i18n
from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.leadership import ReportFilters, ReportPeriod
from qa_engine.services.dashboard import dashboard as dashboard_service
from qa_engine.services.institutions import list_institutions
from qa_engine.services.leadership import issue_leadership_report, leadership_figures
from qa_engine.store.db import session_scope
from qa_engine.web.db import DB
from qa_engine.web.pages.common import PageUser
from qa_engine.web.templating import gettext_for, render, request_language

router = APIRouter()

MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _day(value: str | None, default: date, name: str) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            N_("%(name)s: give a date as YYYY-MM-DD, not %(value)s"), name=name, value=value[:20]
        ) from None


def _scope(
    from_: str | None,
    to: str | None,
    institution: str | None,
    rubric: str | None,
    field: str | None,
    eqf: str | None,
) -> tuple[ReportPeriod, ReportFilters, dict[str, str | int]]:
    today = date.today()
    end = _day(to, today, "to")
    start = _day(from_, end - timedelta(days=365), "from")
    level = None
    if eqf:
        if not eqf.isdigit() or not 1 <= int(eqf) <= 8:
            raise ValidationFailed(N_("eqf: a level from 1 to 8"))
        level = int(eqf)
    filters = ReportFilters(
        institution=(institution or "").upper() or None,
        rubric=rubric or None,
        field=field or None,
        eqf=level,
    )
    query = {
        k: v
        for k, v in {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "institution": filters.institution,
            "rubric": filters.rubric,
            "field": filters.field,
            "eqf": level,
        }.items()
        if v
    }
    return ReportPeriod(start, end), filters, query


Param = Annotated[str | None, Query(max_length=20)]


@router.get("/dashboard")
def dashboard(
    request: Request,
    db: DB,
    principal: PageUser,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Param = None,
    institution: Param = None,
    rubric: Annotated[str | None, Query(max_length=100)] = None,
    field: Param = None,
    eqf: Param = None,
) -> Response:
    data = dashboard_service(session=db, actor=principal.actor)
    period, filters, query = _scope(from_, to, institution, rubric, field, eqf)
    figures = leadership_figures(session=db, actor=principal.actor, period=period, filters=filters)
    return render(
        request,
        "dashboard.html",
        title=gettext_for(request)("Dashboard"),
        d=data,
        figures=figures,
        svg=SvgHelper(request_language(request)),
        query=query,
        qs=urlencode(query),
        institutions=list_institutions(session=db),
    )


@router.get("/dashboard/report.{fmt}")
def dashboard_report(
    fmt: str,
    request: Request,
    db: DB,
    principal: PageUser,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Param = None,
    institution: Param = None,
    rubric: Annotated[str | None, Query(max_length=100)] = None,
    field: Param = None,
    eqf: Param = None,
) -> Response:
    if fmt not in MEDIA:
        raise ValidationFailed(N_("download the report as .pdf or .xlsx"))
    period, filters, _ = _scope(from_, to, institution, rubric, field, eqf)
    figures = leadership_figures(session=db, actor=principal.actor, period=period, filters=filters)
    lang = request_language(request)  # the report in the reader's language, as the page
    suffix = "" if lang == i18n.DEFAULT else f"-{lang}"
    name = f"leadership-{period.start}-{period.end}{suffix}.{fmt}"
    # a download only reads, but a signed file is recorded in the register: its own unit of work
    with session_scope() as session:
        payload = issue_leadership_report(
            session=session,
            actor=principal.actor,
            figures=figures,
            fmt=fmt,
            render=partial(render_aggregate, lang=lang),
            lang=lang,
        )
    return Response(
        payload,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
