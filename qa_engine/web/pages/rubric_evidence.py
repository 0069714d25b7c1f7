"""QA officers' pages for the evidence behind a rubric change (issue 18): replay a rubric version
or an uploaded draft over past decisions, and calibrate a rubric from the stored reviews; the same
tables as `qa-engine rubrics replay` / `calibrate`, and their workbooks."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from qa_engine.adapters.rubric_evidence import (
    TableData,
    calibration_tables,
    replay_summary,
    replay_tables,
    tables_xlsx,
)
from qa_engine.adapters.translations import format_date
from qa_engine.domain.errors import QAError, ValidationFailed
from qa_engine.domain.i18n import N_
from qa_engine.domain.rubric import Rubric
from qa_engine.services import access
from qa_engine.services.calibration import calibrate_rubric
from qa_engine.services.institutions import list_institutions
from qa_engine.services.rubric_replay import (
    Period,
    draft_from_upload,
    parse_day,
    replay_rubric,
    resolve,
    rubric_choices,
)
from qa_engine.web.auth import requires, settings_of
from qa_engine.web.db import DB
from qa_engine.web.forms import form_text
from qa_engine.web.pages.common import PageUser, attempt
from qa_engine.web.templating import catalog_for, gettext_for, render, request_language
from qa_engine.web.uploads import read_limited, safe_name, temporary_file

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Param = Annotated[str | None, Query(max_length=20)]
RubricParam = Annotated[str | None, Query(max_length=140)]
SHOWN = 500
NOT_LISTED = N_("rubric: choose a version from the list, not '%(spec)s'")


def _in_language(request: Request, error: QAError) -> list[str]:
    """An error's message and details in the page's language."""
    catalog = catalog_for(request)
    message, details = error.in_language(catalog.gettext, catalog.ngettext)
    return [message, *details]


def _shown(request: Request, tables: list[TableData]) -> list[TableData]:
    """The tables as a page shows them: a long table's first `SHOWN` rows (the workbook has all)."""
    _ = gettext_for(request)
    return [
        t
        if len(t.rows) <= SHOWN
        else replace(
            t,
            rows=t.rows[:SHOWN],
            note=(t.note + "; " if t.note else "")
            + _("the first %(shown)s of %(total)s rows: the workbook has them all")
            % {"shown": SHOWN, "total": len(t.rows)},
        )
        for t in tables
    ]


def _xlsx(tables: list[TableData], title: str, name: str) -> Response:
    return Response(
        tables_xlsx(tables, title),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _replay_page(
    request: Request,
    db: DB,
    principal: PageUser,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    **result: Any,
) -> Response:
    return render(
        request,
        "rubrics/replay.html",
        status_code=status_code,
        title=gettext_for(request)(N_("Replay a rubric version")),
        choices=rubric_choices(session=db, actor=principal.actor),
        institutions=list_institutions(session=db),
        values=values or {},
        errors=errors or [],
        **result,
    )


@router.get("/rubric-replay", dependencies=[requires(access.OFFICERS, action=N_("replay rubrics"))])
def replay_form(request: Request, db: DB, principal: PageUser) -> Response:
    return _replay_page(request, db, principal)


async def _rubric_of(request: Request, db: DB, form: FormData) -> Rubric:
    """The uploaded draft when a file is given, else the version chosen."""
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        name = safe_name(upload, "draft.yaml")
        if not name.lower().endswith((".yaml", ".yml")):
            raise ValidationFailed(N_("%(name)s: upload a rubric file (.yaml or .yml)"), name=name)
        data = await read_limited(upload, settings_of(request).max_upload_bytes)
        with temporary_file(data, ".yaml", name) as path:
            return await run_in_threadpool(draft_from_upload, path)
    spec = form_text(form.get("rubric"))
    if not spec:
        raise ValidationFailed(N_("choose a rubric version or upload a draft rubric file"))
    if "@" not in spec:
        raise ValidationFailed(NOT_LISTED, spec=spec[:60])
    return await run_in_threadpool(lambda: resolve(session=db, spec=spec))


@router.post(
    "/rubric-replay", dependencies=[requires(access.OFFICERS, action=N_("replay rubrics"))]
)
async def replay_run(request: Request, db: DB, principal: PageUser) -> Response:
    form = await request.form()
    values = {
        k: form_text(form.get(k))[:140] for k in ("rubric", "from", "to", "institution", "format")
    }
    problem: QAError | None = None
    try:
        period = Period(parse_day(values["from"], "from"), parse_day(values["to"], "to"))
        new = await _rubric_of(request, db, form)
    except QAError as exc:
        problem = exc
    if problem is None:
        outcome = await run_in_threadpool(
            attempt,
            db,
            replay_rubric,
            session=db,
            actor=principal.actor,
            new=new,
            period=period,
            institution=values["institution"] or None,
        )
        if isinstance(outcome, QAError):
            problem = outcome
        else:
            report = outcome
    if problem is not None:
        refused = problem
        return await run_in_threadpool(
            lambda: _replay_page(
                request,
                db,
                principal,
                status_code=refused.status,
                values=values,
                errors=_in_language(request, refused),
            )
        )
    language = request_language(request)
    tables = replay_tables(report, language)
    if values["format"] == "xlsx":
        return _xlsx(
            tables,
            gettext_for(request)("Replay of %(rubric)s %(version)s")
            % {"rubric": new.id, "version": new.version},
            f"replay-{new.id}-{new.version}.xlsx",
        )
    return await run_in_threadpool(
        lambda: _replay_page(
            request,
            db,
            principal,
            values=values,
            report=report,
            summary=replay_summary(report, language),
            rubric=new,
            period=period.words(
                gettext_for(request), lambda d: format_date(d, request_language(request))
            ),
            tables=_shown(request, tables),
        )
    )


def _calibration(
    db: DB, principal: PageUser, rubric: str | None, from_: str | None, to: str | None,
    institution: str | None, language: str = "en",
) -> tuple[Rubric, Any, list[TableData]]:  # fmt: skip
    if not rubric:
        raise ValidationFailed(N_("rubric: choose a rubric version"))
    period = Period(parse_day(from_, "from"), parse_day(to, "to"))
    chosen = resolve(session=db, spec=rubric) if "@" in rubric else None
    if chosen is None:
        raise ValidationFailed(NOT_LISTED, spec=rubric[:60])
    report = calibrate_rubric(
        session=db,
        actor=principal.actor,
        rubric=chosen,
        period=period,
        institution=institution or None,
    )
    return chosen, report, calibration_tables(report, language)


@router.get(
    "/rubric-calibration", dependencies=[requires(access.OFFICERS, action=N_("calibrate rubrics"))]
)
def calibration_page(
    request: Request,
    db: DB,
    principal: PageUser,
    rubric: RubricParam = None,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Param = None,
    institution: Param = None,
) -> Response:
    values = {
        "rubric": rubric or "",
        "from": from_ or "",
        "to": to or "",
        "institution": institution or "",
    }
    result: dict[str, Any] = {}
    errors: list[str] = []
    status = 200
    if rubric:
        try:
            chosen, report, tables = _calibration(
                db, principal, rubric, from_, to, institution, request_language(request)
            )
            result = {"rubric": chosen, "report": report, "tables": _shown(request, tables)}
        except QAError as exc:
            errors, status = _in_language(request, exc), exc.status
    return render(
        request,
        "rubrics/calibration.html",
        status_code=status,
        title=gettext_for(request)(N_("Calibrate a rubric")),
        choices=rubric_choices(session=db, actor=principal.actor),
        institutions=list_institutions(session=db),
        values=values,
        errors=errors,
        qs=urlencode({k: v for k, v in values.items() if v}),
        **result,
    )


@router.get(
    "/rubric-calibration.xlsx",
    dependencies=[requires(access.OFFICERS, action=N_("calibrate rubrics"))],
)
def calibration_xlsx(
    request: Request,
    db: DB,
    principal: PageUser,
    rubric: RubricParam = None,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Param = None,
    institution: Param = None,
) -> Response:
    chosen, _report, tables = _calibration(
        db, principal, rubric, from_, to, institution, request_language(request)
    )
    return _xlsx(
        tables,
        gettext_for(request)("Calibration of %(rubric)s %(version)s")
        % {"rubric": chosen.id, "version": chosen.version},
        f"calibration-{chosen.id}-{chosen.version}.xlsx",
    )
